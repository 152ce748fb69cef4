"""Diagnostic layers: where the city falls short (uncovered land, unshaded roads, districts).

``zones`` (every indicator's value and status per zone) and ``districts_below_minimum`` are
the assessment's own; every other layer is declared by an indicator family next to its
measure (:class:`gardencity.indicators.Diagnostic`) and built here from the catalogue
parameters of the first indicator that uses that measure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd

from gardencity.assessment.inputs import CITY_ZONE, AssessmentInputs
from gardencity.assessment.results import Assessment
from gardencity.assessment.thresholds import is_failing
from gardencity.errors import GardenCityError, StandardError
from gardencity.indicators import FAMILIES, Diagnostic
from gardencity.messages import Catalogue
from gardencity.standards.schema import Standard

__all__ = ["DiagnosticLayers"]
MESSAGES = Catalogue(__package__)


def _spec_params(standard: Standard, measure: str) -> dict[str, Any] | None:
    for spec in standard.indicators:
        if spec.measure == measure:
            return dict(spec.params)
    return None


class DiagnosticLayers:
    """The diagnostic layers of one run, each family's built as soon as the indicator of its
    measure is computed (:meth:`after`), so that they can be written and drawn while the
    other indicators are computed; the assessment's own layers are built at the end
    (:meth:`finish`). ``built`` hears each layer as soon as it is built."""

    def __init__(
        self,
        standard: Standard,
        inputs: AssessmentInputs,
        built: Callable[[str, gpd.GeoDataFrame], None] | None = None,
    ) -> None:
        self._inputs = inputs
        self._built = built
        self._wanted = [
            (diagnostic, params)
            for diagnostic in FAMILIES.diagnostics()
            if (params := _spec_params(standard, diagnostic.measure)) is not None
        ]
        self._families: dict[int, dict[str, gpd.GeoDataFrame]] = {}

    def after(self, measure: str) -> None:
        """The layers of the diagnostics of ``measure``, once its indicator is computed."""
        for i, (diagnostic, params) in enumerate(self._wanted):
            if diagnostic.measure == measure and i not in self._families:
                self._families[i] = self._tell(_family_layers(diagnostic, params, self._inputs))

    def finish(self, assessment: Assessment) -> dict[str, gpd.GeoDataFrame]:
        """Every diagnostic layer that the data allows (a layer is skipped if its input is
        absent), in the families' order; those not built yet are built now."""
        layers = self._tell({"zones": _zones_layer(assessment)})
        for diagnostic, _ in self._wanted:
            self.after(diagnostic.measure)
        for i in range(len(self._wanted)):
            layers.update(self._families[i])
        below = _districts_below(assessment)
        if below is not None:
            layers.update(self._tell({"districts_below_minimum": below}))
        return layers

    def _tell(self, new: dict[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
        if self._built is not None:
            for name, layer in new.items():
                self._built(name, layer)
        return new


def _family_layers(
    diagnostic: Diagnostic, params: dict[str, Any], inputs: AssessmentInputs
) -> dict[str, gpd.GeoDataFrame]:
    kwargs, missing = inputs.run.arguments(diagnostic.build)
    if missing:
        return {}
    try:
        built = dict(diagnostic.build(**kwargs, **params))
    except GardenCityError:
        return {}
    undeclared = sorted(set(built) - set(diagnostic.layers))
    if undeclared:
        raise StandardError(
            MESSAGES.message("undeclared_layers", measure=diagnostic.measure, layers=undeclared)
        )
    return built


def _zones_layer(assessment: Assessment) -> gpd.GeoDataFrame:
    zones = assessment.zones.reset_index()
    for result in assessment.indicators:
        values = {
            CITY_ZONE: result.value if result.scope != "min_district" else None,
            **result.by_district,
        }
        zones[result.id] = zones["zone_id"].map(values).astype(float)
        statuses = {CITY_ZONE: result.status, **result.district_status}
        zones[f"{result.id}__status"] = zones["zone_id"].map(statuses)
    return gpd.GeoDataFrame(zones, geometry="geometry", crs=assessment.zones.crs)


def _districts_below(assessment: Assessment) -> gpd.GeoDataFrame | None:
    zones = assessment.zones[assessment.zones["kind"] == "district"]
    rows = []
    for result in assessment.indicators:
        if result.unit != "m²/人":
            continue
        for zone_id, status in result.district_status.items():
            if is_failing(status):
                gap = (result.gap or {}).get("by_district", {}).get(zone_id)
                rows.append(
                    {
                        "zone_id": zone_id,
                        "name": zones.loc[zone_id, "name"],
                        "indicator": result.id,
                        "indicator_zh": result.name_zh,
                        "value": result.by_district.get(zone_id),
                        "threshold": (result.threshold or {}).get("value"),
                        "shortfall_ha": gap,
                        "geometry": zones.loc[zone_id, "geometry"],
                    }
                )
    if not rows:
        return None
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=assessment.zones.crs)
