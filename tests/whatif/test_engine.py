"""What-if without a re-run: after edits of parks and residential land, the incrementally
re-evaluated indicators equal a full assessment of the edited workspace."""

from __future__ import annotations

import functools
import json
import re
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from gardencity.assessment import run_assessment
from gardencity.errors import InvalidRequestError
from gardencity.whatif import IncrementalAssessment

FOLLOWED = (
    "green_space_ratio",
    "min_district_green_space_ratio",
    "park_area_per_capita",
    "min_district_park_area_per_capita",
    "park_service_coverage",
    "park_service_coverage_walking",
    "parks_per_10k",
)
NEW_PARK = shapely.Point(481_000, 3_791_000).buffer(150)


@pytest.fixture(scope="module")
def whatif(demo_city: Path, demo_assessment: Any) -> IncrementalAssessment:
    return IncrementalAssessment(demo_city, base=demo_assessment)


def _edited_copy(
    source: Path,
    dest: Path,
    *,
    green_add: list[dict[str, Any]],
    green_drop: list[int],
    land_add: list[dict[str, Any]],
    land_drop: list[int],
) -> Path:
    """The workspace with the same edits written into its layers."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("runs", "campaign"))
    gpkg = dest / "city.gpkg"
    for layer, add, drop in (
        ("green_spaces", green_add, green_drop),
        ("land_use", land_add, land_drop),
    ):
        frame = pyogrio.read_dataframe(gpkg, layer=layer)
        rows = gpd.GeoDataFrame(add, geometry="geometry", crs=frame.crs)
        edited = pd.concat([frame.drop(index=drop), rows], ignore_index=True)
        pyogrio.write_dataframe(
            gpd.GeoDataFrame(edited, geometry="geometry", crs=frame.crs),
            gpkg,
            layer=layer,
            layer_options={"OVERWRITE": "YES"},
        )
    return dest


def _values(assessment: Any, ids: tuple[str, ...]) -> dict[str, Any]:
    return {i: (assessment.result(i).value, assessment.result(i).by_district) for i in ids}


#: the green space ratio's unions are tiled in the engine and summed without being built in
#: a run: the two differ only in the last digits
RELATIVE = {"green_space_ratio": 1e-12, "min_district_green_space_ratio": 1e-12}


def _same(a: float | None, b: float | None, rel: float = 1e-9) -> bool:
    return a == b if a is None or b is None else a == pytest.approx(b, rel=rel, abs=rel)


def _assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    for indicator, (value, by_district) in want.items():
        rel = RELATIVE.get(indicator, 1e-9)
        assert _same(got[indicator][0], value, rel), indicator
        for district, v in by_district.items():
            assert _same(got[indicator][1][district], v, rel), (indicator, district)


def test_edits_give_what_a_full_assessment_of_the_edited_workspace_gives(
    whatif: IncrementalAssessment, demo_city: Path, tmp_path: Path
) -> None:
    green = whatif.layers.green.frame
    biggest_park = int(
        green[green["green_class"].str.startswith("G1")].geometry.area.idxmax()  # type: ignore[arg-type]
    )
    land = whatif.layers.parcels.frame
    some_homes = int(land.index[land["category"] == "residential"][10])
    works = int(land.index[land["code"].astype(str).str.startswith("M")][0])
    new_homes = land.geometry.loc[works]  # an industrial parcel rezoned for housing

    park = whatif.add_park(NEW_PARK)
    whatif.remove_park(biggest_park)
    homes = whatif.add_residential(new_homes)
    whatif.remove_residential(some_homes)
    changed = whatif.changed()
    assert {"park_service_coverage", "park_service_coverage_walking"} <= set(changed)

    edited = _edited_copy(
        demo_city,
        tmp_path / "edited",
        green_add=[
            {
                "green_class": "G11",
                "name": "规划新公园",
                "is_open": True,
                "in_construction_land": True,
                "geometry": NEW_PARK,
            }
        ],
        green_drop=[biggest_park],
        land_add=[{"parcel_id": "NEW1", "code": "R2", "geometry": new_homes}],
        land_drop=[some_homes, works],
    )
    every = tuple(r.id for r in whatif.base.indicators)
    _assert_same(_values(whatif.assessment(), every), _values(run_assessment(edited), every))

    # undoing the edits brings the base figures back
    whatif.remove_park(park)
    whatif.remove_residential(homes)
    whatif.add_park(
        green.geometry.loc[biggest_park], green_class=green["green_class"].loc[biggest_park]
    )
    whatif.add_residential(land.geometry.loc[some_homes])
    _assert_same(_values(whatif.assessment(), every), _values(whatif.base, every))


def test_the_other_indicators_and_statuses_come_from_the_base_run(
    whatif: IncrementalAssessment,
) -> None:
    now = whatif.assessment()
    assert [r.id for r in now.indicators] == [r.id for r in whatif.base.indicators]
    shaded = now.result("shaded_road_coverage")
    assert shaded == whatif.base.result("shaded_road_coverage")
    coverage = now.result("park_service_coverage")
    base = whatif.base.result("park_service_coverage")
    assert coverage.threshold == base.threshold
    assert coverage.inputs == base.inputs


def test_only_indicators_that_read_an_edited_layer_are_decided_again(
    demo_city: Path, demo_assessment: Any
) -> None:
    """A drawn park cannot change road shade or greenway coverage: those keep the base run's
    results; once the park is taken out again, every indicator is the base run's."""
    engine = IncrementalAssessment(demo_city, base=demo_assessment)
    base = engine.base
    key = engine.add_park(NEW_PARK)
    now = engine.assessment()
    for unread in ("shaded_road_coverage", "greenway_service_coverage"):
        assert now.result(unread) is base.result(unread)
    assert now.result("park_service_coverage") is not base.result("park_service_coverage")
    assert now.result("park_service_coverage").value != base.result("park_service_coverage").value
    engine.remove_park(key)
    again = engine.assessment()
    assert all(a is b for a, b in zip(again.indicators, base.indicators, strict=True))


def test_edits_outside_the_city_or_not_polygons_are_refused_with_a_fix(
    whatif: IncrementalAssessment,
) -> None:
    edits = [
        (lambda: whatif.add_park(shapely.box(0, 0, 100, 100)), "建成区", "outside the built-up"),
        (
            lambda: whatif.add_park(
                shapely.LineString([(481_000, 3_791_000), (481_100, 3_791_000)])
            ),
            "公园须为面",
            "park must be a polygon",
        ),
        (lambda: whatif.remove_park("no-such-park"), "没有绿地", "No green space"),
        (lambda: whatif.remove_residential("x"), "没有居住用地地块", "No residential parcel"),
    ]
    for edit, zh, en in edits:
        with pytest.raises(InvalidRequestError) as caught:
            edit()
        assert zh in caught.value.text("zh") and en in caught.value.text("en")
        assert not re.search(r"[\u4e00-\u9fff]", caught.value.text("en"))


def test_shading_a_road_gives_what_a_full_run_of_the_burned_copy_gives(
    whatif: IncrementalAssessment, demo_city: Path, tmp_path: Path
) -> None:
    from gardencity.jobs.whatif import apply_edits

    unshaded = whatif.base.diagnostics["unshaded_road_segments"]
    longest = unshaded.geometry.length.sort_values().index[-3:]
    lines = gpd.GeoSeries(unshaded.geometry.loc[longest], crs=unshaded.crs).to_crs(4326)
    drawn = [json.loads(shapely.to_geojson(line)) for line in lines]
    keys = [
        whatif.shade_road(line)
        for line in gpd.GeoSeries(lines, crs=4326).to_crs(unshaded.crs)  # as drawn on the map
    ]
    changed = whatif.changed()
    assert changed["shaded_road_coverage"][1] > changed["shaded_road_coverage"][0]
    assert "green_coverage_ratio" in changed

    every = tuple(r.id for r in whatif.base.indicators)
    edited = apply_edits(demo_city, {"shaded_roads": drawn}, tmp_path / "shaded")
    _assert_same(_values(whatif.assessment(), every), _values(run_assessment(edited), every))

    for key in keys:
        whatif.unshade_road(key)
    _assert_same(_values(whatif.assessment(), every), _values(whatif.base, every))


def test_the_engine_builds_on_the_base_runs_inputs_and_intermediates(demo_city: Path) -> None:
    """Set-up after an assessment reads no layer again and recomputes nothing the run has."""
    base = run_assessment(demo_city)
    before = dict(base.run.computed) if base.run is not None else {}
    engine = IncrementalAssessment(demo_city, base=base)
    assert engine.inputs is base.inputs
    assert base.run is not None
    after = base.run.computed
    assert {name: after[name] for name in before} == before
    assert {
        "road_shade_segments",
        "road_green_segments",
        "green_kinds",
        "service_cover",
        "covered_pieces",
        "walking_table",
        "walking_reach",
    } <= {name.rsplit(".", 1)[-1] for name in before}
    # the measure sums the green spaces' areas without their tiled unions: the engine builds
    # them once, from the same selection of green spaces
    covers = "gardencity.indicators.green_space.green_space_covers"
    assert covers not in before and after[covers] == 1


def test_the_engines_tiled_unions_are_of_the_green_spaces_the_run_selected(
    demo_city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The green spaces are selected once: by the measure, not again at the engine's set-up."""
    from gardencity.indicators import green_space

    selections = []
    select = green_space.green_kinds

    @functools.wraps(select)  # the same signature: the run keeps its result
    def counted(*args: Any, **kwargs: Any) -> Any:
        selections.append(1)
        return select(*args, **kwargs)

    monkeypatch.setattr(green_space, "green_kinds", counted)
    base = run_assessment(demo_city)
    IncrementalAssessment(demo_city, base=base)
    assert len(selections) == 1
