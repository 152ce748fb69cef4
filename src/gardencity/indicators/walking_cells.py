"""The residential cells of the walking coverage measure, snapped to the walking network.

Cutting the residential land into cells and snapping each cell to its nearest road is most
of that measure's work. It depends on no park, so the assessment can have another process
do it while the other measures are computed
(:func:`gardencity.indicators.service_start.start_service_coverage`).
"""

from __future__ import annotations

from typing import NamedTuple

import geopandas as gpd
import numpy as np

from gardencity.network import Snap, WalkGraph, snap_xy
from gardencity.toolkit import CellTable, RunContext, cell_table, residential_pieces, shared

__all__ = ["WalkingCells", "walking_cells"]


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
    return WalkingCells(table, snap_xy(walk_graph, np.stack([table.x[first], table.y[first]], 1)))
