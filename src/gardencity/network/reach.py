"""Shortest walking distances from many sources, and snapping points onto the graph."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse import csgraph

from gardencity.network.build import WalkGraph

__all__ = ["Snap", "multi_source_distances", "snap_to_graph"]


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
    edges = graph.edge_lines()
    tree = shapely.STRtree(edges)
    idx = tree.query_nearest(points, return_distance=True, all_matches=False)
    (point_i, edge_i), dist = idx
    order = np.argsort(point_i, kind="stable")
    point_i, edge_i, dist = point_i[order], edge_i[order], dist[order]
    along = shapely.line_locate_point(edges[edge_i], points[point_i])
    length = graph.edge_length[edge_i]
    return Snap(dist, graph.edge_u[edge_i], graph.edge_v[edge_i], along, length - along)
