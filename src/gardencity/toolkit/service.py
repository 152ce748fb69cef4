"""The service-radius geometry: parks that serve residents (by size band), residential
pieces, covered areas and sums per zone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gardencity.errors import DataError
from gardencity.io.threads import prepared_copies
from gardencity.messages import Catalogue
from gardencity.toolkit.checks import require_columns
from gardencity.toolkit.classes import matches_classes
from gardencity.toolkit.cover import TiledCover
from gardencity.toolkit.results import ratio_result
from gardencity.toolkit.zonal import pieces_by_zone

__all__ = [
    "band_radius",
    "coverage_result",
    "covered_areas",
    "covered_result",
    "eligible_parks",
    "per_zone",
    "residential_pieces",
]
MESSAGES = Catalogue(__package__)


def eligible_parks(
    green_spaces: gpd.GeoDataFrame,
    historic_districts: gpd.GeoDataFrame | None,
    *,
    bands: Sequence[Mapping[str, Any]],
    eligible_classes: Sequence[str],
    require_open: bool,
) -> gpd.GeoDataFrame:
    """Parks that serve residents, each with the service radius of its size band.

    Parameters
    ----------
    green_spaces
        The ``green_spaces`` input (``green_class``; ``is_open`` where known).
    historic_districts
        Polygons of historic districts (bands marked ``historic_only`` apply to parks that
        touch one), or None.
    bands
        Size bands, first match wins: ``{"min_area_m2", "max_area_m2" (optional),
        "radius_m", "historic_only" (optional)}``.
    eligible_classes
        Class-code prefixes of the parks that count (``["G1"]`` matches G11, G12 …).
    require_open
        Leave out parks marked ``is_open = False`` (unknown counts as open).

    Returns
    -------
    GeoDataFrame
        The eligible rows of ``green_spaces`` that fall in a band, with ``area_m2`` and
        ``radius_m``.

    Examples
    --------
    >>> import shapely
    >>> green = gpd.GeoDataFrame({"green_class": ["G11", "G12", "G2"]}, crs=4547,
    ...     geometry=[shapely.box(0, 0, 100, 100), shapely.box(0, 0, 30, 30),
    ...               shapely.box(0, 0, 100, 100)])
    >>> parks = eligible_parks(green, None, bands=[{"min_area_m2": 5000, "radius_m": 500},
    ...     {"min_area_m2": 400, "max_area_m2": 5000, "radius_m": 300}],
    ...     eligible_classes=["G1"], require_open=True)
    >>> parks[["green_class", "area_m2", "radius_m"]].to_numpy().tolist()
    [['G11', 10000.0, 500.0], ['G12', 900.0, 300.0]]
    """
    require_columns(green_spaces, ["green_class"], "green_spaces")
    if not bands:
        raise DataError(MESSAGES.message("no_service_bands"))
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
    """The radius of the first band each area falls in; NaN where none applies.

    Parameters
    ----------
    area_m2
        Park areas.
    in_historic
        Whether each park lies in a historic district (``historic_only`` bands apply only
        there).
    bands
        As for :func:`eligible_parks`.

    Examples
    --------
    >>> band_radius(np.array([6000.0, 900.0, 100.0]), np.zeros(3, dtype=bool),
    ...     [{"min_area_m2": 5000, "radius_m": 500},
    ...      {"min_area_m2": 400, "max_area_m2": 5000, "radius_m": 300}]).tolist()
    [500.0, 300.0, nan]
    """
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
    """Residential land cut by zone, as :func:`~gardencity.toolkit.zonal.pieces_by_zone` cuts it.

    The service-radius measures share it within a run:
    ``shared(run, residential_pieces, land_use, zones)``.

    Parameters
    ----------
    land_use
        The ``land_use`` input (parcels of category ``residential`` are taken).
    zones
        The zones.

    Returns
    -------
    GeoDataFrame
        One row per (parcel, zone) with area in common: ``geometry``, ``zone_id`` and
        ``source`` (the parcel's position among the residential parcels).
    """
    require_columns(land_use, ["category"], "land_use")
    residential = land_use[land_use["category"] == "residential"]
    return pieces_by_zone(residential[["geometry"]], zones)


def covered_areas(
    pieces: npt.NDArray[np.object_], cover: shapely.Geometry | None
) -> npt.NDArray[np.float64]:
    """Area of each piece inside ``cover``: whole pieces where contained, else intersected.

    Parameters
    ----------
    pieces
        Polygons.
    cover
        One (unioned) geometry, or None for nothing.

    Examples
    --------
    >>> import shapely
    >>> covered_areas(np.array([shapely.box(0, 0, 10, 10), shapely.box(5, 0, 15, 10)]),
    ...     shapely.box(0, 0, 10, 10)).tolist()
    [100.0, 50.0]
    """
    out = np.zeros(len(pieces))
    if cover is None or cover.is_empty or len(pieces) == 0:
        return out
    cover = prepared_copies(cover)
    inside = shapely.contains_properly(cover, pieces)
    out[inside] = shapely.area(pieces[inside])
    touching = ~inside & shapely.intersects(cover, pieces)
    if touching.any():
        out[touching] = shapely.area(shapely.intersection(pieces[touching], cover))
    return out


def per_zone(
    values: npt.NDArray[np.float64], zone_ids: npt.NDArray[Any], zones: gpd.GeoDataFrame
) -> pd.Series:
    """Sum of ``values`` per zone (zones without a value get 0).

    Parameters
    ----------
    values
        One number per row.
    zone_ids
        The zone of each row.
    zones
        The zones (the result is indexed like them).

    Examples
    --------
    >>> zones = gpd.GeoDataFrame(index=["built_up_area", "d1", "d2"], geometry=[None] * 3)
    >>> per_zone(np.array([1.0, 2.0, 4.0]), np.array(["built_up_area", "d1", "built_up_area"]),
    ...     zones).tolist()
    [5.0, 2.0, 0.0]
    """
    sums = pd.Series(values).groupby(pd.Series(zone_ids)).sum()
    return sums.reindex(zones.index, fill_value=0.0).astype(float)


def coverage_result(
    pieces: gpd.GeoDataFrame, cover: TiledCover, zones: gpd.GeoDataFrame, name: str
) -> pd.Series:
    """The share of the pieces' area inside ``cover``, per zone, as a percentage.

    Parameters
    ----------
    pieces
        Polygons cut by zone (``zone_id``), e.g. :func:`residential_pieces`.
    cover
        The union that covers them (e.g. the parks' service areas).
    zones
        The zones.
    name
        The measure's name.

    Returns
    -------
    Series
        A :func:`~gardencity.toolkit.results.ratio_result` of covered m² over m².

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame(index=["built_up_area"], geometry=[shapely.box(0, 0, 9, 9)])
    >>> pieces = gpd.GeoDataFrame({"zone_id": ["built_up_area"]},
    ...     geometry=[shapely.box(0, 0, 4, 5)])
    >>> cover = TiledCover(np.array([shapely.box(0, 0, 1, 9)]))
    >>> float(coverage_result(pieces, cover, zones, "x").iloc[0])
    25.0
    """
    return covered_result(pieces, cover.overlap_areas(pieces.geometry.to_numpy()), zones, name)


def covered_result(
    pieces: gpd.GeoDataFrame,
    covered_m2: npt.NDArray[np.float64],
    zones: gpd.GeoDataFrame,
    name: str,
) -> pd.Series:
    """As :func:`coverage_result`, from each piece's covered area already measured.

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame(index=["built_up_area"], geometry=[shapely.box(0, 0, 9, 9)])
    >>> pieces = gpd.GeoDataFrame({"zone_id": ["built_up_area"] * 2},
    ...     geometry=[shapely.box(0, 0, 4, 5), shapely.box(5, 0, 9, 5)])
    >>> float(covered_result(pieces, np.array([5.0, 10.0]), zones, "x").iloc[0])
    37.5
    """
    zone_ids = pieces["zone_id"].to_numpy()
    covered = per_zone(covered_m2, zone_ids, zones)
    total = per_zone(shapely.area(pieces.geometry.to_numpy()), zone_ids, zones)
    return ratio_result(covered, total, name=name, numerator_unit="m2", denominator_unit="m2")
