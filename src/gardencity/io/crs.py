"""CRS policy: every metric computation runs in one projected CRS, chosen explicitly.

* CGCS2000 (EPSG:4490) and its 3-degree Gauss-Krüger zones (EPSG:4534–4554, "CM xxxE",
  false easting 500 000 m) are first-class.
* Layers without a CRS are refused, never guessed.
* GCJ-02 ("Mars coordinates" used by Chinese web maps) is not an EPSG system; it is converted
  only when the user says a layer is in GCJ-02 (see :mod:`gardencity.io.gcj02`).
"""

from __future__ import annotations

import math

import geopandas as gpd
from pyproj import CRS

from gardencity.errors import CrsError, GeographicCrsError, MixedCrsError, NoCrsError
from gardencity.messages import Catalogue, Message

MESSAGES = Catalogue(__package__)

__all__ = [
    "CGCS2000",
    "gauss_kruger_zone_crs",
    "local_metric_crs",
    "parse_crs",
    "require_projected",
    "require_same_crs",
    "to_metric",
]

CGCS2000 = CRS.from_epsg(4490)

# EPSG:4534 is CGCS2000 / 3-degree Gauss-Kruger CM 75E; codes run in 3-degree steps to 135E.
_GK_FIRST_EPSG = 4534
_GK_FIRST_CM = 75
_GK_LAST_CM = 135


def gauss_kruger_zone_crs(longitude: float) -> CRS:
    """Return the CGCS2000 3-degree Gauss-Krüger CRS (no zone prefix) for a longitude.

    >>> gauss_kruger_zone_crs(117.2).to_epsg()
    4548
    >>> gauss_kruger_zone_crs(114.2).to_epsg()
    4547
    """
    central = 3 * round(longitude / 3)
    if not _GK_FIRST_CM <= central <= _GK_LAST_CM:
        raise GeographicCrsError(MESSAGES.message("longitude_outside_zones", longitude=longitude))
    return CRS.from_epsg(_GK_FIRST_EPSG + (central - _GK_FIRST_CM) // 3)


def local_metric_crs(gdf: gpd.GeoDataFrame) -> CRS:
    """Pick a projected CRS in metres for ``gdf``: its own if projected, otherwise the
    CGCS2000 Gauss-Krüger zone inside China and the UTM zone elsewhere.

    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame(geometry=[shapely.Point(117.18, 34.26)], crs=4490)
    >>> local_metric_crs(g).to_epsg()
    4548
    >>> h = gpd.GeoDataFrame(geometry=[shapely.Point(24.94, 60.17)], crs=4326)
    >>> local_metric_crs(h).to_epsg()
    32635
    """
    if gdf.crs is None:
        raise NoCrsError(_no_crs_message("input"))
    if gdf.crs.is_projected:
        return CRS.from_user_input(gdf.crs)
    lon_lat = gdf.to_crs(4326).total_bounds
    lon = (lon_lat[0] + lon_lat[2]) / 2
    lat = (lon_lat[1] + lon_lat[3]) / 2
    if 73 <= lon <= 136 and 3 <= lat <= 54:
        return gauss_kruger_zone_crs(lon)
    zone = math.floor((lon + 180) / 6) + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def parse_crs(text: str) -> CRS:
    """A working CRS from user input (``EPSG:4547``, ``4547``, WKT, PROJ): projected, metres.

    >>> parse_crs("EPSG:4547").to_epsg()
    4547
    """
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_user_input(text)
    except CRSError as exc:
        raise CrsError(MESSAGES.message("crs_unknown", text=text, detail=exc)) from None
    if not crs.is_projected:
        raise GeographicCrsError(MESSAGES.message("crs_geographic", text=text, name=crs.name))
    return crs


def _no_crs_message(name: str) -> Message:
    return MESSAGES.message("layer_no_crs", name=name)


def to_metric(
    gdf: gpd.GeoDataFrame, crs: CRS | str | int, *, name: str = "input"
) -> gpd.GeoDataFrame:
    """Reproject ``gdf`` to the projected CRS ``crs``; refuse CRS-less input."""
    target = CRS.from_user_input(crs)
    if not target.is_projected:
        raise GeographicCrsError(MESSAGES.message("working_crs_geographic", name=target.name))
    if gdf.crs is None:
        raise NoCrsError(_no_crs_message(name))
    if CRS.from_user_input(gdf.crs) == target:
        return gdf
    return gdf.to_crs(target)


def require_projected(gdf: gpd.GeoDataFrame, name: str = "input") -> None:
    """Raise unless ``gdf`` has a projected CRS in metres."""
    if gdf.crs is None:
        raise NoCrsError(_no_crs_message(name))
    crs = CRS.from_user_input(gdf.crs)
    if not crs.is_projected:
        raise GeographicCrsError(MESSAGES.message("layer_geographic", name=name, crs=crs.name))
    units = {axis.unit_name for axis in crs.axis_info}
    if units - {"metre", "meter", "m"}:
        raise GeographicCrsError(
            MESSAGES.message("layer_not_metres", name=name, units=sorted(units))
        )


def require_same_crs(**layers: gpd.GeoDataFrame | None) -> CRS:
    """Check that every given layer is projected and all share one CRS; return it.

    Mixed CRSs raise instead of warning: a wrong official figure is worse than an error.
    """
    present = {name: gdf for name, gdf in layers.items() if gdf is not None}
    crs_by_name: dict[str, CRS] = {}
    for name, gdf in present.items():
        require_projected(gdf, name)
        crs_by_name[name] = CRS.from_user_input(gdf.crs)
    distinct = {c.to_wkt() for c in crs_by_name.values()}
    if len(distinct) > 1:
        raise MixedCrsError(
            MESSAGES.message("mixed_crs", layers=[f"{n}: {c.name}" for n, c in crs_by_name.items()])
        )
    if not crs_by_name:
        raise ValueError("require_same_crs() needs at least one layer")
    return next(iter(crs_by_name.values()))
