"""Assessment runs: import, one at a time, interrupted runs, the worker's job (what-if
included), and the map layers as WGS 84 GeoJSON."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
import shapely

from gardencity.db.engine import open_database
from gardencity.errors import ConflictError, InvalidRequestError, NotFoundError
from gardencity.jobs import layers
from gardencity.jobs.models import AssessmentRun
from gardencity.jobs.runs import (
    MEASURES_SHARE,
    REPORT_GZIP,
    WRITING_STARTS,
    execute_run,
    import_outputs,
    latest_run,
    mark_interrupted,
    run_dir,
    run_message,
    start_run,
)
from gardencity.jobs.whatif import apply_edits, check_edits
from gardencity.reports.outputs import write_outputs


@pytest.fixture
def workspace(demo_city: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "city"
    shutil.copytree(demo_city, copy)
    return copy


@pytest.fixture
def outputs(demo_assessment: Any, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    write_outputs(demo_assessment, out)
    return out


def _db(tmp_path: Path) -> Any:
    return open_database(f"sqlite:///{tmp_path / 'c.db'}")


def test_imported_outputs_become_a_finished_run(
    workspace: Path, outputs: Path, tmp_path: Path
) -> None:
    db = _db(tmp_path)
    with db.session() as session:
        run = import_outputs(session, workspace, outputs)
        run_id = run.id
    with db.session() as session:
        latest = latest_run(session)
        assert latest is not None and latest.id == run_id and latest.status == "succeeded"
        # its step is said in the reader's language, never in both at once
        assert run_message(latest.message, "zh") == "由命令行评估导入"  # no server path
        assert run_message(latest.message, "en") == "imported from a command-line assessment"
        scorecard = json.loads((outputs / "scorecard.json").read_text())
        assert latest.values["park_service_coverage"]["value"] == pytest.approx(
            next(i["value"] for i in scorecard["indicators"] if i["id"] == "park_service_coverage")
        )
    for name in ("scorecard.json", "diagnostics.gpkg", "report.html"):
        assert (run_dir(workspace, run_id) / name).is_file()
    # the report compressed beside it, as the API sends it: the same page, a fraction of it
    report = (run_dir(workspace, run_id) / "report.html").read_bytes()
    packed = (run_dir(workspace, run_id) / REPORT_GZIP).read_bytes()
    assert gzip.decompress(packed) == report and len(packed) < len(report) / 3
    with db.session() as session, pytest.raises(NotFoundError, match="gardencity assess"):
        import_outputs(session, workspace, tmp_path / "nothing")
    db.dispose()


def test_one_run_at_a_time_and_interrupted_runs_fail(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with db.session() as session:
        queued = start_run(session, user_id=None)
        first = queued.id
        assert (run_message(queued.message, "zh"), run_message(queued.message, "en")) == (
            "排队中",
            "queued",
        )
    with db.session() as session, pytest.raises(ConflictError, match="正在进行"):
        start_run(session, user_id=None)
    with db.session() as session:
        assert mark_interrupted(session) == 1
    with db.session() as session:
        run = session.get(AssessmentRun, first)
        assert run is not None and run.status == "failed" and run.error == "interrupted"
        assert run_message(run.error, "zh") == "服务器重启，评估中断，请重新开始"
        assert run_message(run.error, "en") == "Interrupted by a server restart: start again"
        start_run(session, user_id=None)  # allowed again
    db.dispose()


def test_map_layers_are_wgs84_geojson(workspace: Path, outputs: Path, tmp_path: Path) -> None:
    districts = json.loads(layers.workspace_geojson(workspace, "districts"))
    assert len(districts["features"]) == 4
    residential = json.loads(layers.workspace_geojson(workspace, "residential"))
    codes = {f["properties"]["code"] for f in residential["features"]}
    assert codes and all(code.startswith("R") for code in codes)
    lons = [c[0] for f in residential["features"][:50] for c in f["geometry"]["coordinates"][0]]
    assert all(70 < lon < 140 for lon in lons)  # longitude, not metres
    uncovered = json.loads(layers.diagnostic_geojson(outputs, "uncovered_residential"))
    stored = pyogrio.read_dataframe(outputs / "diagnostics.gpkg", layer="uncovered_residential")
    assert len(uncovered["features"]) == len(stored) > 0
    area = gpd.GeoDataFrame.from_features(uncovered["features"], crs=4326).to_crs(stored.crs)
    assert area.area.sum() == pytest.approx(stored.area.sum(), rel=1e-3)
    with pytest.raises(NotFoundError, match="可选") as unknown:
        layers.workspace_geojson(workspace, "secret_table")
    assert "choose one of" in unknown.value.text("en")
    with pytest.raises(NotFoundError, match="可选"):
        layers.diagnostic_geojson(outputs, "../../etc/passwd")


def test_what_if_edits_are_checked() -> None:
    with pytest.raises(InvalidRequestError, match="请先画一个新公园") as nothing:
        check_edits({"parks": [], "shaded_roads": []})
    assert nothing.value.text("en") == "Draw a park or mark a road first"
    with pytest.raises(InvalidRequestError, match="Polygon"):
        check_edits({"parks": [{"type": "Point", "coordinates": [114, 30]}]})
    with pytest.raises(InvalidRequestError, match="GeoJSON"):
        check_edits({"parks": [{"type": "Polygon", "coordinates": "x"}]})
    with pytest.raises(InvalidRequestError):
        check_edits({"lakes": []})


def _park_over_uncovered_land(outputs: Path) -> tuple[dict[str, Any], Any]:
    uncovered = pyogrio.read_dataframe(outputs / "diagnostics.gpkg", layer="uncovered_residential")
    biggest = uncovered.geometry.area.idxmax()
    centre = uncovered.geometry.loc[biggest].representative_point()
    park = gpd.GeoSeries([shapely.box(*centre.buffer(200).bounds)], crs=uncovered.crs)
    return json.loads(shapely.to_geojson(park.to_crs(4326).iloc[0])), uncovered.crs


def test_what_if_copy_has_the_new_park_and_the_shade(
    workspace: Path, outputs: Path, tmp_path: Path
) -> None:
    park, crs = _park_over_uncovered_land(outputs)
    roads = pyogrio.read_dataframe(outputs / "diagnostics.gpkg", layer="unshaded_road_segments")
    road = json.loads(shapely.to_geojson(roads.to_crs(4326).geometry.iloc[0]))
    variant = apply_edits(workspace, {"parks": [park], "shaded_roads": [road]}, tmp_path / "v")
    before = pyogrio.read_dataframe(workspace / "city.gpkg", layer="green_spaces")
    after = pyogrio.read_dataframe(variant / "city.gpkg", layer="green_spaces")
    assert len(after) == len(before) + 1 and after["green_class"].iloc[-1] == "G11"
    assert after.geometry.iloc[-1].area == pytest.approx(160_000, rel=0.01)
    with rasterio.open(workspace / "canopy.tif") as a, rasterio.open(variant / "canopy.tif") as b:
        assert int(np.sum(b.read(1) == 1)) > int(np.sum(a.read(1) == 1))
    assert not (variant / "campaign").exists() and not (variant / "runs").exists()
    del crs


@pytest.mark.slow
def test_a_what_if_run_raises_park_coverage(workspace: Path, outputs: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    db = open_database(url)
    park, _ = _park_over_uncovered_land(outputs)
    with db.session() as session:
        baseline = import_outputs(session, workspace, outputs)
        base_values = dict(baseline.values)
        run_id = start_run(session, user_id=None, kind="what_if", edits={"parks": [park]}).id
    execute_run(url, run_id, str(workspace))  # what the worker process does
    with db.session() as session:
        run = session.get(AssessmentRun, run_id)
        assert run is not None and run.status == "succeeded", run and run.error
        values = dict(run.values)
    db.dispose()
    key = "park_service_coverage"
    assert values[key]["value"] > base_values[key]["value"]
    assert values["park_area_per_capita"]["value"] > base_values["park_area_per_capita"]["value"]
    report = (run_dir(workspace, run_id) / "report.html").read_text(encoding="utf-8")
    assert "<title>【情景推演】" in report and 'id="scenario"' in report  # never mistaken
    baseline_report = (run_dir(workspace, baseline.id) / "report.html").read_text("utf-8")
    assert "情景推演" not in baseline_report


def test_the_outputs_report_each_file_as_it_is_written(
    tmp_path: Path, demo_assessment: Any
) -> None:
    heard: list[str] = []
    write_outputs(demo_assessment, tmp_path / "out", progress=heard.append)
    assert heard == ["scorecard", "diagnostics", "report"]
    assert list(WRITING_STARTS)[:3] == heard and min(WRITING_STARTS.values()) >= MEASURES_SHARE


@pytest.mark.slow
def test_a_park_what_if_is_incremental_and_equals_a_full_run_of_the_edited_copy(
    workspace: Path, outputs: Path, tmp_path: Path
) -> None:
    from gardencity.assessment import run_assessment
    from gardencity.jobs.whatif_fast import incremental_whatif

    park, _ = _park_over_uncovered_land(outputs)
    fast = incremental_whatif(workspace, {"parks": [park]})
    full = run_assessment(apply_edits(workspace, {"parks": [park]}, tmp_path / "variant"))
    for result in full.indicators:
        got = fast.result(result.id)
        assert got.value == pytest.approx(result.value, rel=1e-9, abs=1e-9), result.id
        assert got.status == result.status, result.id
    again = incremental_whatif(workspace, {"parks": [park]})  # the kept state, parks removed
    assert [r.value for r in again.indicators] == pytest.approx(
        [r.value for r in fast.indicators], rel=1e-9, abs=1e-9
    )


@pytest.mark.slow
def test_stopping_the_server_kills_a_running_assessment(workspace: Path, tmp_path: Path) -> None:
    import os
    import time

    from gardencity.jobs import JobRunner
    from gardencity.jobs.runs import mark_interrupted

    url = f"sqlite:///{tmp_path / 'c.db'}"
    db = open_database(url)
    with db.session() as session:
        run_id = start_run(session, user_id=None).id
    runner = JobRunner(url, workspace)
    runner.submit(run_id)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with db.session() as session:
            if session.get(AssessmentRun, run_id).status == "running":  # type: ignore[union-attr]
                break
        time.sleep(0.2)
    pids = runner.worker_pids()
    assert pids
    started = time.monotonic()
    runner.shutdown()
    assert time.monotonic() - started < 15
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with db.session() as session:
        assert mark_interrupted(session) == 1
        run = session.get(AssessmentRun, run_id)
        assert run is not None and run.status == "failed" and "interrupted" in (run.error or "")
    db.dispose()


def test_a_run_stopped_by_validation_says_every_problem_in_each_language(tmp_path: Path) -> None:
    from gardencity.errors import Problem, ValidationError
    from gardencity.jobs.runs import failure_text

    workspace = tmp_path / "徐州"
    problem = Problem(
        "land_use",
        "required layer 'land_use' is missing",
        f"add it with `gardencity import-layer {workspace} land_use FILE`",
        message_zh="缺少必需图层 land_use（用地）",
        fix_zh=f"用 `gardencity import-layer {workspace} land_use FILE` 导入",
    )
    stored = failure_text(ValidationError([problem]), workspace)
    chinese, english = run_message(stored, "zh"), run_message(stored, "en")
    assert "数据检查未通过：须先改正 1 个问题" in chinese and "缺少必需图层" in chinese
    assert "required" not in chinese and "problem(s)" not in chinese
    assert "1 problem must be fixed" in english and "required layer 'land_use'" in english
    assert str(tmp_path) not in chinese + english  # the folder's name stands for it
