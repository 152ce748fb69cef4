"""Geometry shared by the service-radius measures: eligible parks, residential pieces, coverage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gardencity.errors import DataError
from gardencity.toolkit.checks import require_columns
from gardencity.toolkit.classes import matches_classes
from gardencity.toolkit.zonal import pieces_by_zone

__all__ = ["band_radius", "covered_areas", "eligible_parks", "residential_pieces"]


def eligible_parks(
    green_spaces: gpd.GeoDataFrame,
    historic_districts: gpd.GeoDataFrame | None,
    *,
    bands: Sequence[Mapping[str, Any]],
    eligible_classes: Sequence[str],
    require_open: bool,
) -> gpd.GeoDataFrame:
    """Parks that serve residents, each with the ``radius_m`` of the first band it falls in."""
    require_columns(green_spaces, ["green_class"], "green_spaces")
    if not bands:
        raise DataError("No service-radius bands given. Fix: list `bands` in the catalogue.")
    parks = green_spaces[matches_classes(green_spaces["green_class"], eligible_classes)].copy()
    if require_open and "is_open" in parks:
        parks = parks[parks["is_open"].fillna(True).astype(bool)]
    area = shapely.area(parks.geometry.to_numpy())
    in_historic = np.zeros(len(parks), dtype=bool)
    if historic_districts is not None and len(historic_districts) and len(parks):
        historic = shapely.union_all(historic_districts.geometry.to_numpy())
        in_historic = shapely.intersects(parks.geometry.to_numpy(), historic)
    radius = band_radius(area, in_historic, bands)
    parks["area_m2"] = area
    parks["radius_m"] = radius
    return parks[~np.isnan(radius)]


def band_radius(
    area_m2: npt.NDArray[np.float64],
    in_historic: npt.NDArray[np.bool_],
    bands: Sequence[Mapping[str, Any]],
) -> npt.NDArray[np.float64]:
    """The radius of the first band each area falls in (``historic_only`` bands only where
    ``in_historic``); NaN where none applies."""
    radius = np.full(len(area_m2), np.nan)
    for band in reversed(list(bands)):  # the first matching band wins
        lo = float(band.get("min_area_m2", 0.0))
        hi = band.get("max_area_m2")
        hit = (area_m2 >= lo) & (area_m2 < (float(hi) if hi is not None else np.inf))
        if band.get("historic_only", False):
            hit &= in_historic
        radius = np.where(hit, float(band["radius_m"]), radius)
    return radius


def residential_pieces(land_use: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Residential land (category ``residential``) cut by zone (the service-radius measures
    share it within a run: ``shared(run, residential_pieces, land_use, zones)``)."""
    require_columns(land_use, ["category"], "land_use")
    residential = land_use[land_use["category"] == "residential"]
    return pieces_by_zone(residential[["geometry"]], zones)


def covered_areas(
    pieces: npt.NDArray[np.object_], cover: shapely.Geometry | None
) -> npt.NDArray[np.float64]:
    """Area of each piece inside ``cover``: whole pieces where contained, else intersected."""
    out = np.zeros(len(pieces))
    if cover is None or cover.is_empty or len(pieces) == 0:
        return out
    shapely.prepare(cover)
    inside = shapely.contains_properly(cover, pieces)
    out[inside] = shapely.area(pieces[inside])
    touching = ~inside & shapely.intersects(cover, pieces)
    if touching.any():
        out[touching] = shapely.area(shapely.intersection(pieces[touching], cover))
    return out


def per_zone(
    values: npt.NDArray[np.float64], zone_ids: npt.NDArray[Any], zones: gpd.GeoDataFrame
) -> pd.Series:
    sums = pd.Series(values).groupby(pd.Series(zone_ids)).sum()
    return sums.reindex(zones.index, fill_value=0.0).astype(float)
