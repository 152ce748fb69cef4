"""Travel times along the road network between inspection stops (scipy csgraph).

The graph joins consecutive vertices of every road line (coordinates rounded to 1 cm, as the
walking graph does) and weights each edge by its travel time in seconds: length over the speed
of the road's grade (``drive``) or over a walking speed (``walk``, walkable roads only).
Only the largest connected part of the network is used, so that every pair of stops
connects; a stop reaches the network at its nearest node of that part and the gap is walked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.sparse import csgraph

from gardencity.errors import DataError
from gardencity.io.crs import require_projected
from gardencity.messages import Catalogue

MESSAGES = Catalogue(__package__)

__all__ = [
    "DEFAULT_SPEEDS_KMH",
    "WALK_SPEED_KMH",
    "StopMatrix",
    "TravelGraph",
    "stop_matrix",
    "travel_graph_from_roads",
]

Mode = Literal["drive", "walk"]
# a coach with the review group in daytime city traffic (signals, turns, boarding), not a car
DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "expressway": 40.0,
    "arterial": 25.0,
    "secondary": 20.0,
    "branch": 15.0,
    "other": 10.0,
}
WALK_SPEED_KMH = 4.5


@dataclass(frozen=True)
class TravelGraph:
    """Nodes (x, y), the symmetric CSR matrix of edge times (s), the main connected part."""

    nodes: npt.NDArray[np.float64]
    seconds: sparse.csr_matrix
    main_part: npt.NDArray[np.bool_]
    crs: CRS
    mode: str

    @property
    def n_nodes(self) -> int:
        return int(self.nodes.shape[0])


def travel_graph_from_roads(
    roads: gpd.GeoDataFrame,
    *,
    mode: Mode = "drive",
    speeds_kmh: Mapping[str, float] | None = None,
    walk_speed_kmh: float = WALK_SPEED_KMH,
    precision_m: float = 0.01,
) -> TravelGraph:
    """The travel-time graph of ``roads`` for ``mode``.

    >>> roads = gpd.GeoDataFrame({"grade": ["arterial", "branch"]}, geometry=[
    ...     shapely.LineString([(0, 0), (700, 0)]), shapely.LineString([(700, 0), (700, 200)])],
    ...     crs=4547)
    >>> g = travel_graph_from_roads(roads, speeds_kmh={"arterial": 36, "branch": 18})
    >>> g.n_nodes, round(float(g.seconds.sum()) / 2, 1)
    (3, 110.0)
    """
    require_projected(roads, "roads")
    if mode not in ("drive", "walk"):
        raise DataError(MESSAGES.message("travel_mode_unknown", mode=mode))
    if mode == "walk" and "walkable" in roads:
        roads = roads[roads["walkable"].fillna(True).astype(bool)]
    speeds = dict(DEFAULT_SPEEDS_KMH) | dict(speeds_kmh or {})
    bad = sorted(k for k, v in speeds.items() if not v > 0)
    if bad or walk_speed_kmh <= 0:
        raise DataError(
            MESSAGES.message("travel_speeds_not_positive", keys=bad or ["walk_speed_kmh"])
        )
    if mode == "walk":
        line_speed = np.full(len(roads), walk_speed_kmh)
    else:
        grades = roads["grade"] if "grade" in roads else pd.Series("other", index=roads.index)
        line_speed = grades.map(lambda g: speeds.get(str(g), speeds["other"])).to_numpy(float)
    geoms = roads.geometry.to_numpy()
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    is_line = shapely.get_type_id(parts) == 1
    parts, part_of = parts[is_line], part_of[is_line]
    if len(parts) == 0:
        raise DataError(MESSAGES.message("roads_no_lines"))
    coords, line_index = shapely.get_coordinates(parts, return_index=True)
    same_line = line_index[1:] == line_index[:-1]
    keys = np.round(coords[:, :2] / precision_m).astype(np.int64)
    unique_keys, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    nodes = unique_keys.astype(float) * precision_m
    u, v = inverse[:-1][same_line], inverse[1:][same_line]
    length = np.hypot(*(coords[1:, :2] - coords[:-1, :2])[same_line].T)
    speed_ms = line_speed[part_of[line_index[:-1][same_line]]] / 3.6
    keep = u != v
    u, v, length, speed_ms = u[keep], v[keep], length[keep], speed_ms[keep]
    n = len(nodes)

    seconds = _min_duplicates(u, v, length / speed_ms, n)
    _, labels = csgraph.connected_components(seconds, directed=False)
    main_label = np.bincount(labels).argmax()
    return TravelGraph(nodes, seconds, labels == main_label, CRS(roads.crs), mode)


def _min_duplicates(
    u: npt.NDArray[np.int64], v: npt.NDArray[np.int64], w: npt.NDArray[np.float64], n: int
) -> sparse.csr_matrix:
    a, b = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((w, b, a))
    a, b, w = a[order], b[order], w[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, w = a[first], b[first], w[first]
    return sparse.coo_matrix(
        (np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n)
    ).tocsr()


@dataclass(frozen=True)
class StopMatrix:
    """Travel between stops: seconds and metres along the fastest path (network + walked access
    at both ends), the network node of each stop, its access distance, and the predecessor
    tree per stop."""

    seconds: npt.NDArray[np.float64]
    metres: npt.NDArray[np.float64]
    node: npt.NDArray[np.int64]
    access_m: npt.NDArray[np.float64]
    predecessors: npt.NDArray[np.int32]

    def path_line(self, graph: TravelGraph, i: int, j: int) -> shapely.LineString:
        """The network path from stop ``i`` to stop ``j`` as a line (for the map)."""
        target = int(self.node[j])
        chain = [target]
        while chain[-1] != self.node[i]:
            previous = int(self.predecessors[i, chain[-1]])
            if previous < 0:
                break
            chain.append(previous)
        chain.reverse()
        if len(chain) < 2:
            chain = chain * 2
        return shapely.LineString(graph.nodes[chain])


def stop_matrix(
    graph: TravelGraph,
    stops: Sequence[shapely.Geometry] | npt.NDArray[np.object_],
    *,
    access_speed_kmh: float = WALK_SPEED_KMH,
    max_access_m: float = 1000.0,
) -> StopMatrix:
    """Times and distances between every pair of stops (points, lines or polygons).

    Each stop joins the network at the main part's node nearest to it (0 m when the node is on
    or inside the stop); the access gap is walked at ``access_speed_kmh``. A stop farther than
    ``max_access_m`` from the network is an error naming it.
    """
    geoms = np.asarray(stops, dtype=object)
    main_nodes = np.flatnonzero(graph.main_part)
    tree = shapely.STRtree(shapely.points(graph.nodes[main_nodes]))
    (stop_i, node_i), dist = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    order = np.argsort(stop_i, kind="stable")
    node = main_nodes[node_i[order]].astype(np.int64)
    access = np.asarray(dist[order], dtype=float)
    far = np.flatnonzero(access > max_access_m)
    if far.size:
        raise DataError(
            MESSAGES.message("stops_off_network", stops=far.tolist(), metres=max_access_m)
        )
    times, predecessors = csgraph.dijkstra(
        graph.seconds, directed=False, indices=node, return_predecessors=True
    )
    network_s = np.asarray(times)[:, node]
    walk_s = access / (access_speed_kmh / 3.6)
    seconds = network_s + walk_s[:, None] + walk_s[None, :]
    np.fill_diagonal(seconds, 0.0)
    if not np.isfinite(seconds).all():
        raise DataError(MESSAGES.message("stops_disconnected"))
    result = StopMatrix(
        seconds, np.zeros_like(seconds), node, access, np.asarray(predecessors, dtype=np.int32)
    )
    n = len(node)
    for i in range(n):
        for j in range(i + 1, n):
            along = result.path_line(graph, i, j).length
            result.metres[i, j] = result.metres[j, i] = along + access[i] + access[j]
    return result
