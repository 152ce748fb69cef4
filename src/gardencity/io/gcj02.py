"""GCJ-02 ("Mars coordinates" of Chinese web maps) <-> WGS84, used only when the user says so.

GCJ-02 is not an EPSG system and pyproj cannot convert it. The forward offset is the public
algorithm (Krasovsky ellipsoid constants); the inverse iterates the forward to < 1e-7 degrees.

>>> lon, lat = wgs84_to_gcj02(116.391, 39.907)
>>> round(float(lon - 116.391), 4), round(float(lat - 39.907), 4)
(0.0062, 0.0014)
>>> back = gcj02_to_wgs84(lon, lat)
>>> abs(float(back[0]) - 116.391) < 1e-7 and abs(float(back[1]) - 39.907) < 1e-7
True
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

__all__ = ["gcj02_to_wgs84", "gdf_from_gcj02", "wgs84_to_gcj02"]

_A = 6378245.0
_EE = 0.00669342162296594323

FloatArray = npt.NDArray[np.float64]


def _in_china(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x, y = lon - 105.0, lat - 35.0
    pi = np.pi
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * pi) + 320 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    )
    d_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * pi
    magic = 1 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * pi)
    inside = _in_china(lon, lat)
    return np.where(inside, d_lon, 0.0), np.where(inside, d_lat, 0.0)


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 longitude/latitude → GCJ-02 (identity outside China)."""
    lo, la = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    d_lon, d_lat = _offset(lo, la)
    return lo + d_lon, la + d_lat


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 → WGS84 by fixed-point iteration of the forward offset."""
    g_lon, g_lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(30):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon, w_lat = w_lon - e_lon, w_lat - e_lat
        if np.all(np.abs(e_lon) < 1e-9) and np.all(np.abs(e_lat) < 1e-9):
            break
    return w_lon, w_lat


def gdf_from_gcj02(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Convert a layer whose lon/lat coordinates are GCJ-02 to WGS84 (EPSG:4326)."""

    def convert(coords: FloatArray) -> FloatArray:
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    geoms = shapely.transform(gdf.geometry.to_numpy(), convert)
    return gpd.GeoDataFrame(gdf.drop(columns=gdf.geometry.name), geometry=geoms, crs=4326)
