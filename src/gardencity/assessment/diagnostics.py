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
import pandas as pd

from gardencity.assessment.inputs import CITY_ZONE, AssessmentInputs
from gardencity.assessment.results import Assessment
from gardencity.assessment.thresholds import is_failing
from gardencity.errors import GardenCityError, StandardError
from gardencity.indicators import FAMILIES, Diagnostic
from gardencity.messages import Catalogue
from gardencity.standards.schema import Standard

__all__ = ["BUILT_FIRST", "build_diagnostics"]
MESSAGES = Catalogue(__package__)

#: the measures whose layers are built first: the largest to write and quick to build, they
#: can be written (see ``built`` of :func:`build_diagnostics`) while the others are built
BUILT_FIRST = ("shaded_road_coverage",)


def _spec_params(standard: Standard, measure: str) -> dict[str, Any] | None:
    for spec in standard.indicators:
        if spec.measure == measure:
            return dict(spec.params)
    return None


def build_diagnostics(
    assessment: Assessment,
    standard: Standard,
    inputs: AssessmentInputs,
    series: dict[str, pd.Series],
    built: Callable[[str, gpd.GeoDataFrame], None] | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Every diagnostic layer that the data allows (a layer is skipped if its input is
    absent), in the families' order; ``built`` hears each layer as soon as it is built (the
    layers of :data:`BUILT_FIRST` first)."""

    def tell(new: dict[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
        for name, layer in new.items():
            if built is not None:
                built(name, layer)
        return new

    layers = tell({"zones": _zones_layer(assessment)})
    wanted = [
        (diagnostic, params)
        for diagnostic in FAMILIES.diagnostics()
        if (params := _spec_params(standard, diagnostic.measure)) is not None
    ]
    first = sorted(range(len(wanted)), key=lambda i: wanted[i][0].measure not in BUILT_FIRST)
    family_layers = {i: tell(_family_layers(*wanted[i], inputs)) for i in first}
    for i in range(len(wanted)):
        layers.update(family_layers[i])
    below = _districts_below(assessment)
    if below is not None:
        layers.update(tell({"districts_below_minimum": below}))
    return layers


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
