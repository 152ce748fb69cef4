"""The assessment's outputs hold the same information, compactly (issue 19 point 1): the
report draws every feature of a layer, a subset layer is stored once (a GeoPackage view), the
road segments keep the roads' own vertices and the walking shortfall is merged per parcel."""

from __future__ import annotations

import copy
import os
import re
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import pyogrio
import pytest
import shapely
import shapely.ops

from gardencity.assessment import Assessment, run_assessment
from gardencity.indicators.accessibility import walking_table
from gardencity.reports import (
    FigureWorker,
    start_diagnostics,
    start_district_figures,
    start_figures,
)
from gardencity.reports.geopackage import IN_PLACE_VERTICES, LAYER_VIEWS, GeoPackageWriter
from gardencity.reports.html import district_figures, report_layers
from gardencity.reports.maps import _draw_layer
from gardencity.reports.outputs import write_diagnostics, write_outputs
from gardencity.reports.worker import DistrictFigures, TrackedExecutor, busy
from gardencity.standards import load_standard
from gardencity.toolkit import LineAxes

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def test_a_map_layer_is_drawn_whole_not_a_sample() -> None:
    row, col = np.divmod(np.arange(70_000), 300)
    cells = shapely.box(col, row, col + 0.5, row + 0.5)
    layer = gpd.GeoDataFrame(geometry=cells, crs=4548)
    fig, ax = plt.subplots()
    _draw_layer(ax, layer, {"color": "#d73027"})
    (patch,) = ax.patches
    assert len(patch.get_path().vertices) == 5 * 70_000  # every square, closed ring each
    plt.close(fig)


def test_unshaded_segments_are_stored_once_as_a_view(
    demo_assessment: Assessment, tmp_path: Path
) -> None:
    path = write_diagnostics(demo_assessment.diagnostics, tmp_path / "diagnostics.gpkg")
    with sqlite3.connect(path) as db:
        kinds = dict(db.execute("SELECT name, type FROM sqlite_master").fetchall())
    assert kinds["road_shade_segments"] == "table"
    assert kinds["unshaded_road_segments"] == "view"
    stored = pyogrio.read_dataframe(path, layer="unshaded_road_segments")
    expected = demo_assessment.diagnostics["unshaded_road_segments"]
    assert len(stored) == len(expected) > 0
    assert not stored["is_shaded"].any()
    assert np.allclose(stored["length_m"], expected["length_m"])
    assert stored.geometry.geom_equals_exact(expected.geometry, 1e-9).all()


def test_road_segments_keep_the_roads_own_vertices() -> None:
    rng = np.random.default_rng(7)
    lines = np.array(
        [
            shapely.LineString(np.cumsum(rng.normal(size=(rng.integers(2, 12), 2)) * 30, axis=0))
            for _ in range(300)
        ]
    )
    which = rng.integers(0, len(lines), 2000)
    length = shapely.length(lines)[which]
    start = rng.random(len(which)) * length
    end = start + np.maximum(rng.random(len(which)) * (length - start), 1e-6)
    got = LineAxes(lines).substrings(which, start, end)
    for g, i, a, b in zip(got, which, start, end, strict=True):
        want = shapely.ops.substring(lines[i], a, b)
        assert shapely.get_num_coordinates(g) == shapely.get_num_coordinates(want)
        assert shapely.hausdorff_distance(g, want) < 1e-9


def test_walking_shortfall_is_merged_per_residential_piece(demo_assessment: Assessment) -> None:
    layer = demo_assessment.diagnostics["uncovered_residential_walking"]
    inputs = demo_assessment.run
    assert inputs is not None
    spec = next(
        s for s in load_standard(demo_assessment.standard["id"]).indicators
        if s.measure == "park_service_coverage_walking"
    )  # fmt: skip
    pieces, table, walk, covered = walking_table(
        *(inputs.get(n) for n in ("zones", "land_use", "green_spaces", "walk_graph")),
        inputs.get("park_entrances"),
        inputs.get("historic_districts"),
        **spec.params,
    )
    in_city = pieces["zone_id"].to_numpy()[table.piece] == "built_up_area"
    rows = in_city & ~covered
    assert len(layer) == len(np.unique(table.piece[rows]))  # one feature per piece, not per cell
    assert np.isclose(layer["area_m2"].sum(), table.area[rows].sum())
    assert np.isclose(shapely.area(layer.geometry.to_numpy()).sum(), table.area[rows].sum())
    reachable = np.isfinite(walk[rows])
    assert np.isclose(layer["walk_m"].min(), walk[rows][reachable].min())


def _images(html: str) -> list[str]:
    """The report's maps (SVG and their legends), in order."""
    return re.findall(r'<figure class="map">(.*?)</figure>', html, re.S)


def _charts(html: str) -> list[str]:
    return re.findall(r'<svg [^>]*class="chart [^"]*".*?</svg>', html, re.S)


def test_a_figure_worker_draws_the_same_report_while_the_other_outputs_are_written(
    demo_assessment: Assessment, tmp_path: Path
) -> None:
    alone = write_outputs(demo_assessment, tmp_path / "alone", lang="en")
    with FigureWorker() as figures:
        beside = write_outputs(demo_assessment, tmp_path / "beside", lang="en", figures=figures)
        assert (figures.pid is not None) == (sys.platform == "linux")
    drawn_alone = _images(alone["report"].read_text(encoding="utf-8"))
    drawn_beside = _images(beside["report"].read_text(encoding="utf-8"))
    assert len(drawn_alone) >= 6
    assert drawn_beside == drawn_alone  # the same figures, in the same order


def test_district_figures_started_before_the_diagnostic_layers_draw_the_same_report(
    demo_city: Path, demo_assessment: Assessment, tmp_path: Path
) -> None:
    """The assess command starts the district figures as soon as the indicators are decided;
    the report is the one drawn after the diagnostic layers."""
    started: list[Callable[[], DistrictFigures]] = []
    layers_then: list[int] = []
    with FigureWorker() as figures:

        def decided(assessment: Assessment) -> None:
            layers_then.append(len(assessment.diagnostics))
            started.append(start_district_figures(assessment, figures, "en"))

        early = run_assessment(demo_city, executor=figures.executor, decided=decided)
        beside = write_outputs(
            early, tmp_path / "early", lang="en", figures=figures, drawn=started[0]
        )
    alone = write_outputs(demo_assessment, tmp_path / "alone", lang="en")
    assert layers_then == [0] and early.diagnostics
    assert _images(beside["report"].read_text(encoding="utf-8")) == _images(
        alone["report"].read_text(encoding="utf-8")
    )


def test_figures_drawn_as_what_they_show_is_computed_make_the_same_report(
    demo_city: Path, demo_assessment: Assessment, tmp_path: Path
) -> None:
    """The assess command has each layer map drawn as soon as its layers are built, and
    each district figure as soon as its indicators are computed, while the other
    indicators are computed; the report is the one drawn after the assessment."""
    started_then: list[tuple[int, int]] = []
    drawn: list[Callable[[], DistrictFigures]] = []
    with FigureWorker() as figures:
        early = start_figures(figures, "en")

        def decided(assessment: Assessment) -> None:
            started_then.append((early.layer_maps.started, early.district.started))
            drawn.append(early.district.figures(assessment.scorecard(), assessment.zones))

        assessed = run_assessment(
            demo_city,
            executor=figures.executor,
            decided=decided,
            layer_built=early.layer_built,
            zones_read=early.zones_read,
            indicator_computed=early.indicator_computed,
        )
        beside = write_outputs(
            assessed,
            tmp_path / "early",
            lang="en",
            figures=figures,
            drawn=drawn[0],
            layer_maps=early.layer_maps,
        )
    alone = write_outputs(demo_assessment, tmp_path / "alone", lang="en")
    zones = demo_assessment.zones
    shown = report_layers(demo_assessment.diagnostics, zones[zones["kind"] == "district"])
    images = _images(alone["report"].read_text(encoding="utf-8"))
    (maps_then, figures_then), late = started_then[0], early.district.drawn_late
    assert maps_then == len(shown) >= 3  # every layer map before the end
    assert figures_then >= 2 and figures_then + late == len(images) - len(shown)
    assert _images(beside["report"].read_text(encoding="utf-8")) == images
    charts = _charts(alone["report"].read_text(encoding="utf-8"))
    assert len(charts) >= 8 and _charts(beside["report"].read_text(encoding="utf-8")) == charts


def test_layer_maps_are_drawn_here_from_plans_made_anew_when_the_worker_has_died(
    demo_assessment: Assessment, tmp_path: Path
) -> None:
    with FigureWorker() as figures:
        if figures.pid is None:
            pytest.skip("no process can be forked here")
        maps = start_figures(figures, "en").layer_maps
        maps.zones_read(demo_assessment.zones)
        os.kill(figures.pid, signal.SIGKILL)  # before any map is drawn there
        for name, layer in demo_assessment.diagnostics.items():
            maps.add(name, layer)
        assert maps.started >= 3
        beside = write_outputs(
            demo_assessment, tmp_path / "early", lang="en", figures=figures, layer_maps=maps
        )
    alone = write_outputs(demo_assessment, tmp_path / "alone", lang="en")
    assert _images(beside["report"].read_text(encoding="utf-8")) == _images(
        alone["report"].read_text(encoding="utf-8")
    )


def test_a_district_figure_drawn_early_is_drawn_again_when_its_values_are_not_the_final_ones(
    demo_assessment: Assessment,
) -> None:
    scorecard = demo_assessment.scorecard()
    districts = demo_assessment.zones[demo_assessment.zones["kind"] == "district"]
    changed = scorecard.model_copy(deep=True)
    charted = [card for card in changed.indicators if card.id == "park_area_per_capita"]
    for card in charted:
        card.by_district = {zone: 1.0 for zone in card.by_district}
    late: list[int] = []
    with FigureWorker() as figures:
        for final in (scorecard, changed):
            early = start_figures(figures, "en")
            early.zones_read(demo_assessment.zones)
            for result in demo_assessment.indicators:
                early.indicator_computed(result)
            assert early.district.started >= 2
            got = early.district.figures(final, demo_assessment.zones)()
            late.append(early.district.drawn_late)
    assert charted and late[1] > late[0]  # the changed figures drawn again, the others not
    assert got == district_figures(changed, districts, "en")
    assert got != district_figures(scorecard, districts, "en")


def test_a_measures_district_figures_start_as_soon_as_it_is_computed(
    demo_assessment: Assessment,
) -> None:
    """Told that a measure's indicators are all computed, the figures of those computed so
    far are started then, not when the next measure's indicator comes (nor again then); the
    figures given at the end are the report's."""
    results = demo_assessment.indicators
    first = results[0].method["measure"]
    own = [r for r in results if r.method["measure"] == first]
    assert results[: len(own)] == own and len(own) < len(results)
    with FigureWorker() as figures:
        early = start_figures(figures, "en")
        early.zones_read(demo_assessment.zones)
        for result in own:
            early.indicator_computed(result)
        assert early.district.started == 0
        early.measure_computed(first)
        started = early.district.started
        assert started >= 1
        early.indicator_computed(results[len(own)])  # the next measure's first indicator
        assert early.district.started == started
        for result in results[len(own) + 1 :]:
            early.indicator_computed(result)
        got = early.district.figures(demo_assessment.scorecard(), demo_assessment.zones)()
    districts = demo_assessment.zones[demo_assessment.zones["kind"] == "district"]
    assert got == district_figures(demo_assessment.scorecard(), districts, "en")


def test_a_layer_map_drawn_early_is_drawn_again_when_its_layer_is_not_the_final_one(
    demo_assessment: Assessment, tmp_path: Path
) -> None:
    layers = demo_assessment.diagnostics
    parks = layers["eligible_parks"]
    final = {**layers, "eligible_parks": parks.iloc[: len(parks) // 2]}
    changed = copy.copy(demo_assessment)
    changed.diagnostics = final
    with FigureWorker() as figures:
        maps = start_figures(figures, "en").layer_maps
        maps.zones_read(demo_assessment.zones)
        for name, layer in layers.items():
            maps.add(name, layer)
        assert maps.started >= 3
        beside = write_outputs(
            changed, tmp_path / "early", lang="en", figures=figures, layer_maps=maps
        )
    alone = write_outputs(changed, tmp_path / "alone", lang="en")
    before = write_outputs(demo_assessment, tmp_path / "before", lang="en")
    images = _images(beside["report"].read_text(encoding="utf-8"))
    assert images == _images(alone["report"].read_text(encoding="utf-8"))
    assert images != _images(before["report"].read_text(encoding="utf-8"))


def test_the_report_is_drawn_here_when_the_worker_has_died(
    demo_assessment: Assessment, tmp_path: Path
) -> None:
    alone = write_outputs(demo_assessment, tmp_path / "alone", lang="zh")
    with FigureWorker() as figures:
        if figures.pid is None:
            pytest.skip("no process can be forked here")
        os.kill(figures.pid, signal.SIGKILL)
        beside = write_outputs(demo_assessment, tmp_path / "beside", lang="zh", figures=figures)
    assert _images(beside["report"].read_text(encoding="utf-8")) == _images(
        alone["report"].read_text(encoding="utf-8")
    )


def test_writing_diagnostics_leaves_gdals_sqlite_settings_as_they_were(
    demo_assessment: Assessment, tmp_path: Path
) -> None:
    before = pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS")
    path = write_diagnostics(demo_assessment.diagnostics, tmp_path / "diagnostics.gpkg")
    assert pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS") == before
    with sqlite3.connect(path) as db:  # a whole GeoPackage, no journal left beside it
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diagnostics.gpkg"]


def test_text_columns_are_written_as_text_and_missing_values_as_null(tmp_path: Path) -> None:
    layer = gpd.GeoDataFrame(
        {"zone_id": ["a", "b", "c"], "mixed": ["x", None, 7], "number": [1.0, 2.0, 3.0]},
        geometry=[shapely.Point(i, i).buffer(1) for i in range(3)],
        crs=4547,
    )
    path = write_diagnostics({"zones": layer}, tmp_path / "diagnostics.gpkg")
    back = pyogrio.read_dataframe(path, layer="zones")
    assert back["zone_id"].tolist() == ["a", "b", "c"]
    assert back["mixed"].isna().tolist() == [False, True, False]  # NULL, read back as missing
    assert back["mixed"].dropna().tolist() == ["x", "7"]
    assert back["number"].tolist() == [1.0, 2.0, 3.0]


def test_the_assess_command_never_imports_matplotlib(demo_city: Path, tmp_path: Path) -> None:
    """The report's maps are SVG: no process of the command (its own, its figure worker,
    its forks) imports matplotlib, which the Word self-assessment alone draws with."""
    import subprocess

    script = (
        "import os, sys\n"
        "class Watch:\n"  # every process of the command inherits it
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'matplotlib':\n"
        "            with open(sys.argv[-1], 'a') as f:\n"
        "                f.write(f'{os.getpid()} {name}\\n')\n"
        "        return None\n"
        "sys.meta_path.insert(0, Watch())\n"
        "from gardencity.cli import main\n"
        "main(sys.argv[1:-1])\n"
    )
    out, imported = tmp_path / "out", tmp_path / "imported.txt"
    subprocess.run(
        [sys.executable, "-c", script, "assess", str(demo_city), "--out", str(out), "--lang",
         "en", str(imported)],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    assert not imported.exists(), imported.read_text()
    assert len(_images((out / "report.html").read_text(encoding="utf-8"))) >= 6


def _geopackage(path: Path) -> dict[str, object]:
    """Every layer of a GeoPackage as read back, its views and its styles (not the time)."""
    with sqlite3.connect(path) as db:
        views = sorted(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'"))
        styles = sorted(db.execute("SELECT f_table_name, styleQML FROM layer_styles"))
        kinds = sorted(db.execute("SELECT table_name, data_type, srs_id FROM gpkg_contents"))
    names = [str(n) for n, _ in pyogrio.list_layers(path) if n != "layer_styles"]
    layers = {name: pyogrio.read_dataframe(path, layer=name) for name in names}
    return {"views": views, "styles": styles, "contents": kinds, "layers": layers}


def _same_geopackage(got: Path, want: Path) -> None:
    a, b = _geopackage(got), _geopackage(want)
    for key in ("views", "styles", "contents"):
        assert a[key] == b[key], key
    got_layers, want_layers = a["layers"], b["layers"]
    assert isinstance(got_layers, dict) and isinstance(want_layers, dict)
    assert sorted(got_layers) == sorted(want_layers)
    for name, frame in want_layers.items():
        other = got_layers[name]
        assert list(other.columns) == list(frame.columns), name
        assert other.drop(columns="geometry").equals(frame.drop(columns="geometry")), name
        assert (shapely.to_wkb(other.geometry.array) == shapely.to_wkb(frame.geometry.array)).all()


@pytest.fixture
def written_alone(
    demo_assessment: Assessment, tmp_path: Path
) -> tuple[dict[str, gpd.GeoDataFrame], Path]:
    """The demo's diagnostic layers and the GeoPackage written from them in this process."""
    layers = demo_assessment.diagnostics
    return layers, write_diagnostics(layers, tmp_path / "alone" / "diagnostics.gpkg")


def test_layers_written_by_the_worker_as_they_are_built_make_the_same_geopackage(
    written_alone: tuple[dict[str, gpd.GeoDataFrame], Path], tmp_path: Path
) -> None:
    layers, alone = written_alone
    path = tmp_path / "beside" / "diagnostics.gpkg"
    # every layer handed to the worker, however small
    with (
        FigureWorker() as figures,
        GeoPackageWriter(
            path, figures.executor, in_place_vertices=0, in_place_when_busy_vertices=0
        ) as writer,
    ):
        for name in reversed(layers):  # in another order, the view's source still first
            if name != "unshaded_road_segments":
                writer.add(name, layers[name])
        writer.add("unshaded_road_segments", layers["unshaded_road_segments"])
        beside = writer.close("en")
    assert len(layers["road_shade_segments"]) > 0
    _same_geopackage(beside, alone)
    assert sorted(p.name for p in beside.parent.iterdir()) == ["diagnostics.gpkg"]


def test_the_layers_are_written_here_again_when_the_worker_dies_on_the_way(
    written_alone: tuple[dict[str, gpd.GeoDataFrame], Path], tmp_path: Path
) -> None:
    layers, alone = written_alone
    path = tmp_path / "beside" / "diagnostics.gpkg"
    with (
        FigureWorker() as figures,
        GeoPackageWriter(
            path, figures.executor, in_place_vertices=0, in_place_when_busy_vertices=0
        ) as writer,
    ):
        if figures.pid is None:
            pytest.skip("no process can be forked here")
        names = list(layers)
        for name in names[:2]:
            writer.add(name, layers[name])
        os.kill(figures.pid, signal.SIGKILL)
        for name in names[2:]:
            writer.add(name, layers[name])
        beside = writer.close("en")
    _same_geopackage(beside, alone)


class _CountingExecutor(ThreadPoolExecutor):
    """A thread pool that counts the work handed to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.handed: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.handed.append(str(args[1]) if len(args) > 1 else fn.__name__)
        return super().submit(fn, *args, **kwargs)


def test_small_layers_are_written_in_place_and_large_ones_handed_over(
    written_alone: tuple[dict[str, gpd.GeoDataFrame], Path], tmp_path: Path
) -> None:
    """Writing a layer takes the caller several times what handing it over does: the
    layers of the demo city above a few vertices are handed over, the smallest written
    here; a layer above the limit is handed over, and so are the layers after it while it
    is being written (the file is written in the layers' order)."""
    layers, alone = written_alone
    vertices = {
        name: int(shapely.get_num_coordinates(layer.geometry.to_numpy()).sum())
        for name, layer in layers.items()
        if layer is not None and not layer.empty and name not in LAYER_VIEWS
    }
    with _CountingExecutor() as executor:
        path = tmp_path / "default" / "diagnostics.gpkg"
        with GeoPackageWriter(path, executor) as writer:
            for name, layer in layers.items():
                writer.add(name, layer)
            default = writer.close("en")
        large = [name for name, count in vertices.items() if count > IN_PLACE_VERTICES]
        assert large and set(large) <= set(executor.handed)
        assert executor.handed[0] == large[0]
        before = list(vertices)[: list(vertices).index(large[0])]
        assert set(before).isdisjoint(executor.handed)  # nothing was being written then
        executor.handed.clear()
        path = tmp_path / "every" / "diagnostics.gpkg"
        with GeoPackageWriter(path, executor, in_place_vertices=max(vertices.values())) as writer:
            for name, layer in layers.items():
                writer.add(name, layer)
            every = writer.close("en")
        assert executor.handed == []
    _same_geopackage(default, alone)
    _same_geopackage(every, alone)


def test_layers_are_written_here_while_the_worker_has_other_work(
    written_alone: tuple[dict[str, gpd.GeoDataFrame], Path], tmp_path: Path
) -> None:
    """A layer handed to a worker busy with other work (a measure, figures) would wait
    behind it: the layers that are not large are written here then, and handed over once
    the worker is done with that work."""
    layers, alone = written_alone
    release = threading.Event()
    with _CountingExecutor() as counting:
        executor = TrackedExecutor(counting)
        other = executor.submit(release.wait)
        assert busy(executor)
        with GeoPackageWriter(tmp_path / "busy" / "diagnostics.gpkg", executor) as writer:
            for name, layer in layers.items():
                writer.add(name, layer)
            busy_then = writer.close("en")
        assert counting.handed == ["wait"]
        release.set()
        other.result()
        assert not busy(executor)
        with GeoPackageWriter(tmp_path / "idle" / "diagnostics.gpkg", executor) as writer:
            for name, layer in layers.items():
                writer.add(name, layer)
            idle_then = writer.close("en")
        assert len(counting.handed) > 1
    _same_geopackage(busy_then, alone)
    _same_geopackage(idle_then, alone)


def test_an_assessment_that_fails_leaves_no_unfinished_geopackage(
    demo_assessment: Assessment, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with (
        FigureWorker() as figures,
        pytest.raises(KeyError),
        start_diagnostics(out, figures) as writer,
    ):
        for name, layer in demo_assessment.diagnostics.items():
            writer.add(name, layer)
        raise KeyError("a failure while the layers are written")
    assert list(out.iterdir()) == []


def test_the_assess_command_writes_the_geopackage_the_assessment_gives(
    demo_city: Path, demo_assessment: Assessment, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from gardencity.cli import main

    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["assess", str(demo_city), "--out", str(out), "--lang", "en"])
    assert done.exit_code == 0, done.output
    alone = write_diagnostics(demo_assessment.diagnostics, tmp_path / "diagnostics.gpkg")
    _same_geopackage(out / "diagnostics.gpkg", alone)
    assert sorted(p.name for p in out.iterdir()) == [
        "diagnostics.gpkg",
        "report.html",
        "scorecard.json",
    ]
