"""Climate measures: 城市热岛效应强度."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gardencity.errors import DataError, MissingLayerError
from gardencity.indicators.registry import Family
from gardencity.io.raster import Raster
from gardencity.messages import Catalogue
from gardencity.toolkit import (
    raster_zone_sums,
    require_columns,
    require_raster_crs,
    require_same_crs,
    value_result,
)

__all__ = ["FAMILY", "heat_island_intensity"]
MESSAGES = Catalogue(__package__)


def heat_island_intensity(
    zones: gpd.GeoDataFrame,
    built_up_area: gpd.GeoDataFrame,
    temperature: Raster | None = None,
    weather_stations: pd.DataFrame | None = None,
    *,
    ring_inner_m: float = 2000.0,
    ring_outer_m: float = 5000.0,
    months: Sequence[int] = (6, 7, 8),
) -> pd.Series:
    """城市热岛效应强度: how much warmer each zone is than its rural surroundings (°C).

    Raster (preferred when given): ``mean(T in zone) − mean(T in the rural ring)``, the ring
    lying between ``ring_inner_m`` and ``ring_outer_m`` outside the built-up area. Stations:
    per year, mean daily Tmax over ``months`` of urban stations minus that of rural ones, then
    the mean over years (built-up area only). Clause: older EGC definition (S21), GB/T 50563
    wording unverified.

    Examples
    --------
    >>> import shapely
    >>> bua = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10, 10)], crs=4547)
    >>> zones = bua.assign(population=1.0).set_axis(["built_up_area"])
    >>> st = pd.DataFrame({"station_id": ["u", "r"], "is_urban": [True, False],
    ...     "date": pd.to_datetime(["2024-07-01", "2024-07-01"]), "tmax_c": [35.0, 32.5]})
    >>> float(heat_island_intensity(zones, bua, weather_stations=st).iloc[0])
    2.5
    """
    require_same_crs(zones=zones, built_up_area=built_up_area)
    if temperature is not None:
        require_raster_crs(temperature, zones, "land_surface_temperature")
        boundary = shapely.union_all(built_up_area.geometry.to_numpy())
        ring = shapely.difference(
            shapely.buffer(boundary, ring_outer_m), shapely.buffer(boundary, ring_inner_m)
        )
        ring_zone = gpd.GeoDataFrame(geometry=[ring], index=["__ring__"], crs=zones.crs)
        both = pd.concat([zones[["geometry"]], ring_zone])
        sums = raster_zone_sums(temperature, gpd.GeoDataFrame(both, crs=zones.crs))
        means = sums["sum"] / sums["count"].replace(0, np.nan)
        if np.isnan(means["__ring__"]):
            raise DataError(
                MESSAGES.message(
                    "no_rural_pixels", inner=f"{ring_inner_m:.0f}", outer=f"{ring_outer_m:.0f}"
                )
            )
        diff = means.drop("__ring__") - means["__ring__"]
        return value_result(
            diff,
            name="heat_island_intensity",
            unit="degC",
            method="raster",
            rural_mean_c=float(means["__ring__"]),
        )
    if weather_stations is not None:
        require_columns(
            weather_stations, ["station_id", "is_urban", "date", "tmax_c"], "weather_stations"
        )
        table = weather_stations[pd.to_datetime(weather_stations["date"]).dt.month.isin(months)]
        table = table.assign(
            year=pd.to_datetime(table["date"]).dt.year, urban=table["is_urban"].astype(bool)
        )
        per_year = table.groupby(["year", "urban"])["tmax_c"].mean().unstack()
        if True not in per_year or False not in per_year:
            raise DataError(MESSAGES.message("stations_need_both"))
        intensity = float((per_year[True] - per_year[False]).mean())
        values = pd.Series(np.nan, index=zones.index)
        values.iloc[0] = intensity
        return value_result(values, name="heat_island_intensity", unit="degC", method="stations")
    raise MissingLayerError(MESSAGES.message("no_heat_data"))


FAMILY = Family(name="climate", measures=(heat_island_intensity,))
