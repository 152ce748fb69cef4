"""Every measure gives the same result from CGCS2000 lon/lat input as from projected input."""

from __future__ import annotations

import inspect
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from gardencity.assessment.inputs import AssessmentInputs
from gardencity.indicators import REGISTRY
from gardencity.io.workspace import Workspace
from gardencity.standards import load_standard

STANDARD = load_standard("national_ecological_garden_city_2022")
SPECS = {spec.measure: spec for spec in STANDARD.indicators}


@pytest.fixture(scope="module")
def inputs(demo_city: Path) -> AssessmentInputs:
    return AssessmentInputs(Workspace.open(demo_city))


def _call(measure: str, inputs: AssessmentInputs, via_lonlat: bool) -> np.ndarray:
    function = REGISTRY[measure]
    kwargs = {}
    for name, param in inspect.signature(function).parameters.items():
        if param.kind is inspect.Parameter.KEYWORD_ONLY or name not in inputs.names():
            continue
        value = inputs.get(name)
        if via_lonlat and isinstance(value, gpd.GeoDataFrame):
            value = value.to_crs(4490).to_crs(value.crs)
        if via_lonlat and name == "walk_graph":
            from gardencity.network import walk_graph_from_roads

            roads = inputs.get("roads")
            value = walk_graph_from_roads(roads.to_crs(4490).to_crs(roads.crs))
        kwargs[name] = value
    return np.asarray(function(**kwargs, **SPECS[measure].params), dtype=float)


@pytest.mark.parametrize("measure", sorted(SPECS))
def test_measure_is_invariant_to_a_cgcs2000_round_trip(
    inputs: AssessmentInputs, measure: str
) -> None:
    projected = _call(measure, inputs, via_lonlat=False)
    lonlat = _call(measure, inputs, via_lonlat=True)
    assert np.allclose(projected, lonlat, rtol=1e-5, atol=1e-6, equal_nan=True)
