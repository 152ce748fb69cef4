"""Park service-radius measures: by straight line and by walking distance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gardencity.indicators.registry import Chart, Diagnostic, Family, GapFigure
from gardencity.indicators.service_cover import (
    Bands,
    CoveredPieces,
    ServiceCover,
    covered_pieces,
    service_cover,
    service_covered_m2,
)
from gardencity.indicators.walking_cells import entrance_nodes, walked_cells
from gardencity.network import Snap, WalkGraph
from gardencity.toolkit import (
    CITY_ZONE,
    CellTable,
    RunContext,
    covered_result,
    district_of,
    eligible_parks,
    per_zone,
    ratio_result,
    require_same_crs,
    residential_pieces,
    shared,
    uncovered_ha,
)

__all__ = [
    "FAMILY",
    "CoveredPieces",
    "ServiceCover",
    "WalkingReach",
    "covered_pieces",
    "entrance_nodes",
    "park_service_coverage",
    "park_service_coverage_walking",
    "service_cover",
    "service_covered_m2",
    "straight_line_layers",
    "walking_layers",
    "walking_reach",
    "walking_table",
]


def park_service_coverage(
    zones: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame,
    historic_districts: gpd.GeoDataFrame | None = None,
    run: RunContext | None = None,
    *,
    bands: Bands,
    eligible_classes: Sequence[str],
    require_open: bool = True,
    quad_segs: int = 16,
) -> pd.Series:
    """公园绿地服务半径覆盖率 by straight-line distance (exact, not rasterised).

    Formula: ``100 × area(residential ∩ ∪ buffer(park, r(park))) / area(residential)`` per
    zone, ``r`` from the first size band the park falls in; buffers use ``quad_segs`` segments
    per quarter circle (pinned for reproducible figures). Parks outside the zone still serve
    it. Clause: GB/T 50563-2010 公园绿地服务半径覆盖率; 国家生态园林城市 2022 (S2); GB 55014-2021
    §2.1.3. The radius rule is a parameter (unverified).

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame({"population": [1.0]}, index=["built_up_area"],
    ...     geometry=[shapely.box(0, 0, 2000, 1000)], crs=4547)
    >>> land = gpd.GeoDataFrame({"category": ["residential"]},
    ...     geometry=[shapely.box(0, 0, 2000, 100)], crs=4547)
    >>> park = gpd.GeoDataFrame({"green_class": ["G12"], "is_open": [True]},
    ...     geometry=[shapely.box(0, 200, 100, 300)], crs=4547)
    >>> v = park_service_coverage(zones, land, park, bands=[{"min_area_m2": 5000,
    ...     "radius_m": 500}], eligible_classes=["G1"])
    >>> round(float(v.iloc[0]), 2)   # exact circle: 57,600.8 m² of 200,000 m² = 28.80 %
    28.78
    """
    require_same_crs(
        zones=zones,
        land_use=land_use,
        green_spaces=green_spaces,
        historic_districts=historic_districts,
    )
    pieces, covered = shared(
        run,
        covered_pieces,
        zones,
        land_use,
        green_spaces,
        historic_districts,
        run,
        bands=bands,
        eligible_classes=eligible_classes,
        require_open=require_open,
        quad_segs=quad_segs,
    )
    return covered_result(pieces, covered, zones, "park_service_coverage")


class WalkingReach(NamedTuple):
    """What the walking measure computes before deciding its cells: the residential pieces,
    their cells, the cells' snap to the network (one per cell key; None when nothing is
    walked: no cells, parks or network), the parks' entrances (park row, node) and, per
    service radius, the network distance from the entrances to every node."""

    parks: gpd.GeoDataFrame
    pieces: gpd.GeoDataFrame
    table: CellTable
    snap: Snap | None
    park_i: npt.NDArray[np.int64]
    node_i: npt.NDArray[np.int64]
    node_distance: dict[float, npt.NDArray[np.float64]]


def walking_reach(
    zones: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame,
    walk_graph: WalkGraph,
    park_entrances: gpd.GeoDataFrame | None,
    historic_districts: gpd.GeoDataFrame | None,
    run: RunContext | None = None,
    *,
    bands: Bands,
    eligible_classes: Sequence[str],
    require_open: bool,
    entrance_max_distance_m: float,
    cell_size_m: float,
) -> WalkingReach:
    """The walking measure's intermediates (shared within a run with the what-if engine,
    which follows them through edits)."""
    parks = shared(
        run,
        eligible_parks,
        green_spaces,
        historic_districts,
        bands=bands,
        eligible_classes=eligible_classes,
        require_open=require_open,
    )
    pieces = shared(run, residential_pieces, land_use, zones)
    walked = shared(
        run,
        walked_cells,
        zones,
        land_use,
        green_spaces,
        walk_graph,
        park_entrances,
        historic_districts,
        run,
        bands=bands,
        eligible_classes=eligible_classes,
        require_open=require_open,
        entrance_max_distance_m=entrance_max_distance_m,
        cell_size_m=cell_size_m,
    )
    return WalkingReach(parks, pieces, *walked)


def walking_table(
    zones: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame,
    walk_graph: WalkGraph,
    park_entrances: gpd.GeoDataFrame | None,
    historic_districts: gpd.GeoDataFrame | None,
    run: RunContext | None = None,
    *,
    bands: Bands,
    eligible_classes: Sequence[str],
    require_open: bool,
    entrance_max_distance_m: float,
    cell_size_m: float,
) -> tuple[gpd.GeoDataFrame, CellTable, npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """The residential pieces, their cells as numbers (``CellTable``; polygons on demand with
    ``CellTable.geometries``), and each cell's walking distance and covered flag (the measure
    and its diagnostic layer share it within a run)."""
    reach = shared(
        run,
        walking_reach,
        zones,
        land_use,
        green_spaces,
        walk_graph,
        park_entrances,
        historic_districts,
        run,
        bands=bands,
        eligible_classes=eligible_classes,
        require_open=require_open,
        entrance_max_distance_m=entrance_max_distance_m,
        cell_size_m=cell_size_m,
    )
    table = reach.table
    n_keys = len(table.first_of_key())
    covered = np.zeros(n_keys, dtype=bool)
    best = np.full(n_keys, np.inf)
    if reach.snap is not None:
        for radius, nodes in reach.node_distance.items():
            dist = reach.snap.network_distance(nodes)
            covered |= dist <= radius
            best = np.minimum(best, dist)
    return reach.pieces, table, best[table.key], covered[table.key]


def park_service_coverage_walking(
    zones: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame,
    walk_graph: WalkGraph,
    park_entrances: gpd.GeoDataFrame | None = None,
    historic_districts: gpd.GeoDataFrame | None = None,
    run: RunContext | None = None,
    *,
    bands: Bands,
    eligible_classes: Sequence[str],
    require_open: bool = True,
    entrance_max_distance_m: float = 50.0,
    cell_size_m: float = 25.0,
) -> pd.Series:
    """公园服务半径覆盖率 by walking distance on the road network.

    Formula: ``100 × Σ area(cells with d_walk ≤ r) / area(residential)``. Residential land is
    cut into ``cell_size_m`` squares; a cell's distance is the straight snap from its interior
    point to the nearest edge, plus the along-edge way to a node, plus the shortest network
    path (scipy csgraph multi-source Dijkstra) to an entrance of a park of radius ``r``.
    Entrances are the given gates, else network nodes within ``entrance_max_distance_m`` of
    the park (an approximation, recorded in the method). Clause: as the straight-line measure;
    which distance the standard intends is unconfirmed.

    Examples
    --------
    >>> import shapely
    >>> from gardencity.network import walk_graph_from_roads
    >>> zones = gpd.GeoDataFrame({"population": [1.0]}, index=["built_up_area"],
    ...     geometry=[shapely.box(0, 0, 1000, 100)], crs=4547)
    >>> land = gpd.GeoDataFrame({"category": ["residential"]},
    ...     geometry=[shapely.box(0, 10, 1000, 60)], crs=4547)
    >>> park = gpd.GeoDataFrame({"green_class": ["G11"]},
    ...     geometry=[shapely.box(-100, 0, 0, 100)], crs=4547)
    >>> road = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1000, 0)])], crs=4547)
    >>> v = park_service_coverage_walking(zones, land, park, walk_graph_from_roads(road),
    ...     bands=[{"min_area_m2": 5000, "radius_m": 500}], eligible_classes=["G1"],
    ...     cell_size_m=50)
    >>> float(v.iloc[0])   # cells up to x = 450 are within 500 m (snap 35 m + 450 m)
    45.0
    """
    require_same_crs(
        zones=zones,
        land_use=land_use,
        green_spaces=green_spaces,
        park_entrances=park_entrances,
        historic_districts=historic_districts,
    )
    pieces, table, _, covered = shared(
        run,
        walking_table,
        zones,
        land_use,
        green_spaces,
        walk_graph,
        park_entrances,
        historic_districts,
        run,
        bands=bands,
        eligible_classes=eligible_classes,
        require_open=require_open,
        entrance_max_distance_m=entrance_max_distance_m,
        cell_size_m=cell_size_m,
    )
    # sums per piece first (bincount), then per zone over the far fewer pieces
    zone_ids = pieces["zone_id"].to_numpy()
    n = len(pieces)
    area = np.bincount(table.piece, weights=table.area, minlength=n).astype(np.float64)
    covered_area = np.bincount(
        table.piece, weights=np.where(covered, table.area, 0.0), minlength=n
    ).astype(np.float64)
    return ratio_result(
        per_zone(covered_area, zone_ids, zones),
        per_zone(area, zone_ids, zones),
        name="park_service_coverage_walking",
        numerator_unit="m2",
        denominator_unit="m2",
    )


# --- diagnostic layers ---------------------------------------------------------------------


def straight_line_layers(
    zones: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame,
    historic_districts: gpd.GeoDataFrame | None = None,
    run: RunContext | None = None,
    *,
    bands: Bands,
    eligible_classes: Sequence[str],
    require_open: bool = True,
    quad_segs: int = 16,
) -> dict[str, gpd.GeoDataFrame]:
    """Where :func:`park_service_coverage` falls short: the city's residential land outside
    every service area (``uncovered_residential``, with its district), the service areas by
    radius (``service_areas``) and the parks that serve (``eligible_parks``)."""
    parks, buffers, cover = shared(  # as the measure asks: once in the run
        run,
        service_cover,
        green_spaces,
        historic_districts,
        run,
        bands=bands,
        eligible_classes=eligible_classes,
        require_open=require_open,
        quad_segs=quad_segs,
    )
    pieces, covered = shared(
        run,
        covered_pieces,
        zones,
        land_use,
        green_spaces,
        historic_districts,
        run,
        bands=bands,
        eligible_classes=eligible_classes,
        require_open=require_open,
        quad_segs=quad_segs,
    )
    in_city = pieces["zone_id"].to_numpy() == CITY_ZONE
    geoms = pieces.geometry.to_numpy()[in_city]
    rest = shapely.area(geoms) - covered[in_city]
    # only pieces partly covered are cut (an uncovered one is its whole self); a piece left
    # with less than the 1 m² kept below is not cut at all
    outside = geoms[rest > 0.5]
    part = np.flatnonzero(covered[in_city][rest > 0.5] > 0)
    outside[part] = cover.outside_parts(outside[part])
    uncovered = gpd.GeoDataFrame(
        {"area_m2": shapely.area(outside)}, geometry=outside, crs=zones.crs
    )
    uncovered = uncovered[uncovered["area_m2"] > 1.0].reset_index(drop=True)
    uncovered["zone_id"] = district_of(uncovered, zones)
    service = (
        gpd.GeoDataFrame(
            {"radius_m": parks["radius_m"].to_numpy()}, geometry=buffers, crs=zones.crs
        )
        .dissolve(by="radius_m")
        .reset_index()
    )
    columns = [c for c in ("green_class", "name", "area_m2", "radius_m", "geometry") if c in parks]
    return {
        "uncovered_residential": uncovered,
        "service_areas": service,
        "eligible_parks": gpd.GeoDataFrame(
            parks[columns].reset_index(drop=True), geometry="geometry", crs=zones.crs
        ),
    }


def walking_layers(
    zones: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame,
    walk_graph: WalkGraph,
    park_entrances: gpd.GeoDataFrame | None = None,
    historic_districts: gpd.GeoDataFrame | None = None,
    run: RunContext | None = None,
    *,
    bands: Bands,
    eligible_classes: Sequence[str],
    require_open: bool = True,
    entrance_max_distance_m: float = 50.0,
    cell_size_m: float = 25.0,
) -> dict[str, gpd.GeoDataFrame]:
    """Where :func:`park_service_coverage_walking` falls short: the city's residential land
    beyond walking reach, its cells merged per residential piece
    (``uncovered_residential_walking``: area, the shortest walk in m from any of its cells to
    a park — empty where no park is reachable — and district)."""
    pieces, table, walk, covered = shared(  # as the measure asks: once in the run
        run,
        walking_table,
        zones,
        land_use,
        green_spaces,
        walk_graph,
        park_entrances,
        historic_districts,
        run,
        bands=bands,
        eligible_classes=eligible_classes,
        require_open=require_open,
        entrance_max_distance_m=entrance_max_distance_m,
        cell_size_m=cell_size_m,
    )
    in_city = pieces["zone_id"].to_numpy()[table.piece] == CITY_ZONE
    rows = np.flatnonzero(in_city & ~covered)
    piece, merged = table.regions(pieces.geometry.to_numpy(), cell_size_m, rows)
    first = np.searchsorted(table.piece[rows], piece)
    shortest = np.minimum.reduceat(walk[rows], first) if len(rows) else np.zeros(0)
    out = gpd.GeoDataFrame(
        {
            "area_m2": np.bincount(table.piece[rows], weights=table.area[rows])[piece]
            if len(rows)
            else np.zeros(0),
            "walk_m": np.where(np.isinf(shortest), np.nan, shortest),
        },
        geometry=merged,
        crs=zones.crs,
    )
    out["zone_id"] = district_of(out, zones)
    return {"uncovered_residential_walking": out}


_COVERAGE = ("park_service_coverage", "park_service_coverage_walking")

FAMILY = Family(
    name="accessibility",
    measures=(park_service_coverage, park_service_coverage_walking),
    diagnostics=(
        Diagnostic(
            "park_service_coverage",
            ("uncovered_residential", "service_areas", "eligible_parks"),
            straight_line_layers,
        ),
        Diagnostic(
            "park_service_coverage_walking", ("uncovered_residential_walking",), walking_layers
        ),
    ),
    gap_figures=tuple(GapFigure(measure, "uncovered_ha", uncovered_ha) for measure in _COVERAGE),
    charts=(Chart("park_service_coverage"),),
)
