"""The diagnostic layers are heard one by one as they are built (to be written meanwhile),
and the assessment keeps them in the families' order."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from gardencity.assessment import Assessment, run_assessment
from gardencity.assessment.diagnostics import BUILT_FIRST
from gardencity.indicators import FAMILIES


def test_each_layer_is_heard_once_as_built_and_kept_in_the_families_order(
    demo_city: Path, demo_assessment: Assessment
) -> None:
    heard: list[tuple[str, gpd.GeoDataFrame]] = []
    assessment = run_assessment(
        demo_city, layer_built=lambda name, layer: heard.append((name, layer))
    )
    layers = assessment.diagnostics
    names = [name for name, _ in heard]
    assert sorted(names) == sorted(layers) and len(set(names)) == len(names)
    assert all(layer is layers[name] for name, layer in heard)
    first = [name for d in FAMILIES.diagnostics() if d.measure in BUILT_FIRST for name in d.layers]
    assert first and names[: 1 + len(first)] == ["zones", *first]  # written while the rest is built
    families = [name for d in FAMILIES.diagnostics() for name in d.layers]
    in_order = ["zones", *families, "districts_below_minimum"]
    assert list(layers) == [name for name in in_order if name in layers]
    assert list(layers) == list(demo_assessment.diagnostics)
    for name, layer in layers.items():
        assert layer.equals(demo_assessment.diagnostics[name]), name
