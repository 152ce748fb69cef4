"""Green space measures: 绿地率, 人均公园绿地面积, 万人拥有综合公园指数."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gardencity.indicators import green_union
from gardencity.indicators.registry import Chart, Family
from gardencity.io.threads import prepared_copies
from gardencity.toolkit import (
    RunContext,
    TiledCover,
    matches_classes,
    ratio_result,
    require_columns,
    require_same_crs,
    shared,
    union_area_in_zones,
)

__all__ = [
    "FAMILY",
    "NOT_CONSTRUCTION",
    "GreenCovers",
    "GreenKinds",
    "covers_ratio",
    "green_kinds",
    "green_space_covers",
    "green_space_ratio",
    "green_space_result",
    "near_any",
    "park_area_per_capita",
    "parks_per_10k",
    "parks_per_10k_result",
]

NOT_CONSTRUCTION = ("water", "other")
"""Land-use categories that are not construction land (区域绿地 beside them does not adjoin)."""


def green_space_ratio(
    zones: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame | None = None,
    run: RunContext | None = None,
    *,
    counted_classes: Sequence[str],
    other_green_classes: Sequence[str],
    other_green_cap: float = 0.2,
    adjacency_tolerance_m: float = 1.0,
) -> pd.Series:
    """建成区绿地率: share of each zone that is urban green space.

    Formula: ``100 × (A_in + min(A_other, cap × A_in)) / area(zone)`` where ``A_in`` is the
    unioned area of green spaces of ``counted_classes`` inside construction land and
    ``A_other`` that of ``other_green_classes`` (区域绿地) lying outside construction land but
    adjoining it (within ``adjacency_tolerance_m`` of a construction-land parcel or of counted
    green space). Clause: GB/T 50563-2010 绿地率; the 20 % rule per standards.md §3.2 (S8).
    The unions' areas are summed without building the unions
    (:func:`~gardencity.indicators.green_union.union_area_in_zones`): they differ from the
    areas of the unions GEOS builds only in the last digits (relative 1e-12 at most).

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame({"population": [1.0]}, index=["built_up_area"],
    ...     geometry=[shapely.box(0, 0, 100, 100)], crs=4547)
    >>> green = gpd.GeoDataFrame({"green_class": ["G11", "EG12"],
    ...     "in_construction_land": [True, False]},
    ...     geometry=[shapely.box(0, 0, 50, 20), shapely.box(50, 0, 100, 20)], crs=4547)
    >>> float(green_space_ratio(zones, green, counted_classes=["G1"],
    ...     other_green_classes=["EG"]).iloc[0])
    12.0
    """
    require_same_crs(zones=zones, green_spaces=green_spaces, land_use=land_use)
    kinds = shared(  # computed once in the run
        run,
        green_kinds,
        green_spaces,
        land_use,
        counted_classes=counted_classes,
        other_green_classes=other_green_classes,
        adjacency_tolerance_m=adjacency_tolerance_m,
    )
    zone_geoms = zones.geometry.to_numpy()
    a_in = pd.Series(green_union.union_area_in_zones(kinds.counted, zone_geoms), index=zones.index)
    a_other = pd.Series(0.0, index=zones.index)
    if kinds.adjoining is not None:
        other = green_union.difference_area_in_zones(kinds.adjoining, kinds.counted, zone_geoms)
        a_other = pd.Series(np.maximum(other, 0.0), index=zones.index)  # rounding below zero
    return green_space_result(zones, a_in, a_other, other_green_cap)


class GreenKinds(NamedTuple):
    """The green spaces 绿地率 counts (``counted``) and the other green space that adjoins
    construction land (``adjoining``, with its ``rows`` in the layer; None when none is
    measured)."""

    counted: npt.NDArray[np.object_]
    adjoining: npt.NDArray[np.object_] | None
    rows: npt.NDArray[np.intp]


def green_kinds(
    green_spaces: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame | None = None,
    *,
    counted_classes: Sequence[str],
    other_green_classes: Sequence[str],
    adjacency_tolerance_m: float = 1.0,
) -> GreenKinds:
    """The polygons :func:`green_space_ratio` measures (see there)."""
    require_columns(green_spaces, ["green_class", "in_construction_land"], "green_spaces")
    inside = green_spaces["in_construction_land"].fillna(True).astype(bool)
    counted_mask = matches_classes(green_spaces["green_class"], counted_classes) & inside
    other_mask = matches_classes(green_spaces["green_class"], other_green_classes) & ~inside
    counted = green_spaces[counted_mask].geometry.to_numpy()
    other = green_spaces[other_mask]
    none = np.zeros(0, dtype=np.intp)
    if not len(other):
        return GreenKinds(counted, None, none)
    anchors = [counted]
    if land_use is not None and "category" in land_use:
        built = land_use[~land_use["category"].isin(NOT_CONSTRUCTION)]
        anchors.append(built.geometry.to_numpy())
    anchor_geoms = np.concatenate(anchors)
    if not len(anchor_geoms):
        return GreenKinds(counted, None, none)
    chosen = near_any(other.geometry.to_numpy(), anchor_geoms, adjacency_tolerance_m)
    rows = np.flatnonzero(other_mask.to_numpy())[chosen]
    return GreenKinds(counted, other.geometry.to_numpy()[chosen], rows)


class GreenCovers(NamedTuple):
    """The tiled unions of 绿地率: the counted green space, and the other green space that
    adjoins construction land (None when none is measured) with its rows in the layer."""

    counted: TiledCover
    adjoining: TiledCover | None
    adjoining_rows: npt.NDArray[np.intp]


def green_space_covers(
    green_spaces: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame | None = None,
    run: RunContext | None = None,
    *,
    counted_classes: Sequence[str],
    other_green_classes: Sequence[str],
    adjacency_tolerance_m: float = 1.0,
) -> GreenCovers:
    """The unions :func:`green_space_ratio` measures (see there), tile by tile (the what-if
    engine follows them through edits), of the green spaces the run's measure selected
    (:func:`green_kinds`, selected here where the run has none)."""
    kinds = shared(
        run,
        green_kinds,
        green_spaces,
        land_use,
        counted_classes=counted_classes,
        other_green_classes=other_green_classes,
        adjacency_tolerance_m=adjacency_tolerance_m,
    )
    counted_cover = TiledCover(kinds.counted)
    if kinds.adjoining is None:
        return GreenCovers(counted_cover, None, kinds.rows)
    return GreenCovers(counted_cover, TiledCover(kinds.adjoining), kinds.rows)


def covers_ratio(
    zones: gpd.GeoDataFrame, covers: GreenCovers, other_green_cap: float = 0.2
) -> pd.Series:
    """:func:`green_space_ratio` from the built tiled unions (:func:`green_space_covers`):
    the same formula, with the areas of the unions as GEOS builds them (the what-if engine's
    way); it agrees with the measure to a relative 1e-12.

    >>> import shapely
    >>> zones = gpd.GeoDataFrame(index=["built_up_area"],
    ...     geometry=[shapely.box(0, 0, 100, 100)], crs=4547)
    >>> green = gpd.GeoDataFrame({"green_class": ["G11", "G11"],
    ...     "in_construction_land": [True, True]},
    ...     geometry=[shapely.box(0, 0, 50, 20), shapely.box(40, 0, 60, 20)], crs=4547)
    >>> covers = green_space_covers(green, counted_classes=["G1"], other_green_classes=["EG"])
    >>> float(covers_ratio(zones, covers).iloc[0])
    12.0
    """
    geoms = zones.geometry.to_numpy()
    a_in = pd.Series(covers.counted.overlap_areas(geoms), index=zones.index)
    a_other = pd.Series(0.0, index=zones.index)
    if covers.adjoining is not None:
        other = covers.adjoining.minus(covers.counted)
        a_other = pd.Series(other.overlap_areas(geoms), index=zones.index)
    return green_space_result(zones, a_in, a_other, other_green_cap)


def near_any(
    geoms: npt.NDArray[np.object_], anchors: npt.NDArray[np.object_], distance: float
) -> npt.NDArray[np.intp]:
    """Positions (sorted) of the ``geoms`` within ``distance`` of any of ``anchors``.

    The same query as ``STRtree(anchors).query(geoms, predicate="dwithin")``, but its tree holds
    only the anchors whose boxes come near one of the (few) ``geoms``: a box search over a tree
    of ``geoms`` widened a metre beyond ``distance`` finds them, without a tree over a city's
    hundreds of thousands of parcels.

    >>> import shapely
    >>> anchors = np.array([shapely.box(0, 0, 10, 10), shapely.box(50, 0, 60, 10)])
    >>> near_any(np.array([shapely.box(11, 0, 20, 10), shapely.box(30, 0, 40, 10)]),
    ...     anchors, 1.0).tolist()
    [0]
    """
    reach = shapely.bounds(geoms) + np.array([-1.0, -1.0, 1.0, 1.0]) * (distance + 1.0)
    close = np.unique(shapely.STRtree(shapely.box(*reach.T)).query(anchors)[0])
    near = shapely.STRtree(anchors[close]).query(geoms, predicate="dwithin", distance=distance)[0]
    found: npt.NDArray[np.intp] = np.unique(near)
    return found


def green_space_result(
    zones: gpd.GeoDataFrame, a_in: pd.Series, a_other: pd.Series, other_green_cap: float
) -> pd.Series:
    """The ratio from the counted (``a_in``) and adjoining other (``a_other``) green areas."""
    credited = a_other.clip(upper=other_green_cap * a_in)
    zone_area = pd.Series(shapely.area(zones.geometry.to_numpy()), index=zones.index)
    result = ratio_result(
        a_in + credited,
        zone_area,
        name="green_space_ratio",
        numerator_unit="m2",
        denominator_unit="m2",
    )
    result.attrs["other_green_m2"] = a_other.to_dict()
    result.attrs["other_green_credited_m2"] = credited.to_dict()
    return result


def park_area_per_capita(
    zones: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame,
    *,
    park_classes: Sequence[str],
    require_open: bool = False,
) -> pd.Series:
    """人均公园绿地面积: park green space per resident of each zone (m²/person).

    Formula: ``area(∪ parks of park_classes ∩ zone) / population(zone)``. Clause: GB/T
    50563-2010 人均公园绿地面积; GB 55014-2021 §2.1.3 (> 8.0); 国家生态园林城市 2022 (S2).

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame({"population": [100.0]}, index=["built_up_area"],
    ...     geometry=[shapely.box(0, 0, 1000, 1000)], crs=4547)
    >>> parks = gpd.GeoDataFrame({"green_class": ["G12"], "is_open": [True]},
    ...     geometry=[shapely.box(0, 0, 100, 100)], crs=4547)
    >>> float(park_area_per_capita(zones, parks, park_classes=["G1"]).iloc[0])
    100.0
    """
    require_same_crs(zones=zones, green_spaces=green_spaces)
    require_columns(zones, ["population"], "zones")
    parks = green_spaces[matches_classes(green_spaces["green_class"], park_classes)]
    if require_open and "is_open" in parks:
        parks = parks[parks["is_open"].fillna(True).astype(bool)]
    area = union_area_in_zones(parks, zones)
    return ratio_result(
        area,
        zones["population"],
        name="park_area_per_capita",
        scale=1.0,
        numerator_unit="m2",
        denominator_unit="persons",
    )


def parks_per_10k(
    zones: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame,
    *,
    park_classes: Sequence[str],
    min_area_m2: float = 0.0,
) -> pd.Series:
    """万人拥有综合公园指数: parks of ``park_classes`` per 10,000 residents.

    Formula: ``count(parks with area ≥ min_area_m2 whose representative point is in the zone)
    / (population / 10 000)``. Clause: GB/T 50563-2010 万人拥有综合公园指数 (unverified).

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame({"population": [20000.0]}, index=["built_up_area"],
    ...     geometry=[shapely.box(0, 0, 1000, 1000)], crs=4547)
    >>> parks = gpd.GeoDataFrame({"green_class": ["G11", "G12"]},
    ...     geometry=[shapely.box(0, 0, 100, 100), shapely.box(200, 0, 300, 100)], crs=4547)
    >>> float(parks_per_10k(zones, parks, park_classes=["G11"]).iloc[0])
    0.5
    """
    require_same_crs(zones=zones, green_spaces=green_spaces)
    require_columns(zones, ["population"], "zones")
    parks = green_spaces[matches_classes(green_spaces["green_class"], park_classes)]
    parks = parks[shapely.area(parks.geometry.to_numpy()) >= min_area_m2]
    points = shapely.point_on_surface(parks.geometry.to_numpy())
    zone_geoms = prepared_copies(zones.geometry.to_numpy())
    counts = [int(shapely.contains(z, points).sum()) if len(points) else 0 for z in zone_geoms]
    return parks_per_10k_result(zones, pd.Series(counts, index=zones.index, dtype=float))


def parks_per_10k_result(zones: gpd.GeoDataFrame, counts: pd.Series) -> pd.Series:
    """Parks per 10,000 residents from the count of parks in each zone."""
    return ratio_result(
        counts,
        zones["population"],
        name="parks_per_10k",
        scale=10000.0,
        numerator_unit="count",
        denominator_unit="persons",
    )


FAMILY = Family(
    name="green_space",
    measures=(green_space_ratio, park_area_per_capita, parks_per_10k),
    charts=(
        Chart("green_space_ratio"),
        Chart("park_area_per_capita"),
        Chart("park_area_per_capita", kind="map", title_label="map_per_capita"),
    ),
)
