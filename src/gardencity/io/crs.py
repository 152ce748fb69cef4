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
        raise GeographicCrsError(
            f"Longitude {longitude:.3f}° lies outside the CGCS2000 Gauss-Krüger zones "
            f"(75°E–135°E). Fix: set `crs` in city.toml to a projected CRS in metres "
            f"for this area (for example a UTM zone)."
        )
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
        raise CrsError(
            f"'{text}' is not a coordinate reference system pyproj knows ({exc}). Fix: give an "
            f"EPSG code of a projected CRS in metres, e.g. EPSG:4547 (CGCS2000 Gauss-Krüger CM "
            f"114°E; the zones run EPSG:4534–4554 for 75°E–135°E), or leave --crs out to have "
            f"the local zone picked."
        ) from None
    if not crs.is_projected:
        raise GeographicCrsError(
            f"'{text}' ({crs.name}) is geographic (degrees). Fix: give a projected CRS in "
            f"metres, e.g. the CGCS2000 Gauss-Krüger zone of the city (EPSG:4534–4554)."
        )
    return crs


def _no_crs_message(name: str) -> str:
    return (
        f"Layer '{name}' has no coordinate reference system (CRS), so its coordinates cannot "
        f"be interpreted. Fix: assign the CRS the data was produced in, e.g. in QGIS "
        f"(Layer ▸ Set CRS) or with `gdf.set_crs('EPSG:4490')` for CGCS2000 longitude/latitude, "
        f"'EPSG:4547' for CGCS2000 Gauss-Krüger CM 114°E. If the data came from a Chinese web "
        f'map (GCJ-02), declare it with `coordinates = "gcj02"` for that layer in city.toml.'
    )


def to_metric(
    gdf: gpd.GeoDataFrame, crs: CRS | str | int, *, name: str = "input"
) -> gpd.GeoDataFrame:
    """Reproject ``gdf`` to the projected CRS ``crs``; refuse CRS-less input."""
    target = CRS.from_user_input(crs)
    if not target.is_projected:
        raise GeographicCrsError(
            f"The working CRS {target.name} is geographic (degrees). Fix: choose a projected CRS "
            f"in metres, e.g. a CGCS2000 Gauss-Krüger zone (EPSG:4534–4554)."
        )
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
        raise GeographicCrsError(
            f"Layer '{name}' is in the geographic CRS {crs.name} (degrees), but this "
            f"computation needs metres. Fix: reproject it first, e.g. "
            f"`gardencity.io.crs.to_metric(gdf, local_metric_crs(gdf))`, or set a projected "
            f"`crs` in city.toml so the workspace loader does it."
        )
    units = {axis.unit_name for axis in crs.axis_info}
    if units - {"metre", "meter", "m"}:
        raise GeographicCrsError(
            f"Layer '{name}' uses a projected CRS in {sorted(units)}, not metres. Fix: reproject "
            f"to a metric CRS."
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
        listing = ", ".join(f"{n}: {c.name}" for n, c in crs_by_name.items())
        raise MixedCrsError(
            f"Inputs are in different CRSs ({listing}). Fix: reproject every layer to one "
            f"projected CRS first (the workspace loader does this with the `crs` of city.toml)."
        )
    if not crs_by_name:
        raise ValueError("require_same_crs() needs at least one layer")
    return next(iter(crs_by_name.values()))
