"""End to end on the S demo city, plus the engine's handling of missing data and errors."""

from __future__ import annotations

import functools
import inspect
import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import pytest

from gardencity.assessment import run_assessment
from gardencity.errors import DataError
from gardencity.reports import write_outputs


def test_demo_city_tells_the_whole_story(demo_assessment) -> None:  # type: ignore[no-untyped-def]
    by_id = {r.id: r for r in demo_assessment.indicators}
    assert by_id["green_coverage_ratio"].status == "pass_unverified"
    assert by_id["tree_shrub_share"].status == "pass_unverified"
    for failing in (
        "park_area_per_capita",
        "min_district_park_area_per_capita",
        "park_service_coverage",
        "shaded_road_coverage",
    ):
        assert by_id[failing].status == "fail_unverified", failing
        assert by_id[failing].gap and by_id[failing].gap["amount"] > 0
    assert by_id["green_space_ratio"].status == "no_threshold"
    assert by_id["research_capacity"].status == "fail_unverified"
    assert by_id["green_system_plan"].status == "pass_unverified"
    assert not any(r.status in ("pass", "fail") for r in demo_assessment.indicators)
    weak = by_id["min_district_park_area_per_capita"]
    assert weak.value < 5.5 and weak.min_district == "320302"
    assert set(weak.gap["by_district"]) == {"320302"}


def test_gaps_are_consistent_with_values(demo_assessment) -> None:  # type: ignore[no-untyped-def]
    per_capita = demo_assessment.result("park_area_per_capita")
    population = demo_assessment.city["population"]
    expected_ha = (14.8 - per_capita.value) * population / 10_000
    assert per_capita.gap["amount"] == pytest.approx(expected_ha, rel=1e-9)
    assert per_capita.gap["unit"] == "ha"
    shaded = demo_assessment.result("shaded_road_coverage")
    assert shaded.gap["unit"] == "km" and shaded.gap["unshaded_km"] > shaded.gap["amount"]


def test_outputs_scorecard_gpkg_and_report(demo_assessment, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    paths = write_outputs(demo_assessment, tmp_path)
    card = json.loads(paths["scorecard"].read_text(encoding="utf-8"))
    assert card["standard"]["id"] == "national_ecological_garden_city_2022"
    assert {r["id"]: r["value"] for r in card["indicators"]}[
        "park_area_per_capita"
    ] == pytest.approx(demo_assessment.result("park_area_per_capita").value)
    assert "NaN" not in paths["scorecard"].read_text(encoding="utf-8")
    layers = set(pyogrio.list_layers(paths["diagnostics"])[:, 0])
    assert {
        "zones",
        "uncovered_residential",
        "uncovered_residential_walking",
        "service_areas",
        "unshaded_road_segments",
        "districts_below_minimum",
    } <= layers
    assert (
        pyogrio.read_info(paths["diagnostics"], layer="uncovered_residential")["crs"] == "EPSG:4548"
    )
    with sqlite3.connect(paths["diagnostics"]) as db:
        styles = db.execute(
            "select f_table_name, styleQML, useAsDefault from layer_styles"
        ).fetchall()
    styled = {name for name, _, default in styles if default}
    assert styled == layers - {"layer_styles"}
    for _, qml, _ in styles:
        assert ET.fromstring(qml.split("'SYSTEM'>", 1)[1]).find("renderer-v2") is not None
    html = paths["report"].read_text(encoding="utf-8")
    assert "示范市" in html and "达标（阈值待核实）" in html and "二手来源" in html


def test_uncovered_layer_matches_the_coverage_figure(demo_assessment) -> None:  # type: ignore[no-untyped-def]
    coverage = demo_assessment.result("park_service_coverage")
    uncovered_ha = demo_assessment.diagnostics["uncovered_residential"]["area_m2"].sum() / 1e4
    assert uncovered_ha == pytest.approx(coverage.gap["uncovered_ha"], rel=1e-3)


def test_missing_layer_gives_not_assessed_with_a_reason(demo_city: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "city"
    shutil.copytree(demo_city, copy)
    toml = (copy / "city.toml").read_text(encoding="utf-8")
    (copy / "city.toml").write_text(
        toml.replace('land_surface_temperature = "lst.tif"\n', "").replace(
            'weather_stations = "stations.csv"\n', ""
        ),
        encoding="utf-8",
    )
    result = run_assessment(copy).result("heat_island_intensity")
    assert result.status == "not_assessed" and "land_surface_temperature" in result.note


def test_a_failing_measure_does_not_stop_the_others(demo_city: Path) -> None:
    from gardencity.indicators import REGISTRY

    def broken(zones, **_):  # type: ignore[no-untyped-def]
        raise DataError("broken on purpose. Fix: nothing")

    registry = {**REGISTRY, "tree_shrub_share": broken}
    assessment = run_assessment(demo_city, registry=registry)
    assert assessment.result("tree_shrub_share").status == "error"
    assert "broken on purpose" in assessment.result("tree_shrub_share").note
    assert assessment.result("green_coverage_ratio").status == "pass_unverified"


def test_a_measure_shared_by_two_indicators_is_computed_once(demo_city: Path) -> None:
    from gardencity.indicators import REGISTRY

    calls: list[pd.Series] = []

    @functools.wraps(REGISTRY["green_space_ratio"])
    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        series = REGISTRY["green_space_ratio"](*args, **kwargs)
        calls.append(series)
        return series

    registry = {**REGISTRY, "green_space_ratio": counting}
    assessment = run_assessment(demo_city, registry=registry)
    assert len(calls) == 1
    city, lowest = (
        assessment.result("green_space_ratio"),
        assessment.result("min_district_green_space_ratio"),
    )
    assert city.by_district == lowest.by_district
    assert lowest.value == min(v for v in lowest.by_district.values() if v is not None)
    assert city.value == pytest.approx(calls[0]["built_up_area"], rel=1e-12)
    assert lowest.seconds < city.seconds


def test_each_measure_is_heard_once_right_after_the_last_of_its_indicators(
    demo_city: Path,
) -> None:
    """So that its figures can be drawn while the next indicator is computed, rather than
    once the next indicator is there."""
    heard: list[tuple[str, str]] = []
    assessment = run_assessment(
        demo_city,
        indicator_computed=lambda result: heard.append(("indicator", result.method["measure"])),
        measure_computed=lambda measure: heard.append(("measure", measure)),
    )
    measures = [measure for kind, measure in heard if kind == "measure"]
    assert sorted(measures) == sorted({r.method["measure"] for r in assessment.indicators})
    for at, (kind, measure) in enumerate(heard):
        following = heard[at + 1] if at + 1 < len(heard) else None
        if kind == "measure":  # after an indicator of its own, and the last one
            assert heard[at - 1] == ("indicator", measure)
            assert not any(h == ("indicator", measure) for h in heard[at + 1 :])
        elif following is None or following[1] != measure:
            assert following == ("measure", measure)


def test_reused_results_share_no_attrs(demo_city: Path) -> None:
    from gardencity.assessment.evaluate import evaluate_indicator
    from gardencity.assessment.inputs import AssessmentInputs
    from gardencity.indicators import REGISTRY
    from gardencity.io.workspace import Workspace
    from gardencity.standards import load_standard

    std = load_standard("national_ecological_garden_city_2022")
    spec = next(s for s in std.indicators if s.id == "park_area_per_capita")
    inputs = AssessmentInputs(Workspace.open(demo_city))
    computed: dict[str, pd.Series] = {}
    context = {"grade": None, "region": None, "city_size": None}
    _, first = evaluate_indicator(spec, inputs, REGISTRY, std, context, computed=computed)
    _, second = evaluate_indicator(spec, inputs, REGISTRY, std, context, computed=computed)
    assert first is not None and second is not None and first is not second
    pd.testing.assert_series_equal(first, second)
    first.attrs["numerator"]["built_up_area"] = -1.0
    first.iloc[0] = -1.0
    assert second.attrs["numerator"]["built_up_area"] > 0 and second.iloc[0] > 0


def test_a_confirmed_standard_gives_plain_pass_and_fail(demo_city: Path) -> None:
    assessment = run_assessment(demo_city, standard="gb55014_2021")
    statuses = {r.id: r.status for r in assessment.indicators}
    assert statuses["park_service_coverage"] == "pass"  # 88 % > 80 %
    assert statuses["park_area_per_capita"] == "pass"  # 12.7 > 8.0
    assert statuses["community_park_area_per_capita"] in ("pass", "fail")


def test_completeness_parts_on_the_runs_own_inputs_are_computed_once(
    demo_assessment: Any,
) -> None:
    """Five indicators read green spaces' classes, three land-use codes: each part once."""
    computed = demo_assessment.run.computed
    assert computed["gardencity.indicators.data_needs._green_class_part"] == 1
    assert computed["gardencity.indicators.data_needs._land_use_part"] == 1


def test_work_done_in_other_processes_gives_the_same_assessment(
    demo_city: Path, demo_assessment: Any
) -> None:
    """The canopy's class counts made by an executor, and the service measures' covered
    areas and walking cells made in a fork, while the other indicators are computed: the
    same results, in the standard's order, each intermediate computed once; the same
    layers of uncovered residential land."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        assessment = run_assessment(demo_city, executor=pool)
    for label in (
        "gardencity.indicators.coverage.canopy_class_counts",
        "gardencity.indicators.service_cover.service_covered_m2",
        "gardencity.indicators.walking_cells.walked_cells",
        "gardencity.toolkit.service.residential_pieces",
    ):
        assert assessment.run.computed[label] == 1, label
    for layer in ("uncovered_residential", "uncovered_residential_walking"):
        assert len(demo_assessment.diagnostics[layer]) > 0
        assert assessment.diagnostics[layer].equals(demo_assessment.diagnostics[layer])
    assert [r.id for r in assessment.indicators] == [r.id for r in demo_assessment.indicators]
    for mine, theirs in zip(assessment.indicators, demo_assessment.indicators, strict=True):
        assert (mine.value, mine.by_district, mine.status, mine.gap, mine.completeness) == (
            theirs.value,
            theirs.by_district,
            theirs.status,
            theirs.gap,
            theirs.completeness,
        )
    assert list(assessment.diagnostics) == list(demo_assessment.diagnostics)


def test_canopy_counts_start_only_for_a_measure_counting_them_from_the_raster(
    demo_city: Path,
) -> None:
    """Nothing is handed to the executor where every coverage measure is told to use the
    polygons; a measure using the raster starts the count once, and waits for it."""
    from concurrent.futures import ThreadPoolExecutor

    from gardencity.assessment.inputs import AssessmentInputs
    from gardencity.indicators.coverage import CANOPY_MEASURES, start_canopy_class_counts
    from gardencity.io.workspace import Workspace

    run = AssessmentInputs(Workspace.open(demo_city)).run
    polygons_only = [("green_coverage_ratio", {"source": "polygons"}), ("parks_per_10k", {})]
    with ThreadPoolExecutor(1) as pool:
        assert start_canopy_class_counts(run, pool, polygons_only) == ()
        assert run.computed == {}
        raster = [("tree_shrub_share", {}), ("green_coverage_ratio", {"source": "raster"})]
        assert start_canopy_class_counts(run, pool, raster) == CANOPY_MEASURES
        assert start_canopy_class_counts(run, pool, raster) == CANOPY_MEASURES
    assert run.computed == {"gardencity.indicators.coverage.canopy_class_counts": 1}


@pytest.mark.parametrize("indicator", ["park_area_per_capita", "min_district_park_area_per_capita"])
def test_a_gap_that_cannot_be_worked_out_is_not_stated_as_zero(
    demo_city: Path, indicator: str
) -> None:
    """A failing indicator whose measure gives no numerator and denominator has no amount to
    state: no gap, rather than a gap of 0 ha."""
    from gardencity.assessment.evaluate import evaluate_indicator
    from gardencity.assessment.inputs import AssessmentInputs
    from gardencity.indicators import REGISTRY
    from gardencity.io.workspace import Workspace
    from gardencity.standards import load_standard

    std = load_standard("national_ecological_garden_city_2022")
    spec = next(s for s in std.indicators if s.id == indicator)
    measure = REGISTRY[spec.measure]

    def without_parts(*args: Any, **kwargs: Any) -> pd.Series:
        series = measure(*args, **kwargs)
        series.attrs = {
            k: v for k, v in series.attrs.items() if k not in ("numerator", "denominator")
        }
        return series

    without_parts.__signature__ = inspect.signature(measure)  # type: ignore[attr-defined]
    inputs = AssessmentInputs(Workspace.open(demo_city))
    context = {"grade": None, "region": None, "city_size": None}
    whole, _ = evaluate_indicator(spec, inputs, REGISTRY, std, context)
    assert whole.status.startswith("fail") and whole.gap and whole.gap["amount"] > 0
    registry = {**REGISTRY, spec.measure: without_parts}
    result, _ = evaluate_indicator(spec, inputs, registry, std, context)
    assert result.status == whole.status and result.gap is None
