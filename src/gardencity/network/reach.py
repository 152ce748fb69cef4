"""Shortest walking distances from many sources, and snapping points onto the graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import shapely

from gardencity.io.threads import work_pool
from gardencity.network.build import WalkGraph

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

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
    # imported here, as the graph's matrix is made (gardencity.network.build): the command
    # walks the network in a fork of its own (gardencity.indicators.service_start)
    from scipy.sparse import csgraph

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


def snap_xy(
    graph: WalkGraph, xy: npt.NDArray[np.float64], spacing: float = 30.0, *, threads: int = 2
) -> Snap:
    """Snap coordinates ``(n, 2)`` to the nearest edge, as ``snap_to_graph`` does with GEOS,
    on ``threads`` threads (the points are cut the same way whatever their number).

    Candidate edges come from a k-d tree of points at most ``spacing`` apart along the edges:
    an edge at distance ``d`` has a point within ``d + spacing / 2``. Point-to-segment
    distance and the along-edge position use GEOS's formulas (same floats). Points with two
    equally near edges (mostly at a shared node: which one is taken changes the walk by the
    node rounding, up to 1 cm) or, rarely, too many candidates ask GEOS's STRtree, so the
    choice is the one ``snap_to_graph`` always made.
    """
    n = len(xy)
    if n == 0:
        e = np.zeros(0, dtype=np.int64)
        return Snap(np.zeros(0), e, e, np.zeros(0), np.zeros(0))
    a = graph.nodes[graph.edge_u]
    b = graph.nodes[graph.edge_v]
    # imported here: scipy.spatial takes a quarter of a second to import, and the command
    # snaps its cells in a fork of its own (gardencity.indicators.service_start)
    from scipy.spatial import cKDTree

    samples, ptr, sample_edges, gap = _edge_samples(graph, spacing)
    tree = cKDTree(samples)
    best = np.zeros(n, dtype=np.int64)
    unsure = np.zeros(n, dtype=bool)

    def run(lo: int) -> None:  # chunks small enough to stay in cache (numpy frees the GIL)
        part = slice(lo, lo + 50_000)
        best[part], unsure[part] = _nearest_edges(graph, tree, xy[part], 8, ptr, sample_edges, gap)

    with work_pool(threads) as pool:
        list(pool.map(run, range(0, n, 50_000)))
    if unsure.any():  # once more with many more candidates
        redo = np.flatnonzero(unsure)
        best[redo], unsure[redo] = _nearest_edges(graph, tree, xy[redo], 64, ptr, sample_edges, gap)
    if unsure.any():
        pts = shapely.points(xy[unsure])
        point_i, edge_i = graph.edge_tree.query_nearest(pts, all_matches=False)
        fix = np.zeros(len(pts), dtype=np.int64)
        fix[point_i] = edge_i
        best[unsure] = fix
    ea, eb = a[best], b[best]
    dist = _segment_distance(xy[:, 0], xy[:, 1], ea, eb)
    along = _along(xy[:, 0], xy[:, 1], ea, eb)
    length = graph.edge_length[best]
    return Snap(dist, graph.edge_u[best], graph.edge_v[best], along, length - along)


def _nearest_edges(
    graph: WalkGraph,
    tree: cKDTree,
    p: npt.NDArray[np.float64],
    k: int,
    ptr: npt.NDArray[np.int64],
    sample_edges: npt.NDArray[np.int64],
    gap: float,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """The nearest edge of each point, and whether GEOS must decide instead."""
    k = min(k, tree.n)
    near_d, near_i = tree.query(p, k=k)
    near_d = np.asarray(near_d).reshape(len(p), k)
    near_i = np.asarray(near_i).reshape(len(p), k)
    # only samples within reach of the nearest edge can lie on a nearest edge
    reach = near_d <= near_d[:, :1] + gap + 1e-6
    row, col = np.nonzero(reach)
    sample = near_i[row, col]
    per = ptr[sample + 1] - ptr[sample]
    row = np.repeat(row, per)
    cand = sample_edges[np.repeat(ptr[sample], per) + _ranks(per)]
    a, b = graph.nodes[graph.edge_u[cand]], graph.nodes[graph.edge_v[cand]]
    d = _segment_distance(p[row, 0], p[row, 1], a, b)
    dmin = np.minimum.reduceat(d, np.searchsorted(row, np.arange(len(p))))
    at_min = np.flatnonzero(d == dmin[row])
    edge = cand[at_min[np.searchsorted(row[at_min], np.arange(len(p)))]]
    unsure = reach[:, -1] & (k < tree.n)
    other = (d <= dmin[row] + 1e-9) & (cand != edge[row])
    unsure[row[other]] = True
    return edge, unsure


def _ranks(counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def _edge_samples(
    graph: WalkGraph, spacing: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64], float]:
    """Points on the edges no more than ``spacing`` apart: the nodes that have edges, then
    points inside longer edges; with the edges each lies on (CSR ``ptr``, ``edges``) and
    half the largest gap between neighbouring points of one edge."""
    n_edges = len(graph.edge_u)
    ends = np.concatenate([graph.edge_u, graph.edge_v])
    order = np.argsort(ends, kind="stable")
    node_deg = np.bincount(ends, minlength=graph.n_nodes)
    used = np.flatnonzero(node_deg)
    pieces = np.maximum(np.ceil(graph.edge_length / spacing).astype(np.int64), 1)
    inner = pieces - 1
    inner_edge = np.repeat(np.arange(n_edges), inner)
    frac = (_ranks(inner) + 1) / pieces[inner_edge]
    a = graph.nodes[graph.edge_u[inner_edge]]
    b = graph.nodes[graph.edge_v[inner_edge]]
    samples = np.concatenate([graph.nodes[used], a + frac[:, None] * (b - a)])
    counts = np.concatenate([node_deg[used], np.ones(len(inner_edge), dtype=np.int64)])
    ptr = np.concatenate([[0], np.cumsum(counts)])
    edges = np.concatenate([(order % n_edges), inner_edge]).astype(np.int64)
    gap = float(np.max(graph.edge_length / pieces)) / 2.0 if n_edges else 0.0
    return samples, ptr, edges, gap


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
