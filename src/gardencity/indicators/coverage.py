"""Green coverage measures: 建成区绿化覆盖率 and 乔灌木占比."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from gardencity.errors import DataError, GardenCityError
from gardencity.indicators.registry import Chart, Family, GapFigure
from gardencity.io.raster import Raster
from gardencity.messages import Catalogue
from gardencity.toolkit import (
    RunContext,
    raster_class_counts,
    ratio_result,
    require_raster_crs,
    require_same_crs,
    shared,
    uncovered_ha,
    union_area_in_zones,
)

__all__ = [
    "CANOPY_MEASURES",
    "FAMILY",
    "canopy_class_counts",
    "green_coverage_ratio",
    "start_canopy_class_counts",
    "tree_shrub_share",
]
MESSAGES = Catalogue(__package__)


def _pick_source(vegetation: gpd.GeoDataFrame | None, canopy: Raster | None, source: str) -> str:
    if source == "auto":
        source = "raster" if canopy is not None else "polygons"
    if source == "raster" and canopy is None:
        raise DataError(MESSAGES.message("no_canopy_raster"))
    if source == "polygons" and vegetation is None:
        raise DataError(MESSAGES.message("no_vegetation"))
    if source not in ("raster", "polygons"):
        raise DataError(MESSAGES.message("unknown_cover_source", source=source))
    return source


_ALL_COVER = ("tree", "shrub", "grass", "any")
_WOODY = ("tree", "shrub")


def _class_ids(canopy: Raster, names: tuple[str, ...]) -> list[int]:
    classes = canopy.classes or {"tree": 1, "shrub": 2, "grass": 3}
    return sorted({int(classes[name]) for name in names if name in classes})


def canopy_class_counts(zones: gpd.GeoDataFrame, canopy: Raster) -> pd.DataFrame:
    """Per zone: the valid pixels of the canopy raster and those of each cover class (tree,
    shrub, grass), counted in one pass that the coverage measures share within a run."""
    return raster_class_counts(canopy, zones, _class_ids(canopy, _ALL_COVER))


def start_canopy_class_counts(
    run: RunContext, executor: Executor, wanted: Iterable[tuple[str, Mapping[str, Any]]]
) -> tuple[str, ...]:
    """Have ``executor`` (another process) count the run's canopy classes per zone
    (:func:`canopy_class_counts`) while the caller computes other measures, if a measure
    of ``wanted`` (measure name and parameters, as a standard lists them) counts them from
    the raster; the coverage measures get the counts from the run. The measures that wait
    for the counts (to be computed last), or none where nothing was started."""
    if all(
        measure not in CANOPY_MEASURES or params.get("source", "auto") == "polygons"
        for measure, params in wanted
    ):
        return ()
    try:
        canopy = run.get("canopy")
    except GardenCityError:  # the measures report it
        return ()
    if canopy is None:
        return ()
    run.start(executor, canopy_class_counts, run.get("zones"), canopy)
    return CANOPY_MEASURES


def _cover_areas(
    zones: gpd.GeoDataFrame,
    vegetation: gpd.GeoDataFrame | None,
    canopy: Raster | None,
    source: str,
    types: tuple[tuple[str, ...], ...],
    run: RunContext | None,
) -> tuple[list[pd.Series], pd.Series]:
    """Cover area per zone for each group of ``types``, and the observed area they are shares of.

    From a raster, one pass counts the pixels of every class needed (nodata pixels are not
    observed); from polygons, each group is the union of its vegetation types.
    """
    zone_area = pd.Series(shapely.area(zones.geometry.to_numpy()), index=zones.index)
    if _pick_source(vegetation, canopy, source) == "raster":
        assert canopy is not None
        require_same_crs(zones=zones)
        require_raster_crs(canopy, zones, "canopy")
        counts = shared(run, canopy_class_counts, zones, canopy).astype(float)
        covers = [
            counts[_class_ids(canopy, group)].sum(axis=1) * canopy.pixel_area for group in types
        ]
        return covers, counts["valid"] * canopy.pixel_area
    assert vegetation is not None
    require_same_crs(zones=zones, vegetation=vegetation)
    covers = [
        union_area_in_zones(
            vegetation if "any" in group else vegetation[vegetation["veg_type"].isin(group)],
            zones,
        )
        for group in types
    ]
    return covers, zone_area


def green_coverage_ratio(
    zones: gpd.GeoDataFrame,
    vegetation: gpd.GeoDataFrame | None = None,
    canopy: Raster | None = None,
    run: RunContext | None = None,
    *,
    source: str = "auto",
) -> pd.Series:
    """建成区绿化覆盖率: share of each zone under the vertical projection of vegetation.

    Formula: ``100 × area(∪ vegetation ∩ zone) / area(zone)``; overlapping polygons (shrubs or
    grass under a tree crown) are unioned, raster pixels count once, so nothing is counted
    twice; raster pixels without data are left out of the area. Clause: GB/T 50563-2010
    绿化覆盖率; definition per standards.md §3.1 (S7).
    ``source="auto"`` uses the canopy raster when given, else the polygons.

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame({"population": [1.0]}, index=["built_up_area"],
    ...     geometry=[shapely.box(0, 0, 100, 100)], crs=4547)
    >>> veg = gpd.GeoDataFrame({"veg_type": ["tree", "grass"]},
    ...     geometry=[shapely.box(0, 0, 50, 50), shapely.box(25, 0, 75, 50)], crs=4547)
    >>> float(green_coverage_ratio(zones, veg).iloc[0])
    37.5
    """
    (cover,), observed = _cover_areas(zones, vegetation, canopy, source, (_ALL_COVER,), run)
    return ratio_result(
        cover, observed, name="green_coverage_ratio", numerator_unit="m2", denominator_unit="m2"
    )


def tree_shrub_share(
    zones: gpd.GeoDataFrame,
    vegetation: gpd.GeoDataFrame | None = None,
    canopy: Raster | None = None,
    run: RunContext | None = None,
    *,
    source: str = "auto",
) -> pd.Series:
    """乔灌木占比: share of the green cover that is trees or shrubs.

    Formula: ``100 × area(∪ tree/shrub cover ∩ zone) / area(∪ all cover ∩ zone)``; grass under
    a crown counts once, as crown. Clause: 国家生态园林城市 2022 (S2, secondary) 乔灌木占比.

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame({"population": [1.0]}, index=["built_up_area"],
    ...     geometry=[shapely.box(0, 0, 100, 100)], crs=4547)
    >>> veg = gpd.GeoDataFrame({"veg_type": ["tree", "grass"]},
    ...     geometry=[shapely.box(0, 0, 50, 50), shapely.box(25, 0, 75, 50)], crs=4547)
    >>> round(float(tree_shrub_share(zones, veg).iloc[0]), 4)
    66.6667
    """
    (woody, total), _ = _cover_areas(zones, vegetation, canopy, source, (_WOODY, _ALL_COVER), run)
    return ratio_result(
        woody, total, name="tree_shrub_share", numerator_unit="m2", denominator_unit="m2"
    )


#: the measures that count the canopy's classes from the raster (unless told ``source="polygons"``)
CANOPY_MEASURES = ("green_coverage_ratio", "tree_shrub_share")

FAMILY = Family(
    name="coverage",
    measures=(green_coverage_ratio, tree_shrub_share),
    gap_figures=(GapFigure("green_coverage_ratio", "uncovered_ha", uncovered_ha),),
    charts=(
        Chart("green_coverage_ratio"),
        Chart("green_coverage_ratio", kind="map", title_label="map_coverage"),
    ),
)
