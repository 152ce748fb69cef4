"""A layer map prepared for drawing, without matplotlib: each layer's coordinates as one path.

Preparing a map takes the geometry out of its GeoDataFrames in bulk (coordinates and path
codes, numpy arrays); drawing it (:func:`gardencity.reports.maps.draw_plan`) needs only
these, so a map prepared here can be drawn by another process (the command's
:class:`~gardencity.reports.worker.FigureWorker`) at the cost of copying a few arrays, and
the process that prepared it never imports matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from gardencity.vocabulary.places import place_names

__all__ = ["MapLayer", "MapPlan", "layer_paths", "map_plan", "scale_bar_metres"]

# matplotlib's path codes (matplotlib.path.Path.MOVETO, LINETO, CLOSEPOLY), fixed by its API
MOVETO, LINETO, CLOSEPOLY = 1, 2, 79
CODE_TYPE = np.uint8
# shapely's geometry type ids
LINESTRING, POLYGON, MULTILINESTRING = 1, 3, 5

#: ``(layer, vocabulary layer name)`` pairs, drawn in this order
Layers = list[tuple[gpd.GeoDataFrame | None, str]]


def layer_paths(geoms: npt.NDArray[np.object_]) -> tuple[np.ndarray, np.ndarray, bool]:
    """The vertices and path codes of all ``geoms`` as one compound path, and whether it is
    an area (polygons, rings oriented so that holes stay open under the non-zero fill rule)
    rather than lines."""
    geoms = np.asarray(geoms, dtype=object)
    single = np.isin(shapely.get_type_id(geoms), (LINESTRING, POLYGON)).all()
    parts = geoms if single else shapely.get_parts(geoms)  # not copied where single already
    parts = parts[~shapely.is_empty(parts)]
    kinds = shapely.get_type_id(parts)
    polygons = parts[kinds == POLYGON]
    area = len(polygons) > 0
    if area:
        paths = shapely.get_rings(shapely.orient_polygons(polygons))
    else:
        paths = parts[kinds == LINESTRING]
    xy, owner = shapely.get_coordinates(paths, return_index=True)
    codes = np.full(len(xy), LINETO, dtype=CODE_TYPE)
    if len(xy):
        change = owner[1:] != owner[:-1]
        codes[np.r_[True, change]] = MOVETO
        if area:
            codes[np.r_[change, True]] = CLOSEPOLY
    return xy, codes, area


@dataclass(frozen=True)
class MapLayer:
    """One layer of a map: its vocabulary name, its path, whether it is an area and whether
    its features are lines (a line layer gets a line in the legend)."""

    name: str
    xy: np.ndarray
    codes: np.ndarray
    area: bool
    line: bool

    @classmethod
    def of(cls, gdf: gpd.GeoDataFrame, name: str) -> MapLayer:
        xy, codes, area = layer_paths(gdf.geometry.to_numpy())
        kinds = shapely.get_type_id(gdf.geometry.to_numpy())
        line = bool(np.isin(kinds, (LINESTRING, MULTILINESTRING)).all())
        return cls(name, xy, codes, area, line)


@dataclass(frozen=True)
class MapPlan:
    """A layer map ready to draw: its layers, the extent it shows (x0, y0, x1, y1), its title,
    its language and the names written on it (``(name, x, y)``)."""

    layers: tuple[MapLayer, ...]
    bounds: tuple[float, float, float, float]
    title: str
    lang: str
    names: tuple[tuple[str, float, float], ...] = ()


def map_plan(
    layers: Layers,
    frame: gpd.GeoDataFrame,
    title: str,
    *,
    lang: str,
    names: gpd.GeoDataFrame | None = None,
) -> MapPlan:
    """The plan of a map of ``layers`` over the ``frame`` extent (empty layers left out);
    ``names`` (polygons with a ``name`` column, e.g. the districts) are written on it."""
    prepared = tuple(MapLayer.of(gdf, name) for gdf, name in layers if _has_rows(gdf))
    written: tuple[tuple[str, float, float], ...] = ()
    if names is not None and not names.empty:
        points = names.geometry.representative_point()
        shown = place_names(names["name"], names.get("name_en"), lang)
        written = tuple((name, point.x, point.y) for name, point in zip(shown, points, strict=True))
    x0, y0, x1, y1 = frame.total_bounds
    return MapPlan(prepared, (x0, y0, x1, y1), title, lang, written)


def scale_bar_metres(span: float) -> float:
    """A map's scale bar: the round length (1, 2 or 5 times a power of ten metres) at or
    under a fifth of the ``span`` (metres) the map shows across.

    >>> scale_bar_metres(4000), scale_bar_metres(10_400), scale_bar_metres(33_000)
    (500, 2000, 5000)
    """
    step: float = 10 ** int(f"{span / 5:e}".split("e")[1])
    return step * (5 if span / 5 >= 5 * step else 2 if span / 5 >= 2 * step else 1)


def _has_rows(gdf: gpd.GeoDataFrame | None) -> bool:
    return gdf is not None and not gdf.empty
