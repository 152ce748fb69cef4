"""Prepare every input a measure may ask for, once per run, from a workspace."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gardencity.errors import DataError
from gardencity.io.vector import clip_to
from gardencity.io.workspace import Workspace
from gardencity.messages import Catalogue
from gardencity.toolkit import CITY_ZONE, RunContext

__all__ = ["CITY_ZONE", "INPUT_LAYERS", "AssessmentInputs"]
MESSAGES = Catalogue(__package__)

CLIPPED = (
    "land_use",
    "green_spaces",
    "vegetation",
    "greenways",
    "trees",
    "historic_districts",
    "park_entrances",
    "slow_lanes",
)
INPUT_LAYERS = (*CLIPPED, "roads")
RASTER_INPUTS = ("canopy", "temperature")


class AssessmentInputs:
    """Lazy, computed-once prepared inputs (see docs/architecture.md §Prepared inputs), and
    the run context over them (the input ``run``: intermediates shared within the run)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.run = RunContext(self)
        self._values: dict[str, Any] = {}
        self.timings: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        # what each measure (and params) lacks or has of these inputs, found once: gaps and
        # completeness parts (assessment/completeness.py); what-if runs reuse them
        self.data_needs: dict[str, Any] = {}
        self._builders: dict[str, Callable[[], Any]] = {
            "built_up_area": self._built_up_area,
            "zones": self._zones,
            "roads": lambda: workspace.load_layer("roads"),
            "canopy": lambda: workspace.load_raster("canopy"),
            "temperature": lambda: workspace.load_raster("land_surface_temperature"),
            "weather_stations": lambda: workspace.load_table("weather_stations"),
            "management": workspace.management,
            "walk_graph": self._walk_graph,
        }
        for name in CLIPPED:
            self._builders[name] = self._clipped_builder(name)

    def __getstate__(self) -> dict[str, Any]:
        """What a saved what-if state keeps: the prepared layers, not the builders, the rasters
        (read again from the workspace when asked for) or the run's intermediates."""
        state = self.__dict__.copy()
        del state["_builders"]
        state["_values"] = {k: v for k, v in self._values.items() if k not in RASTER_INPUTS}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["workspace"])  # type: ignore[misc]
        self.__dict__.update(state)

    def names(self) -> tuple[str, ...]:
        return (*self._builders, "run")

    def get(self, name: str) -> Any:
        if name == "run":
            return self.run
        if name not in self._values:
            start = time.perf_counter()
            value = self._builders[name]()
            self.timings[name] = time.perf_counter() - start
            self._values[name] = value
            if isinstance(value, pd.DataFrame):
                self.counts[name] = len(value)
        return self._values[name]

    def _built_up_area(self) -> gpd.GeoDataFrame:
        layer = self.workspace.load_layer("built_up_area")
        assert layer is not None
        if layer.empty:
            raise DataError(MESSAGES.message("built_up_area_empty"))
        geom = shapely.union_all(layer.geometry.to_numpy())
        return gpd.GeoDataFrame(
            {"name": [self.workspace.config.city.name]}, geometry=[geom], crs=layer.crs
        )

    def _zones(self) -> gpd.GeoDataFrame:
        bua = self.get("built_up_area")
        area = bua.geometry.iloc[0]
        districts = self.workspace.load_layer("districts")
        assert districts is not None
        clipped = clip_to(districts, area)
        population = self.workspace.config.city.population
        from_districts = population is None
        if from_districts:
            population = float(clipped["population"].sum(min_count=1))
        rows = [
            {
                "zone_id": CITY_ZONE,
                "name": self.workspace.config.city.name,
                "name_en": self.workspace.config.city.name_en or None,
                "population": population,
                "kind": "built_up_area",
                "geometry": area,
            }
        ]
        for row in clipped.itertuples():
            rows.append(
                {
                    "zone_id": str(row.district_id),
                    "name": row.name,
                    "name_en": row.name_en
                    if isinstance(row.name_en, str) and row.name_en
                    else None,
                    "population": float(row.population) if pd.notna(row.population) else np.nan,
                    "kind": "district",
                    "geometry": row.geometry,
                }
            )
        zones = gpd.GeoDataFrame(rows, geometry="geometry", crs=bua.crs).set_index("zone_id")
        # the city's population is then the sum of the districts' (complete only if all have one)
        zones.attrs["population_from_districts"] = from_districts
        return zones

    def _clipped_builder(self, name: str) -> Callable[[], gpd.GeoDataFrame | None]:
        def build() -> gpd.GeoDataFrame | None:
            layer = self.workspace.load_layer(name)
            if layer is None:
                return None
            return clip_to(layer, self.get("built_up_area").geometry.iloc[0])

        return build

    def _walk_graph(self) -> Any:
        roads = self.get("roads")
        if roads is None or roads.empty:
            return None
        from gardencity.network import walk_graph_from_roads

        return walk_graph_from_roads(roads)
