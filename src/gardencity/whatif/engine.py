"""What-if without a re-run: add or remove parks and residential parcels, and re-evaluate
only what those edits change (see docs/architecture.md §What-if).

After a first assessment an :class:`IncrementalAssessment` keeps, per affected measure, the
state it needs: the tiled union of park service buffers and each residential piece's covered
area; the walking distances from parks of each radius to every network node and the cells
snapped to the network; the tiled unions of counted and adjoining "other" green space and of
parks, with their area inside each zone per tile. An edit touches only the tiles, pieces and
network neighbourhood it reaches, then the indicators are decided by the same code as a full
run (:func:`gardencity.assessment.indicator.evaluate_indicator`). A full assessment of the
edited workspace gives the same values (tested).
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Callable, Hashable, Mapping
from dataclasses import replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gardencity.assessment.evaluate import evaluate_indicator, run_assessment
from gardencity.assessment.inputs import CITY_ZONE, AssessmentInputs
from gardencity.assessment.results import Assessment, IndicatorResult
from gardencity.errors import InvalidRequestError
from gardencity.indicators import REGISTRY
from gardencity.io.vector import clip_to
from gardencity.io.workspace import Workspace
from gardencity.messages import Catalogue
from gardencity.standards import load_standard
from gardencity.whatif.green import GreenSpaceRatio
from gardencity.whatif.roads import GreenwaysWhenEdited, Recomputed, RoadGreen
from gardencity.whatif.shade import SHADE_HALF_WIDTH_M, ShadedRoads
from gardencity.whatif.states import (
    EDITED_LAYERS,
    Layers,
    MeasureState,
    ParkArea,
    ParksPer10k,
    StraightCoverage,
    WalkingCoverage,
)

__all__ = ["MEASURES", "IncrementalAssessment"]
MESSAGES = Catalogue(__package__)


Builder = Callable[[Mapping[str, Any], Layers, AssessmentInputs], MeasureState | None]


def _walking(params: Mapping[str, Any], layers: Layers, _: AssessmentInputs) -> MeasureState | None:
    if layers.walk_graph is None or not layers.walk_graph.n_nodes:
        return None  # not assessed in the base run either
    return WalkingCoverage(params, layers)


def _road_green(
    params: Mapping[str, Any], layers: Layers, inputs: AssessmentInputs
) -> MeasureState | None:
    roads = inputs.get("roads")
    return None if roads is None else RoadGreen(params, layers, roads, inputs.run)


def _greenways(
    params: Mapping[str, Any], layers: Layers, inputs: AssessmentInputs
) -> MeasureState | None:
    greenways = inputs.get("greenways")
    return None if greenways is None else GreenwaysWhenEdited(params, layers, greenways)


def _shaded_roads(
    params: Mapping[str, Any], layers: Layers, inputs: AssessmentInputs
) -> MeasureState | None:
    if inputs.get("roads") is None or (
        layers.canopy.original is None and layers.canopy.vegetation is None
    ):
        return None
    return ShadedRoads(params, inputs, layers.canopy)


MEASURES: dict[str, Builder] = {
    "park_service_coverage": lambda p, layers, _: StraightCoverage(p, layers),
    "park_service_coverage_walking": _walking,
    "green_space_ratio": lambda p, layers, _: GreenSpaceRatio(p, layers),
    "park_area_per_capita": lambda p, layers, _: ParkArea(p, layers),
    "parks_per_10k": lambda p, layers, _: ParksPer10k(p, layers),
    "road_green_compliance": _road_green,
    "greenway_service_coverage": _greenways,
    "shaded_road_coverage": _shaded_roads,
}


def _build_state(
    measure: str, params: Mapping[str, Any], layers: Layers, inputs: AssessmentInputs
) -> MeasureState | None:
    """The state that follows ``measure`` through edits; None if edits cannot change it (it
    reads no edited layer, or its inputs are missing as in the base run)."""
    if measure in MEASURES:
        return MEASURES[measure](params, layers, inputs)
    function = REGISTRY.get(measure)
    if function is None:
        return None
    names = inspect.signature(function).parameters
    if not any(layer in names for layer in EDITED_LAYERS):
        return None
    arguments = {n: inputs.get(n) for n in names if n in inputs.names()}
    if all(arguments.get(n) is None for n in EDITED_LAYERS if n in arguments):
        return None
    return Recomputed(function, arguments, params, layers)


def _base_inputs(base: Assessment, ws: Workspace) -> AssessmentInputs:
    """The base run's prepared inputs and intermediates when it assessed this workspace and is
    still held in memory (layers read, clipped and prepared once); else fresh ones."""
    kept = base.inputs
    if isinstance(kept, AssessmentInputs) and kept.workspace.path.resolve() == ws.path.resolve():
        return kept
    return AssessmentInputs(ws)


class _Known:
    """A measure that returns values already computed (for evaluate_indicator)."""

    def __init__(self, series: pd.Series) -> None:
        self._series = series

    def __call__(self, **_params: Any) -> pd.Series:
        return self._series


def _params_key(measure: str, params: Mapping[str, Any]) -> str:
    return measure + json.dumps(params, sort_keys=True, default=str)


class IncrementalAssessment:
    """A city's assessment that follows edits of parks and residential land::

        whatif = IncrementalAssessment("demo/city")          # runs the first assessment
        key = whatif.add_park(shapely.Point(481_000, 3_791_000).buffer(150))
        whatif.assessment().result("park_service_coverage").value   # in well under 1 s
        whatif.remove_park(key)

    Geometries are in the workspace's CRS and are clipped to the built-up area. Keys of
    existing features are their row labels in the assessed layers.
    """

    def __init__(
        self,
        workspace: Workspace | str | os.PathLike[str],
        *,
        base: Assessment | None = None,
        standard: str | None = None,
    ) -> None:
        ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
        self.workspace = ws
        self.base = base if base is not None else run_assessment(ws, standard=standard)
        self.standard = load_standard(str(self.base.standard["id"]))
        self.inputs = _base_inputs(self.base, ws)
        self.zones = self.inputs.get("zones")
        self._area = self.zones.loc[CITY_ZONE, "geometry"]
        self.layers = Layers(self.inputs)
        self._context = {
            "grade": ws.config.city.grade,
            "region": ws.config.city.region,
            "city_size": self.base.city.get("city_size"),
        }
        self._states: dict[str, MeasureState] = {}
        self._spec_state: dict[str, str] = {}
        for spec in self.standard.indicators:
            key = _params_key(spec.measure, spec.params)
            if key not in self._states:
                state = _build_state(spec.measure, spec.params, self.layers, self.inputs)
                if state is None:
                    continue
                self._states[key] = state
            self._spec_state[spec.id] = key
        self._next_key = 0

    def __getstate__(self) -> dict[str, Any]:
        """Saved (:mod:`gardencity.whatif.persist`) without the base run's diagnostic layers
        (the run's outputs hold them; a what-if's outputs carry the indicators only) or its
        run context (the engine's own inputs are saved)."""
        base = replace(self.base, diagnostics={}, run=None, inputs=None)
        return {**self.__dict__, "base": base}

    # --- edits -------------------------------------------------------------------------------

    def _clip(self, geometry: shapely.Geometry, shape: str) -> shapely.Geometry:
        what = MESSAGES.message(f"shape.{shape}")
        if not isinstance(geometry, shapely.Polygon | shapely.MultiPolygon) or geometry.is_empty:
            raise InvalidRequestError(MESSAGES.message("not_a_polygon", what=what))
        frame = gpd.GeoDataFrame(geometry=[shapely.make_valid(geometry)], crs=self.zones.crs)
        clipped = clip_to(frame, self._area)
        if clipped.empty:
            raise InvalidRequestError(MESSAGES.message("outside_built_up_area", what=what))
        return clipped.geometry.iloc[0]

    def _new_key(self, prefix: str) -> str:
        self._next_key += 1
        return f"{prefix}{self._next_key}"

    def add_park(
        self,
        geometry: shapely.Geometry,
        *,
        green_class: str = "G11",
        is_open: bool = True,
        in_construction_land: bool = True,
    ) -> Hashable:
        """A new green space (by default an open 综合公园 G11, as a drawn what-if park); its key."""
        key = self._new_key("new-park-")
        row = {
            "green_class": green_class,
            "is_open": is_open,
            "in_construction_land": in_construction_land,
            "geometry": self._clip(geometry, "park"),
        }
        self.layers.add_green(key, row)
        for state in self._states.values():
            state.add_green(key)
        return key

    def remove_park(self, key: Hashable) -> None:
        """Take the green space ``key`` (a ``green_spaces`` row label, or a key from
        :meth:`add_park`) out."""
        if key not in self.layers.green:
            raise InvalidRequestError(MESSAGES.message("no_green_space", key=key))
        for state in self._states.values():
            state.remove_green(key)
        self.layers.remove_green(key)

    def add_residential(self, geometry: shapely.Geometry) -> Hashable:
        """A new residential parcel; its key."""
        key = self._new_key("new-parcel-")
        self.layers.add_parcel(
            key, {"category": "residential", "geometry": self._clip(geometry, "parcel")}
        )
        for state in self._states.values():
            state.add_parcel(key)
        return key

    def remove_residential(self, key: Hashable) -> None:
        """Take the residential parcel ``key`` (a ``land_use`` row label or a key from
        :meth:`add_residential`) out."""
        row = self.layers.parcels.get(key)
        if row is None or row["category"] != "residential":
            raise InvalidRequestError(MESSAGES.message("no_parcel", key=key))
        for state in self._states.values():
            state.remove_parcel(key)
        self.layers.remove_parcel(key)

    def shade_road(self, line: shapely.Geometry) -> Hashable:
        """Tree canopy along ``line`` (a road drawn as shaded), ``SHADE_HALF_WIDTH_M`` either
        side, as a what-if copy burns it into the canopy; its key."""
        if not isinstance(line, shapely.LineString | shapely.MultiLineString) or line.is_empty:
            raise InvalidRequestError(MESSAGES.message("road_not_a_line"))
        corridor = shapely.buffer(line, SHADE_HALF_WIDTH_M, quad_segs=16)  # as GeoSeries.buffer
        key = self._new_key("shade-")
        self.layers.shade(key, corridor)
        self._canopy_changed(corridor)
        return key

    def unshade_road(self, key: Hashable) -> None:
        """Take the canopy of :meth:`shade_road` ``key`` away again."""
        if key not in self.layers.canopy.corridors:
            raise InvalidRequestError(MESSAGES.message("no_shaded_road", key=key))
        self._canopy_changed(self.layers.unshade(key))

    def _canopy_changed(self, region: shapely.Geometry) -> None:
        for state in self._states.values():
            hook = getattr(state, "canopy_changed", None)
            if hook is not None:
                hook(region)

    # --- results -----------------------------------------------------------------------------

    def series(self, indicator_id: str) -> pd.Series | None:
        """The current per-zone values of an indicator this engine follows (None while the
        edits have not changed it)."""
        return self._states[self._spec_state[indicator_id]].series()

    def assessment(self) -> Assessment:
        """The base assessment with the indicators the edits affect re-evaluated."""
        results: list[IndicatorResult] = []
        cache: dict[str, pd.Series | None] = {}
        for spec in self.standard.indicators:
            base = self.base.result(spec.id)
            state_key = self._spec_state.get(spec.id)
            if state_key is not None and state_key not in cache:
                state = self._states[state_key]
                # a measure whose layers are as assessed keeps the base run's result
                cache[state_key] = state.series() if self.layers.edited(state.reads) else None
            series = cache.get(state_key) if state_key is not None else None
            if series is None:  # not changed by the edits
                results.append(base)
                continue
            result, _ = evaluate_indicator(
                spec,
                self.inputs,
                {spec.measure: _Known(series)},
                self.standard,
                self._context,
            )
            results.append(replace(result, inputs=base.inputs))
        return replace(self.base, indicators=results, diagnostics={})

    def changed(self) -> dict[str, tuple[float | None, float | None]]:
        """Indicator id → (base value, current value), for those that changed."""
        now = self.assessment()
        out = {}
        for result in now.indicators:
            before = self.base.result(result.id).value
            if before != result.value and not (
                before is not None and result.value is not None and np.isclose(before, result.value)
            ):
                out[result.id] = (before, result.value)
        return out
