"""The measures as they were before their speed-ups, kept only as the benchmark's reference
(``benchmarks/measures.py`` times them beside the current code and asserts the same values).

Where a speed-up replaced a helper inside a measure, the reference runs the measure with the
previous helper put back for the call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gardencity.indicators import green_space, road_corridors, roads
from gardencity.io.raster import Raster
from gardencity.toolkit import LineAxes, TiledCover, require_raster_crs, road_geometry

__all__ = ["green_space_ratio", "road_green_compliance", "shaded_road_coverage"]


_CURRENT_TREE_LOOKUP = roads._tree_lookup


@contextmanager
def _previous(module: Any, name: str, function: Any) -> Iterator[None]:
    current = getattr(module, name)
    setattr(module, name, function)
    try:
        yield
    finally:
        setattr(module, name, current)


def _tree_lookup(
    zones: gpd.GeoDataFrame,
    canopy: Raster | None,
    vegetation: gpd.GeoDataFrame | None,
    trees: gpd.GeoDataFrame | None,
) -> tuple[Any, float]:
    """The canopy look-up before ``PixelMask``: the raster asked for every sample's pixel."""
    if canopy is None:
        return _CURRENT_TREE_LOOKUP(zones, canopy, vegetation, trees)
    require_raster_crs(canopy, zones, "canopy")
    tree_value = (canopy.classes or {"tree": 1}).get("tree", 1)
    inverse = ~canopy.transform
    rows, cols = canopy.shape

    def in_raster(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> Any:
        col = np.floor(inverse.a * x + inverse.b * y + inverse.c).astype(np.int64)
        row = np.floor(inverse.d * x + inverse.e * y + inverse.f).astype(np.int64)
        ok = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
        hit = np.zeros(len(x), dtype=bool)
        hit[ok] = canopy.values_at(row[ok], col[ok]) == tree_value
        return hit

    return in_raster, max(abs(canopy.transform.a), 1.0)


def _steps(
    axes: LineAxes,
    lines: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.float64],
    n_along: npt.NDArray[np.int64],
) -> tuple[Any, ...]:
    """The sampling steps before the points either side reused the centre's segment."""
    owner = np.repeat(lines, n_along[lines])
    k = np.arange(len(owner)) - np.repeat(
        np.cumsum(n_along[lines]) - n_along[lines], n_along[lines]
    )
    along = (k + 0.5) * (lengths[owner] / n_along[owner])
    centre = axes.points(owner, along)
    eps = np.minimum(0.5, lengths[owner] / 4)
    d = axes.points(owner, np.minimum(along + eps, lengths[owner])) - axes.points(
        owner, np.maximum(along - eps, 0.0)
    )
    norm = np.hypot(d[:, 0], d[:, 1])
    norm[norm == 0] = 1.0
    normal = np.column_stack([-d[:, 1] / norm, d[:, 0] / norm])
    band = road_geometry._Band(
        np.ascontiguousarray(centre[:, 0]),
        np.ascontiguousarray(centre[:, 1]),
        np.ascontiguousarray(normal[:, 0]),
        np.ascontiguousarray(normal[:, 1]),
    )
    return owner, along, band


def _side_bins(*args: Any, **params: Any) -> pd.DataFrame:
    """The side bins on one thread, as before (the raster's block cache is not shared)."""
    return road_geometry.side_bins(*args, **{**params, "threads": 1})


def shaded_road_coverage(*args: Any, **params: Any) -> pd.Series:
    with (
        _previous(roads, "_tree_lookup", _tree_lookup),
        _previous(road_geometry, "_steps", _steps),
        _previous(roads, "side_bins", _side_bins),
    ):
        return roads.shaded_road_coverage(*args, **params)


def _green_in(
    corridors: npt.NDArray[np.object_], green: npt.NDArray[np.object_], **_: Any
) -> npt.NDArray[np.float64]:
    """The corridors' green area before ``areas_in_union``: the green polygons touching a
    corridor unioned tile by tile (a Python loop over 300 m tiles), then every corridor
    intersected with whole tile unions."""
    near = np.unique(shapely.STRtree(green).query(corridors, predicate="intersects")[1])
    return _PreviousTiledCover(green[near], tile_m=roads.CORRIDOR_TILE_M).overlap_areas(corridors)


def road_green_compliance(*args: Any, **params: Any) -> pd.Series:
    with _previous(road_corridors, "areas_in_union", _green_in):
        return roads.road_green_compliance(*args, **params)


class _PreviousTiledCover(TiledCover):
    """``TiledCover`` before its tiles were unioned on two threads and its zone pairs found from
    the boxes (the same unions and areas, in the same order)."""

    def __init__(self, polygons: npt.NDArray[np.object_], tile_m: float = 2000.0) -> None:
        self.tile_m = tile_m
        self.pieces: dict[tuple[int, int], shapely.Geometry] = {}
        polygons = polygons[~shapely.is_empty(polygons)] if len(polygons) else polygons
        if len(polygons):
            bounds = shapely.bounds(polygons)
            tree = shapely.STRtree(polygons)
            ix0, iy0 = np.floor(bounds[:, :2].min(axis=0) / tile_m).astype(int)
            ix1, iy1 = np.floor(bounds[:, 2:].max(axis=0) / tile_m).astype(int)
            for ix in range(ix0, ix1 + 1):
                for iy in range(iy0, iy1 + 1):
                    tile = self._tile(ix, iy)
                    hits = tree.query(tile, predicate="intersects")
                    if hits.size == 0:
                        continue
                    piece = self._union_in_tile(polygons[hits], tile)
                    if not piece.is_empty and piece.area > 0:
                        self.pieces[(ix, iy)] = piece
        self._refresh()

    def _overlap_areas(self, polygons: npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
        tree = shapely.STRtree(polygons)
        shapely.prepare(self._array)
        piece_i, poly_i = tree.query(self._array, predicate="intersects")
        inside_piece, inside_poly = tree.query(self._array, predicate="contains_properly")
        pair = piece_i.astype(np.int64) * len(polygons) + poly_i
        inside = np.isin(pair, inside_piece.astype(np.int64) * len(polygons) + inside_poly)
        return self._pair_areas(
            polygons, poly_i, self._array[piece_i], self._tiles[piece_i], inside
        )

    def minus(self, other: TiledCover) -> TiledCover:
        out = super().minus(other)
        out.__class__ = _PreviousTiledCover
        return out


def green_space_ratio(
    zones: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame | None = None,
    **params: Any,
) -> pd.Series:
    """The measure before it summed the green spaces' areas without building their unions:
    the tiled unions built (as they were before they were unioned on two threads), then
    intersected with the zones."""
    with _previous(green_space, "TiledCover", _PreviousTiledCover):
        covers = green_space.green_space_covers(
            green_spaces,
            land_use,
            counted_classes=params["counted_classes"],
            other_green_classes=params["other_green_classes"],
            adjacency_tolerance_m=params.get("adjacency_tolerance_m", 1.0),
        )
    return green_space.covers_ratio(zones, covers, params.get("other_green_cap", 0.2))
