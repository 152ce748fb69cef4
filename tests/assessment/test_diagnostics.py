"""The diagnostic layers are heard one by one as they are built (to be written and drawn
meanwhile): a family's layers as soon as the indicator of its measure is computed. The
assessment keeps them in the families' order."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from gardencity.assessment import Assessment, run_assessment
from gardencity.indicators import FAMILIES
from gardencity.messages import Message


def test_each_layer_is_heard_once_as_built_and_kept_in_the_families_order(
    demo_city: Path, demo_assessment: Assessment
) -> None:
    heard: list[tuple[str, gpd.GeoDataFrame]] = []
    events: list[str] = []  # "indicator <name>" before each indicator, "layer <name>" after

    def progress(step: Message, done: int, total: int) -> None:
        events.append(f"indicator {step.render('en')}")

    def layer_built(name: str, layer: gpd.GeoDataFrame) -> None:
        heard.append((name, layer))
        events.append(f"layer {name}")

    assessment = run_assessment(demo_city, progress=progress, layer_built=layer_built)
    layers = assessment.diagnostics
    names = [name for name, _ in heard]
    assert sorted(names) == sorted(layers) and len(set(names)) == len(names)
    assert all(layer is layers[name] for name, layer in heard)
    measures = {result.name_en: result.method["measure"] for result in assessment.indicators}
    for diagnostic in FAMILIES.diagnostics():
        (computed,) = [name for name, measure in measures.items() if measure == diagnostic.measure]
        after = events[events.index(f"indicator {computed}") + 1 :]
        built = [name for name in diagnostic.layers if name in layers]
        assert built and after[: len(built)] == [f"layer {name}" for name in built]
        assert any(e.startswith("indicator") for e in after[len(built) :])  # before the rest
    assert names[-2:] == ["zones", "districts_below_minimum"] or names[-1] == "zones"
    families = [name for d in FAMILIES.diagnostics() for name in d.layers]
    in_order = ["zones", *families, "districts_below_minimum"]
    assert list(layers) == [name for name in in_order if name in layers]
    assert list(layers) == list(demo_assessment.diagnostics)
    for name, layer in layers.items():
        assert layer.equals(demo_assessment.diagnostics[name]), name
