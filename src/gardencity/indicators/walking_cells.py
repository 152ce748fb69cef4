"""The walking coverage measure's cells, snapped to the walking network, and the network
distances from the parks' entrances.

Cutting the residential land into cells, snapping each cell to its nearest road and walking
the network from the parks is most of that measure's work. It needs no other measure's
result and gives only numbers, so the assessment can have another process do it while the
other measures are computed
(:func:`gardencity.indicators.service_start.start_service_coverage`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from gardencity.network import Snap, WalkGraph, multi_source_distances, snap_xy
from gardencity.toolkit import (
    CellTable,
    RunContext,
    cell_table,
    eligible_parks,
    residential_pieces,
    shared,
    work_threads,
)

__all__ = ["WalkedCells", "WalkingCells", "entrance_nodes", "walked_cells", "walking_cells"]


class WalkingCells(NamedTuple):
    """The cells of the residential pieces (``toolkit.residential_pieces``, rows in its
    order) and their snap to the network, one per cell key (None when there are no cells
    or no network)."""

    table: CellTable
    snap: Snap | None


def walking_cells(
    zones: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame,
    walk_graph: WalkGraph,
    run: RunContext | None = None,
    *,
    cell_size_m: float,
) -> WalkingCells:
    """The residential land cut into ``cell_size_m`` squares, each cell's interior point
    snapped to the nearest edge of ``walk_graph`` (shared within a run)."""
    pieces = shared(run, residential_pieces, land_use, zones)
    table = cell_table(pieces.geometry.to_numpy(), cell_size_m)
    first = table.first_of_key()
    if not (len(first) and walk_graph.n_nodes):
        return WalkingCells(table, None)
    xy = np.stack([table.x[first], table.y[first]], 1)
    return WalkingCells(table, snap_xy(walk_graph, xy, threads=work_threads()))


class WalkedCells(NamedTuple):
    """:class:`WalkingCells`, the parks' entrances (rows of ``toolkit.eligible_parks``, and
    their nodes) and, per service radius, the network distance from the entrances to every
    node (the snap is None, and the rest empty, when nothing is walked: no cells, parks or
    network)."""

    table: CellTable
    snap: Snap | None
    park_i: npt.NDArray[np.int64]
    node_i: npt.NDArray[np.int64]
    node_distance: dict[float, npt.NDArray[np.float64]]


def walked_cells(
    zones: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame,
    walk_graph: WalkGraph,
    park_entrances: gpd.GeoDataFrame | None,
    historic_districts: gpd.GeoDataFrame | None,
    run: RunContext | None = None,
    *,
    bands: Sequence[Mapping[str, Any]],
    eligible_classes: Sequence[str],
    require_open: bool,
    entrance_max_distance_m: float,
    cell_size_m: float,
) -> WalkedCells:
    """The residential cells snapped to the network (:func:`walking_cells`) and the walks
    from the eligible parks' entrances, one per service radius (shared within a run)."""
    parks = shared(
        run,
        eligible_parks,
        green_spaces,
        historic_districts,
        bands=bands,
        eligible_classes=eligible_classes,
        require_open=require_open,
    )
    table, snap = shared(
        run, walking_cells, zones, land_use, walk_graph, run, cell_size_m=cell_size_m
    )
    none = np.zeros(0, dtype=np.int64)
    if snap is None or not len(parks):
        return WalkedCells(table, None, none, none, {})
    park_i, node_i = entrance_nodes(walk_graph, parks, park_entrances, entrance_max_distance_m)
    radii = parks["radius_m"].to_numpy()
    node_distance = {
        float(radius): multi_source_distances(walk_graph, node_i[radii[park_i] == radius], radius)
        for radius in np.unique(radii)
    }
    return WalkedCells(table, snap, park_i, node_i, node_distance)


def entrance_nodes(
    graph: WalkGraph,
    parks: gpd.GeoDataFrame,
    park_entrances: gpd.GeoDataFrame | None,
    max_distance: float,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(park position, node) pairs: given gates near a park, else nodes near its boundary."""
    park_geoms = parks.geometry.to_numpy()
    node_tree = graph.node_tree
    if park_entrances is not None and len(park_entrances):
        gates = park_entrances.geometry.to_numpy()
        park_i, gate_i = shapely.STRtree(gates).query(
            park_geoms, predicate="dwithin", distance=max_distance
        )
        nearest = node_tree.query_nearest(gates[gate_i], all_matches=False)[1]
        has_gate = np.zeros(len(parks), dtype=bool)
        has_gate[park_i] = True
        rest = np.flatnonzero(~has_gate)
        if rest.size == 0:
            return park_i, nearest
        pi, ni = _nodes_near(node_tree, park_geoms[rest], max_distance)
        return np.concatenate([park_i, rest[pi]]), np.concatenate([nearest, ni])
    return _nodes_near(node_tree, park_geoms, max_distance)


def _nodes_near(
    node_tree: shapely.STRtree, geoms: npt.NDArray[np.object_], distance: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    park_i, node_i = node_tree.query(geoms, predicate="dwithin", distance=distance)
    return park_i.astype(np.int64), node_i.astype(np.int64)
