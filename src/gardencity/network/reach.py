"""Shortest walking distances from many sources, and snapping points onto the graph."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from gardencity.network.build import WalkGraph

__all__ = ["Snap", "multi_source_distances", "snap_to_graph", "snap_xy"]


def multi_source_distances(
    graph: WalkGraph, sources: npt.ArrayLike, limit: float
) -> npt.NDArray[np.float64]:
    """Network distance from the nearest source to every node (``inf`` beyond ``limit``).

    >>> import geopandas as gpd, shapely
    >>> from gardencity.network.build import walk_graph_from_roads
    >>> g = walk_graph_from_roads(gpd.GeoDataFrame(geometry=[
    ...     shapely.LineString([(0, 0), (100, 0), (300, 0)])], crs=4547))
    >>> multi_source_distances(g, [0], 250).tolist()
    [0.0, 100.0, inf]
    """
    src = np.unique(np.asarray(sources, dtype=np.int64))
    if src.size == 0:
        return np.full(graph.n_nodes, np.inf)
    dist = csgraph.dijkstra(graph.matrix, directed=False, indices=src, min_only=True, limit=limit)
    return np.asarray(dist, dtype=float)


@dataclass(frozen=True)
class Snap:
    """For each point: its distance to the nearest edge, that edge's end nodes and the
    along-edge distances from the snap point to each end."""

    distance: npt.NDArray[np.float64]
    node_u: npt.NDArray[np.int64]
    node_v: npt.NDArray[np.int64]
    to_u: npt.NDArray[np.float64]
    to_v: npt.NDArray[np.float64]

    def network_distance(self, node_distance: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Snap distance plus the shorter way along the edge to a reached node."""
        via_u = node_distance[self.node_u] + self.to_u
        via_v = node_distance[self.node_v] + self.to_v
        return self.distance + np.minimum(via_u, via_v)


def snap_to_graph(graph: WalkGraph, points: npt.NDArray[np.object_]) -> Snap:
    """Snap points to the nearest edge of the graph."""
    return snap_xy(graph, shapely.get_coordinates(points))


def snap_xy(graph: WalkGraph, xy: npt.NDArray[np.float64], spacing: float = 10.0) -> Snap:
    """Snap coordinates ``(n, 2)`` to the nearest edge, as ``snap_to_graph`` does with GEOS.

    Candidate edges come from a k-d tree of points every ``spacing`` metres along the edges:
    every edge within the nearest distance has a sample within it plus ``spacing / 2``.
    Point-to-segment distance and the along-edge position use GEOS's formulas; points whose
    candidates are not all found, or whose two nearest edges are tied, ask GEOS's STRtree.
    """
    n = len(xy)
    if n == 0:
        e = np.zeros(0, dtype=np.int64)
        return Snap(np.zeros(0), e, e, np.zeros(0), np.zeros(0))
    a = graph.nodes[graph.edge_u]
    b = graph.nodes[graph.edge_v]
    pieces = np.maximum(np.ceil(graph.edge_length / spacing).astype(np.int64), 1)
    sample_edge = np.repeat(np.arange(len(a)), pieces + 1)
    frac = (
        np.arange(len(sample_edge)) - np.repeat(np.cumsum(pieces + 1) - pieces - 1, pieces + 1)
    ) / np.repeat(pieces, pieces + 1)
    samples = a[sample_edge] + frac[:, None] * (b - a)[sample_edge]
    k = min(16, len(samples))
    gap = float(np.max(graph.edge_length / pieces)) / 2.0
    best = np.zeros(n, dtype=np.int64)
    ask_geos = np.zeros(n, dtype=bool)
    tree = cKDTree(samples)
    for lo in range(0, n, 500_000):
        p = xy[lo : lo + 500_000]
        near_d, near_i = tree.query(p, k=k)
        near_d = np.asarray(near_d).reshape(len(p), k)
        near_i = np.asarray(near_i).reshape(len(p), k)
        # only samples within reach of the nearest edge can be on a nearest edge
        reach = near_d <= near_d[:, :1] + gap + 1e-6
        row, col = np.nonzero(reach)
        first = np.searchsorted(row, np.arange(len(p)))
        cand = sample_edge[near_i[row, col]]
        d = _segment_distance(p[row, 0], p[row, 1], a[cand], b[cand])
        dmin = np.minimum.reduceat(d, first)
        at_min = np.flatnonzero(d == dmin[row])
        edge = cand[at_min[np.searchsorted(row[at_min], np.arange(len(p)))]]
        other = (d <= dmin[row] + 1e-9) & (cand != edge[row])
        tied = np.bincount(row[other], minlength=len(p)) > 0
        complete = ~reach[:, -1] | (k == len(samples))
        best[lo : lo + len(p)] = edge
        ask_geos[lo : lo + len(p)] = tied | ~complete
    if ask_geos.any():
        lines = graph.edge_lines()
        pts = shapely.points(xy[ask_geos])
        (point_i, edge_i) = shapely.STRtree(lines).query_nearest(pts, all_matches=False)
        fix = np.zeros(len(pts), dtype=np.int64)
        fix[point_i] = edge_i
        best[ask_geos] = fix
    ea, eb = a[best], b[best]
    dist = _segment_distance(xy[:, 0], xy[:, 1], ea, eb)
    along = _along(xy[:, 0], xy[:, 1], ea, eb)
    length = graph.edge_length[best]
    return Snap(dist, graph.edge_u[best], graph.edge_v[best], along, length - along)


def _segment_distance(
    px: npt.NDArray[np.float64],
    py: npt.NDArray[np.float64],
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """GEOS ``Distance::pointToSegment``, elementwise."""
    ax, ay, bx, by = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    ex, ey = bx - ax, by - ay
    len2 = ex * ex + ey * ey
    with np.errstate(divide="ignore", invalid="ignore"):
        r = ((px - ax) * ex + (py - ay) * ey) / len2
        s = ((ay - py) * ex - (ax - px) * ey) / len2
    to_a = np.sqrt((px - ax) ** 2 + (py - ay) ** 2)
    to_b = np.sqrt((px - bx) ** 2 + (py - by) ** 2)
    out = np.where(r <= 0.0, to_a, np.where(r >= 1.0, to_b, np.abs(s) * np.sqrt(len2)))
    return np.where(len2 == 0, to_a, out)


def _along(
    px: npt.NDArray[np.float64],
    py: npt.NDArray[np.float64],
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """GEOS ``LengthIndexedLine.project`` on a one-segment line, elementwise."""
    ax, ay, bx, by = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
    ex, ey = bx - ax, by - ay
    length = np.sqrt(ex * ex + ey * ey)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = ((px - ax) * ex + (py - ay) * ey) / (ex * ex + ey * ey)
    r = np.where((px == ax) & (py == ay), 0.0, np.where((px == bx) & (py == by), 1.0, r))
    return np.where(r <= 0.0, 0.0, np.where(r <= 1.0, r * length, length))
