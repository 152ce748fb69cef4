"""Hints where the data itself looks wrong: undeclared GCJ-02 coordinates, a working CRS far
from its zone.

* GCJ-02 ("Mars coordinates" of Chinese web maps) shifts features by 300–700 m. A layer whose
  features lie outside the built-up area noticeably more than they would after undoing that
  shift was most likely traced on a web map: say so, and how to declare it.
* A Transverse Mercator working CRS (Gauss-Krüger, UTM) stretches lengths by about
  ``(Δλ·cos φ)² / 2`` away from its central meridian: beyond its zone, say which zone fits.
"""

from __future__ import annotations

import math
from functools import cache

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from gardencity.errors import Problem
from gardencity.io.crs import gauss_kruger_zone_crs
from gardencity.io.gcj02 import wgs84_to_gcj02

__all__ = ["crs_zone_problems", "gcj02_offset_m", "gcj02_problems"]

# layers whose features belong inside the built-up area (roads and districts reach beyond it)
CHECKED_LAYERS = ("land_use", "green_spaces", "vegetation", "trees", "historic_districts")
_MIN_OUTSIDE = 0.03  # share of a layer outside the built-up area worth a second look
_IMPROVEMENT = 3.0  # undoing the shift must cut that share at least this many times


@cache
def _transformer(source: CRS | int, target: CRS | int) -> Transformer:
    """``source`` to ``target`` (x, y order), made once per pair."""
    return Transformer.from_crs(source, target, always_xy=True)


def _degrees(crs: CRS) -> CRS | int:
    """The longitude and latitude the hints work in: those of ``crs``'s own datum, so that
    only its projection is undone. Between a datum and WGS 84 (4326) PROJ would search its
    database for a shift (a tenth of a second), which moves a point by a metre or so (none
    between CGCS2000 and WGS 84): nothing beside a GCJ-02 offset of hundreds of metres, or a
    Gauss-Krüger zone three degrees wide."""
    return crs.geodetic_crs or 4326


def gcj02_offset_m(area: shapely.Geometry, crs: CRS) -> tuple[float, float]:
    """The GCJ-02 shift (x, y metres in ``crs``) at the centre of ``area``; (0, 0) abroad."""
    centre = area.centroid
    to_ll, back = _transformer(crs, _degrees(crs)), _transformer(_degrees(crs), crs)
    lon, lat = to_ll.transform(centre.x, centre.y)
    glon, glat = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    x, y = back.transform(float(glon[0]), float(glat[0]))
    return float(x - centre.x), float(y - centre.y)


def _outside_share(layer: gpd.GeoDataFrame, area: shapely.Geometry, dx: float, dy: float) -> float:
    """Share of the layer (area, length or count) whose representative point, moved by
    (dx, dy), lies outside ``area``."""
    geoms = layer.geometry.to_numpy()
    dim = shapely.get_dimensions(geoms)
    weight = np.where(dim == 2, shapely.area(geoms), np.where(dim == 1, shapely.length(geoms), 1))
    total = float(weight.sum())
    if not total > 0:
        return 0.0
    shapely.prepare(area)
    return float(weight[_outside(geoms, area, dx, dy)].sum() / total)


def _outside(geoms: np.ndarray, area: shapely.Geometry, dx: float, dy: float) -> np.ndarray:
    """Which of ``geoms`` have their representative point, moved by (dx, dy), outside the
    prepared ``area``. Unmoved, a feature properly inside the area has its point inside
    (the point lies on the feature): only the others' points are made, a few along the
    boundary rather than one Python object per feature."""
    outside = np.zeros(len(geoms), dtype=bool)
    unsure = (
        np.flatnonzero(~shapely.contains_properly(area, geoms))
        if dx == 0.0 and dy == 0.0
        else np.arange(len(geoms))
    )
    points = shapely.point_on_surface(geoms[unsure])
    x, y = shapely.get_x(points) + dx, shapely.get_y(points) + dy
    outside[unsure] = ~shapely.contains_xy(area, x, y)
    return outside


def gcj02_problems(
    layers: dict[str, gpd.GeoDataFrame], declared: set[str], crs: CRS
) -> list[Problem]:
    """A warning per layer that sits offset from the built-up area as GCJ-02 data would."""
    if "built_up_area" not in layers:
        return []
    area = shapely.union_all(layers["built_up_area"].geometry.to_numpy())
    dx, dy = gcj02_offset_m(area, crs)
    shift = math.hypot(dx, dy)
    if shift < 100.0:  # outside China there is no GCJ-02 shift
        return []
    problems = []
    shifted_layers = []
    for name in CHECKED_LAYERS:
        layer = layers.get(name)
        if name in declared or layer is None or layer.empty:
            continue
        as_is = _outside_share(layer, area, 0.0, 0.0)
        if as_is < _MIN_OUTSIDE:
            continue
        if _outside_share(layer, area, -dx, -dy) * _IMPROVEMENT <= as_is:
            problems.append(_gcj_problem(name, as_is, shift))
        elif _outside_share(layer, area, dx, dy) * _IMPROVEMENT <= as_is:
            shifted_layers.append(name)
    if shifted_layers and "built_up_area" not in declared:
        problems.append(_bua_problem(shifted_layers, shift))
    return problems


def _gcj_problem(name: str, outside: float, shift: float) -> Problem:
    return Problem(
        name,
        f"{outside:.0%} of the layer lies outside the built-up area, offset by about "
        f"{shift:.0f} m the way GCJ-02 coordinates (Chinese web maps: Amap, Tencent) are; "
        f"undoing that shift brings it inside",
        f'If the data come from such a map, declare them: coordinates = "gcj02" in '
        f"[layers.{name}] of city.toml, or import the file again with "
        f"`gardencity import-layer WORKSPACE {name} FILE --gcj02`.",
        "warning",
        message_zh=f"该图层有 {outside:.0%} 位于建成区外，整体偏移约 {shift:.0f} 米，"
        f"与 GCJ-02（高德、腾讯等国内网络地图）坐标的偏移一致；按 GCJ-02 纠正后即落入建成区",
        fix_zh=f"如果数据来自这类地图，请声明：在 city.toml 的 [layers.{name}] 中写 "
        f'coordinates = "gcj02"，或用 `gardencity import-layer 工作区 {name} 文件 --gcj02` '
        "重新导入。",
    )


def _bua_problem(names: list[str], shift: float) -> Problem:
    listed = ", ".join(names)
    return Problem(
        "built_up_area",
        f"the layers {listed} lie offset from the built-up area by about {shift:.0f} m, the "
        f"way GCJ-02 coordinates are: the built-up area boundary itself may be in GCJ-02",
        'If the boundary was drawn on a Chinese web map, declare coordinates = "gcj02" in '
        "[layers.built_up_area] of city.toml, or import it again with --gcj02.",
        "warning",
        message_zh=f"图层 {listed} 相对建成区整体偏移约 {shift:.0f} 米，与 GCJ-02 坐标偏移一致："
        f"建成区边界本身可能是 GCJ-02 坐标",
        fix_zh="如果边界是在国内网络地图上绘制的，请在 city.toml 的 [layers.built_up_area] 中声明 "
        'coordinates = "gcj02"，或加 --gcj02 重新导入。',
    )


def _central_meridian(crs: CRS) -> float | None:
    operation = crs.coordinate_operation
    if operation is None or "Transverse Mercator" not in operation.method_name:
        return None
    for param in operation.params:
        if param.name == "Longitude of natural origin":
            return float(param.value)
    return None


def _fitting_crs(lon: float, lat: float) -> CRS:
    if 73 <= lon <= 136 and 3 <= lat <= 54:
        return gauss_kruger_zone_crs(lon)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + math.floor((lon + 180) / 6) + 1)


def crs_zone_problems(area: shapely.Geometry, crs: CRS) -> list[Problem]:
    """A warning when the working CRS's central meridian lies beyond its zone from the city."""
    meridian = _central_meridian(crs)
    if meridian is None or area.is_empty:
        return []
    centre = area.centroid
    lon, lat = _transformer(crs, _degrees(crs)).transform(centre.x, centre.y)
    half_zone = 1.5 if "3-degree" in crs.name else 3.0
    off = lon - meridian
    if abs(off) <= half_zone + 0.05:
        return []
    stretch = (math.radians(off) * math.cos(math.radians(lat))) ** 2 / 2
    better = _fitting_crs(lon, lat)
    name = f"EPSG:{better.to_epsg()} ({better.name})"
    return [
        Problem(
            "city.toml",
            f"the working CRS {crs.name} has its central meridian at {meridian:g}°E, "
            f"{abs(off):.1f}° from the city ({lon:.2f}°E): lengths are stretched by about "
            f"{stretch:.2%} and areas by {2 * stretch:.2%}",
            f'Use the zone that fits: crs = "EPSG:{better.to_epsg()}" in [city] of city.toml '
            f"({name}).",
            "warning",
            message_zh=f"工作坐标系 {crs.name} 的中央经线为东经 {meridian:g}°，与城市（东经 "
            f"{lon:.2f}°）相差 {abs(off):.1f}°：长度约放大 {stretch:.2%}，面积约放大 "
            f"{2 * stretch:.2%}",
            fix_zh="改用合适的投影带：在 city.toml 的 [city] 中设置 "
            f'crs = "EPSG:{better.to_epsg()}"（{name}）。',
        )
    ]
