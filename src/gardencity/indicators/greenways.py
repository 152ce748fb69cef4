"""Greenway measures: 城市绿道服务半径覆盖率 and 万人拥有绿道长度."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gardencity.indicators.registry import Family, GapFigure
from gardencity.toolkit import (
    RunContext,
    TiledCover,
    coverage_result,
    ratio_result,
    require_same_crs,
    residential_pieces,
    shared,
    uncovered_ha,
)

__all__ = ["FAMILY", "greenway_length_per_10k", "greenway_service_coverage"]


def greenway_service_coverage(
    zones: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame,
    greenways: gpd.GeoDataFrame,
    run: RunContext | None = None,
    *,
    radius_m: float,
    quad_segs: int = 16,
) -> pd.Series:
    """城市绿道服务半径覆盖率: residential land within ``radius_m`` of a greenway (exact).

    Formula: ``100 × area(residential ∩ ∪ buffer(greenway, radius)) / area(residential)``.
    Clause: definition and radius unconfirmed (standards.md GC-10); the radius is a parameter.

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame({"population": [1.0]}, index=["built_up_area"],
    ...     geometry=[shapely.box(0, 0, 1000, 1000)], crs=4547)
    >>> land = gpd.GeoDataFrame({"category": ["residential"]},
    ...     geometry=[shapely.box(0, 0, 1000, 200)], crs=4547)
    >>> way = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1000, 0)])], crs=4547)
    >>> float(greenway_service_coverage(zones, land, way, radius_m=50).iloc[0])
    25.0
    """
    require_same_crs(zones=zones, land_use=land_use, greenways=greenways)
    cover = TiledCover(
        np.asarray(
            shapely.buffer(greenways.geometry.to_numpy(), radius_m, quad_segs=quad_segs),
            dtype=object,
        )
    )
    pieces = shared(run, residential_pieces, land_use, zones)
    return coverage_result(pieces, cover, zones, "greenway_service_coverage")


def greenway_length_per_10k(zones: gpd.GeoDataFrame, greenways: gpd.GeoDataFrame) -> pd.Series:
    """万人拥有绿道长度: km of greenway inside each zone per 10,000 residents.

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame({"population": [20000.0]}, index=["built_up_area"],
    ...     geometry=[shapely.box(0, 0, 5000, 5000)], crs=4547)
    >>> way = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 1), (3000, 1)])], crs=4547)
    >>> float(greenway_length_per_10k(zones, way).iloc[0])
    1.5
    """
    require_same_crs(zones=zones, greenways=greenways)
    union = shapely.union_all(greenways.geometry.to_numpy()) if len(greenways) else None
    lengths = [
        float(shapely.length(shapely.intersection(z, union))) / 1000.0 if union else 0.0
        for z in zones.geometry.to_numpy()
    ]
    return ratio_result(
        pd.Series(lengths, index=zones.index),
        zones["population"],
        name="greenway_length_per_10k",
        scale=10000.0,
        numerator_unit="km",
        denominator_unit="persons",
    )


FAMILY = Family(
    name="greenways",
    measures=(greenway_service_coverage, greenway_length_per_10k),
    gap_figures=(GapFigure("greenway_service_coverage", "uncovered_ha", uncovered_ha),),
)
