"""Build a vertex-based walking graph from road centrelines.

Every line vertex is a node (coordinates rounded to 1 cm); consecutive vertices of a line are
joined by an edge weighted by its length. Lines that cross without a shared vertex do not
connect (bridges and tunnels in OSM), so the data's topology is respected as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS

from gardencity.io.crs import require_projected

if TYPE_CHECKING:
    from scipy import sparse

__all__ = ["WalkGraph", "unique_points", "walk_graph_from_roads"]


@dataclass(frozen=True)
class WalkGraph:
    """Nodes (x, y), undirected edges (u, v, length) and the symmetric CSR matrix (made
    when first asked for: only the walks need it, and scipy.sparse takes a fifth of a second
    to import, which a process that only snaps or draws never pays)."""

    nodes: npt.NDArray[np.float64]
    edge_u: npt.NDArray[np.int64]
    edge_v: npt.NDArray[np.int64]
    edge_length: npt.NDArray[np.float64]
    crs: CRS

    @property
    def n_nodes(self) -> int:
        return int(self.nodes.shape[0])

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its spatial indexes: they are built again from the coordinates
        when first asked for, faster than their geometries are read back."""
        return {k: v for k, v in self.__dict__.items() if k not in ("node_tree", "edge_tree")}

    @cached_property
    def matrix(self) -> sparse.csr_matrix:
        """The edges as a symmetric sparse matrix of lengths; of parallel edges, the
        shortest."""
        return _length_matrix(self.edge_u, self.edge_v, self.edge_length, self.n_nodes)

    @cached_property
    def node_tree(self) -> shapely.STRtree:
        """Spatial index of the nodes (as points), built when first asked for."""
        return shapely.STRtree(shapely.points(self.nodes))

    @cached_property
    def edge_tree(self) -> shapely.STRtree:
        """Spatial index of the edges (as :meth:`edge_lines`), built when first asked for
        (snapping asks for it only for the few points it cannot decide itself)."""
        return shapely.STRtree(self.edge_lines())

    def edge_lines(self) -> npt.NDArray[np.object_]:
        return np.asarray(
            shapely.linestrings(
                np.stack([self.nodes[self.edge_u], self.nodes[self.edge_v]], axis=1)
            ),
            dtype=object,
        )


def unique_points(
    keys: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.intp]]:
    """``np.unique(keys, axis=0, return_inverse=True)`` of integer points ``(n, 2)``: the
    distinct points in the same order (by x, then y) and each point's position among them,
    sorting one integer per point (several times faster than sorting rows).

    >>> unique_points(np.array([[3, -1], [0, 5], [3, -1], [0, 2]]))[0].tolist()
    [[0, 2], [0, 5], [3, -1]]
    """
    if len(keys) == 0:
        return keys.reshape(0, 2), np.zeros(0, dtype=np.intp)
    low, high = keys.min(axis=0), keys.max(axis=0)
    span_x, span_y = (int(h) - int(lo) + 1 for lo, h in zip(low, high, strict=True))
    if span_x * span_y >= 2**62:  # one integer per point would overflow
        rows, inverse = np.unique(keys, axis=0, return_inverse=True)
        return rows, inverse.ravel()
    flat = (keys[:, 0] - low[0]) * span_y + (keys[:, 1] - low[1])
    distinct, inverse = np.unique(flat, return_inverse=True)
    rows = np.stack([distinct // span_y + low[0], distinct % span_y + low[1]], axis=1)
    return rows, inverse.ravel()


def walk_graph_from_roads(roads: gpd.GeoDataFrame, *, precision_m: float = 0.01) -> WalkGraph:
    """Graph of the walkable roads (``walkable`` true, or every road if the field is absent).

    >>> import shapely
    >>> roads = gpd.GeoDataFrame({"walkable": [True, True]}, geometry=[
    ...     shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(100, 0), (100, 50)])],
    ...     crs=4547)
    >>> g = walk_graph_from_roads(roads)
    >>> g.n_nodes, float(g.edge_length.sum())
    (3, 150.0)
    """
    require_projected(roads, "roads")
    if "walkable" in roads:
        roads = roads[roads["walkable"].fillna(True).astype(bool)]
    lines = shapely.get_parts(roads.geometry.to_numpy())
    lines = lines[shapely.get_type_id(lines) == 1]
    coords, line_index = shapely.get_coordinates(lines, return_index=True)
    coords = coords[:, :2]
    same_line = line_index[1:] == line_index[:-1]
    keys = np.round(coords / precision_m).astype(np.int64)
    unique_keys, inverse = unique_points(keys)
    nodes = unique_keys.astype(float) * precision_m
    u = inverse[:-1][same_line]
    v = inverse[1:][same_line]
    keep = u != v
    u, v = u[keep], v[keep]
    length = np.hypot(*(coords[1:][same_line][keep] - coords[:-1][same_line][keep]).T)
    graph = WalkGraph(
        nodes,
        u.astype(np.int64),
        v.astype(np.int64),
        length,
        CRS.from_user_input(roads.crs),
    )
    return graph


def _length_matrix(
    u: npt.NDArray[np.int64], v: npt.NDArray[np.int64], length: npt.NDArray[np.float64], n: int
) -> sparse.csr_matrix:
    """The symmetric CSR matrix of the edges' lengths, the shortest of parallel edges."""
    from scipy import sparse  # only where the graph is walked

    matrix = sparse.coo_matrix(
        (np.concatenate([length, length]), (np.concatenate([u, v]), np.concatenate([v, u]))),
        shape=(n, n),
    ).tocsr()
    matrix.sum_duplicates()
    # parallel edges: keep the shortest (sum_duplicates added them), rebuild with minimum
    if matrix.nnz != 2 * len(u):
        order = np.lexsort((length, np.minimum(u, v), np.maximum(u, v)))
        pairs = np.stack([np.minimum(u, v), np.maximum(u, v)], axis=1)[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = np.any(pairs[1:] != pairs[:-1], axis=1)
        uu, vv, ll = pairs[first, 0], pairs[first, 1], length[order][first]
        matrix = sparse.coo_matrix(
            (np.concatenate([ll, ll]), (np.concatenate([uu, vv]), np.concatenate([vv, uu]))),
            shape=(n, n),
        ).tocsr()
    return matrix
