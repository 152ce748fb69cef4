"""Followed through edits: road green compliance (green space in red lines), greenway service
coverage (residential edits), and any other measure that reads an edited layer (re-run)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gardencity.indicators.roads import CORRIDOR_TILE_M, road_green_segments
from gardencity.toolkit import (
    EditableCover,
    RunContext,
    ratio_result,
    red_line_corridors,
    road_pieces,
    shared,
)
from gardencity.whatif.states import EDITED_LAYERS, Layers, StraightCoverage

__all__ = ["GreenwayCoverage", "GreenwaysWhenEdited", "Recomputed", "RoadGreen"]


class RoadGreen:
    """road_green_compliance: each road piece's red-line corridor and its green share, with
    the green spaces' tiled union; an edit re-measures the corridors it touches."""

    reads: tuple[str, ...] = ("green_spaces",)

    def __init__(
        self, params: Mapping[str, Any], layers: Layers, roads: gpd.GeoDataFrame, run: RunContext
    ):
        self.layers = layers
        green = layers.green.frame
        # once per run: the base run's own if its measure shared them
        self.segments = shared(run, road_green_segments, layers.zones, roads, green, **params)
        width = self.segments["red_line_width_m"].to_numpy(dtype=float)
        measured = ~np.isnan(width)
        if "green_ratio" in roads and roads["green_ratio"].notna().any():
            # a surveyed ratio stands; the segments are these pieces
            pieces = road_pieces(roads, layers.zones, list(params["grades"]))
            measured &= pieces["green_ratio"].isna().to_numpy()
        self.measured = np.flatnonzero(measured)
        self.corridors, _, self.corridor_of = red_line_corridors(
            self.segments.geometry.to_numpy()[self.measured], width[self.measured]
        )
        self.corridor_area = shapely.area(self.corridors)
        self.tree = shapely.STRtree(self.corridors)
        # the green spaces whose boxes meet a corridor's, as the measure unions them (others
        # join the cover when added)
        geoms = green.geometry.to_numpy()
        near = np.unique(shapely.STRtree(geoms).query(self.corridors)[1])
        self.cover = EditableCover(
            green.index[near], geoms[near], tile_m=CORRIDOR_TILE_M, lazy=True
        )
        # the base run settles most corridors by bounds on their green area (no ratio)
        self.compliant = self.segments["compliant"].to_numpy(dtype=bool, copy=True)
        self.required = self.segments["required_ratio"].to_numpy(dtype=float)
        self.evaluated = self.segments["evaluated"].to_numpy(bool)
        # the zones' codes in the order of their ids, as grouping by the ids orders them
        self.zone_codes = pd.factorize(self.segments["zone_id"].to_numpy(), sort=True)

    def _remeasure(self, geom: shapely.Geometry) -> None:
        hit = np.asarray(self.tree.query(geom, predicate="intersects"), dtype=np.int64)
        if hit.size:
            share = np.zeros(len(self.corridors))
            share[hit] = self.cover.overlap_areas(self.corridors[hit]) / self.corridor_area[hit]
            rows = np.flatnonzero(np.isin(self.corridor_of, hit))  # the segments along them
            along = self.measured[rows]
            self.compliant[along] = share[self.corridor_of[rows]] >= self.required[along] - 1e-12

    def add_green(self, key: Hashable) -> None:
        geom = self.layers.green.one(key).geometry.iloc[0]
        self.cover.add(key, geom)
        self._remeasure(geom)

    def remove_green(self, key: Hashable) -> None:
        if key in self.cover:  # a green space that reaches no corridor changes nothing
            geom = self.cover.geometry(key)
            self.cover.remove(key)
            self._remeasure(geom)

    def add_parcel(self, key: Hashable) -> None:
        return None

    def remove_parcel(self, key: Hashable) -> None:
        return None

    def _per_zone(self, values: npt.NDArray[np.float64]) -> pd.Series:
        """As :func:`toolkit.per_zone` (the same sums), grouped by the zones' positions."""
        codes, names = self.zone_codes
        sums = pd.Series(values).groupby(codes).sum()
        sums = sums[sums.index >= 0]  # no zone (grouping by the ids leaves it out too)
        sums.index = names[sums.index.to_numpy()]
        return sums.reindex(self.layers.zones.index, fill_value=0.0).astype(float)

    def series(self) -> pd.Series:
        length = self.segments["length_m"].to_numpy(dtype=float)
        result = ratio_result(
            self._per_zone(np.where(self.compliant, length, 0.0)),
            self._per_zone(np.where(self.evaluated, length, 0.0)),
            name="road_green_compliance",
            numerator_unit="m",
            denominator_unit="m",
        )
        result.attrs["excluded_m"] = self._per_zone(np.where(self.evaluated, 0.0, length)).to_dict()
        return result


class GreenwayCoverage(StraightCoverage):
    """greenway_service_coverage: as the parks' straight-line coverage, with fixed greenway
    buffers (only residential edits change it)."""

    name = "greenway_service_coverage"
    reads: tuple[str, ...] = ("land_use",)

    def __init__(
        self, params: Mapping[str, Any], layers: Layers, greenways: gpd.GeoDataFrame
    ) -> None:
        buffers = shapely.buffer(
            greenways.geometry.to_numpy(),
            float(params["radius_m"]),
            quad_segs=int(params.get("quad_segs", 16)),
        )
        super().__init__(params, layers, cover=EditableCover(greenways.index, buffers))

    def add_green(self, key: Hashable) -> None:
        return None

    def remove_green(self, key: Hashable) -> None:
        return None


class GreenwaysWhenEdited:
    """greenway_service_coverage, followed from the first residential edit on: only those
    change it, and until one the base run's result stands (a drawn park sets up nothing)."""

    reads: tuple[str, ...] = ("land_use",)

    def __init__(
        self, params: Mapping[str, Any], layers: Layers, greenways: gpd.GeoDataFrame
    ) -> None:
        self.params, self.layers, self.greenways = params, layers, greenways
        self.state: GreenwayCoverage | None = None

    def _followed(self) -> GreenwayCoverage:
        if self.state is None:  # the assessed parcels; this first edit is applied next
            self.state = GreenwayCoverage(self.params, self.layers, self.greenways)
        return self.state

    def add_green(self, key: Hashable) -> None:
        return None

    remove_green = add_green

    def add_parcel(self, key: Hashable) -> None:
        self._followed().add_parcel(key)

    def remove_parcel(self, key: Hashable) -> None:
        self._followed().remove_parcel(key)

    def series(self) -> pd.Series | None:
        return None if self.state is None else self.state.series()


class Recomputed:
    """Any other measure that reads an edited layer: run again on the edited layers, once
    one of them has changed (until then the base run's result stands)."""

    def __init__(
        self,
        measure: Callable[..., pd.Series],
        arguments: dict[str, Any],
        params: Mapping[str, Any],
        layers: Layers,
    ) -> None:
        self.measure, self.arguments, self.params, self.layers = measure, arguments, params, layers
        self.reads: tuple[str, ...] = tuple(name for name in EDITED_LAYERS if name in arguments)
        self.seen = {name: layers.versions[name] for name in self.reads}

    def add_green(self, key: Hashable) -> None:
        return None

    remove_green = add_green
    add_parcel = add_green
    remove_parcel = add_green

    def series(self) -> pd.Series | None:
        if all(self.layers.versions[name] == self.seen[name] for name in self.reads):
            return None
        current = {
            "green_spaces": self.layers.green.current,
            "land_use": self.layers.parcels.current,
            "canopy": lambda: self.layers.canopy.raster,
            "vegetation": self.layers.canopy.current_vegetation,
        }
        arguments = dict(self.arguments)
        for name in self.reads:
            arguments[name] = current[name]()
        return self.measure(**arguments, **self.params)
