"""Shading roads in a what-if: tree canopy burned along a road, and the shaded-road
coverage re-measured for the roads next to it only (see engine.py)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from rasterio.features import rasterize
from rasterio.windows import Window

from gardencity.assessment.inputs import AssessmentInputs
from gardencity.indicators.roads import road_shade_segments, shade_ratio, shade_result
from gardencity.io.raster import Raster
from gardencity.toolkit import DEFAULT_RED_LINE_M, shared

__all__ = ["SHADE_HALF_WIDTH_M", "Canopy", "ShadedRoads"]

SHADE_HALF_WIDTH_M = 15.0


class Canopy:
    """The canopy as edited: the raster with tree corridors burned in, or, without a raster,
    the vegetation layer with tree polygons added (as a what-if copy of the workspace has)."""

    def __init__(self, inputs: AssessmentInputs) -> None:
        self._inputs = inputs  # the raster is the run's (read again after a saved state loads)
        self.vegetation: gpd.GeoDataFrame | None = inputs.get("vegetation")
        self.crs = inputs.get("zones").crs
        self._edited: Raster | None = None
        self.corridors: dict[Hashable, shapely.Geometry] = {}

    @property
    def original(self) -> Raster | None:
        """The canopy raster of the workspace, as assessed."""
        raster: Raster | None = self._inputs.get("canopy")
        return raster

    @property
    def raster(self) -> Raster | None:
        """The canopy with the shaded roads burned in (the original while none is)."""
        return self._edited if self._edited is not None else self.original

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if not self.corridors:  # nothing burned in: the copy is the workspace's raster again
            state["_edited"] = None
        return state

    def _window(self, geom: shapely.Geometry) -> Window:
        """The pixels under ``geom``'s bounds, one more on each side, inside the raster."""
        assert self.original is not None
        rows, cols = self.original.shape
        inverse = ~self.original.transform
        x0, y0, x1, y1 = shapely.bounds(geom)
        xs, ys = np.array([x0, x1, x0, x1]), np.array([y0, y0, y1, y1])
        col = inverse.a * xs + inverse.b * ys + inverse.c
        row = inverse.d * xs + inverse.e * ys + inverse.f
        col0, col1 = max(int(np.floor(col.min())) - 1, 0), min(int(np.ceil(col.max())) + 1, cols)
        row0, row1 = max(int(np.floor(row.min())) - 1, 0), min(int(np.ceil(row.max())) + 1, rows)
        return Window(col0, row0, max(col1 - col0, 0), max(row1 - row0, 0))

    def _burn(self, window: Window) -> None:
        """Redraw ``window``: the original pixels, then every corridor as trees."""
        assert self.original is not None and self.raster is not None
        rows, cols = window.toslices()
        block = self.original.array[rows, cols].copy()
        corridors = [c for c in self.corridors.values() if not c.is_empty]
        if corridors and block.size:
            mask = rasterize(
                [(c, 1) for c in corridors],
                out_shape=block.shape,
                transform=self.original.transform
                @ Affine.translation(window.col_off, window.row_off),
                fill=0,
            ).astype(bool)
            tree = int((self.original.classes or {"tree": 1}).get("tree", 1))
            block[mask] = tree
        self.raster.array[rows, cols] = block

    def shade(self, key: Hashable, corridor: shapely.Geometry) -> None:
        self.corridors[key] = corridor
        if self.original is None:
            return
        if self._edited is None:
            o = self.original
            self._edited = Raster(o.array.copy(), o.transform, o.crs, o.nodata, o.classes)
        self._burn(self._window(corridor))

    def unshade(self, key: Hashable) -> shapely.Geometry:
        corridor = self.corridors.pop(key)
        if self.original is not None:
            self._burn(self._window(corridor))
        return corridor

    def current_vegetation(self) -> gpd.GeoDataFrame | None:
        if self.original is not None or not self.corridors:
            return self.vegetation
        trees = gpd.GeoDataFrame(
            {"veg_type": ["tree"] * len(self.corridors)},
            geometry=list(self.corridors.values()),
            crs=self.crs,
        )
        if self.vegetation is None:
            return trees
        both = pd.concat([self.vegetation, trees], ignore_index=True)
        return gpd.GeoDataFrame(both, geometry="geometry", crs=self.crs)


class ShadedRoads:
    """shaded_road_coverage: the base run's sums, corrected by re-measuring, before and after
    the edits, only the roads within reach of the changed canopy."""

    reads: tuple[str, ...] = ("canopy", "vegetation")

    def __init__(self, params: Mapping[str, Any], inputs: AssessmentInputs, canopy: Canopy) -> None:
        self.params, self.canopy = params, canopy
        self.zones = inputs.get("zones")
        self.roads: gpd.GeoDataFrame = inputs.get("roads")
        self.fixed = {"trees": inputs.get("trees"), "slow_lanes": inputs.get("slow_lanes")}
        self.run = inputs.run
        base = shade_result(self._segments(self.roads, original=True), self.zones)
        self.base = (pd.Series(base.attrs["numerator"]), pd.Series(base.attrs["denominator"]))
        red = self.roads.get("red_line_width_m", pd.Series(dtype=float)).dropna()
        widest = max([*red.tolist(), *DEFAULT_RED_LINE_M.values()])
        pixel = abs(canopy.original.transform.a) if canopy.original is not None else 1.0
        self.reach = widest / 2.0 + 2.0 * pixel
        self.tree = shapely.STRtree(self.roads.geometry.to_numpy())
        self.touched: set[int] = set()

    def _segments(self, roads: gpd.GeoDataFrame, *, original: bool) -> gpd.GeoDataFrame:
        """The side-segments of ``roads``: for all of them on the original canopy, those of
        the base run (computed there once)."""
        canopy = self.canopy
        return shared(
            self.run,
            road_shade_segments,
            self.zones,
            roads,
            canopy.original if original else canopy.raster,
            canopy.vegetation if original else canopy.current_vegetation(),
            self.fixed["trees"],
            self.fixed["slow_lanes"],
            **self.params,
        )

    def add_green(self, key: Hashable) -> None:
        return None

    remove_green = add_green
    add_parcel = add_green
    remove_parcel = add_green

    def canopy_changed(self, region: shapely.Geometry) -> None:
        near = self.tree.query(region, predicate="dwithin", distance=self.reach)
        self.touched.update(int(i) for i in near)

    def series(self) -> pd.Series | None:
        if not self.touched:
            return None
        roads = self.roads.iloc[sorted(self.touched)]
        before = shade_result(self._segments(roads, original=True), self.zones).attrs
        after = shade_result(self._segments(roads, original=False), self.zones).attrs
        numerator = self.base[0] + pd.Series(after["numerator"]) - pd.Series(before["numerator"])
        denominator = (
            self.base[1] + pd.Series(after["denominator"]) - pd.Series(before["denominator"])
        )
        return shade_ratio(numerator, denominator)
