"""The assessment's outputs hold the same information, compactly (issue 19 point 1): the
report draws every feature of a layer, a subset layer is stored once (a GeoPackage view), the
road segments keep the roads' own vertices and the walking shortfall is merged per parcel."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import sys
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pyogrio
import pytest
import shapely
import shapely.ops

from gardencity.assessment import Assessment
from gardencity.indicators.accessibility import walking_table
from gardencity.reports import FigureWorker
from gardencity.reports.maps import _draw_layer
from gardencity.reports.outputs import write_diagnostics, write_outputs
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
    return re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)


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
