"""Overlapping land-use parcels are found however they overlap; a clean tiling with
T-junctions (a vertex of one parcel in the middle of its neighbour's edge) is not flagged."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from gardencity.io.validate import validate_workspace
from gardencity.io.workspace import Workspace, write_workspace
from tests.io._small import CRS, X0, Y0, small_layers


def _overlaps(tmp_path: Path, parcels: list[shapely.Geometry]) -> list[str]:
    land = gpd.GeoDataFrame(
        {"code": ["R2"] * len(parcels), "parcel_id": [f"p{i}" for i in range(len(parcels))]},
        geometry=parcels,
        crs=CRS,
    )
    ws = Workspace.open(
        write_workspace(
            tmp_path / "ws",
            config={"city": {"name": "测试市", "crs": CRS}},
            layers=small_layers(land_use=land),
        )
    )
    return [
        p.message + " " + " ".join(p.details)
        for p in validate_workspace(ws)
        if "overlap" in p.message
    ]


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Geometry:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.mark.parametrize(
    ("parcels", "pair"),
    [
        ([box(0, 0, 100, 100), box(50, 0, 150, 100)], "p0×p1 (5000 m²)"),  # partly
        ([box(0, 0, 300, 300), box(100, 100, 200, 200)], "p0×p1 (10000 m²)"),  # one inside
        ([box(0, 0, 100, 100), box(0, 0, 100, 100)], "p0×p1 (10000 m²)"),  # drawn twice
    ],
)
def test_overlapping_parcels_are_reported_with_the_pair_and_area(
    tmp_path: Path, parcels: list[shapely.Geometry], pair: str
) -> None:
    found = _overlaps(tmp_path, parcels)
    assert found and pair in found[0]


def test_a_tiling_with_t_junctions_has_no_overlap(tmp_path: Path) -> None:
    parcels = [box(0, 0, 100, 200), box(100, 0, 200, 100), box(100, 100, 200, 200)]
    assert _overlaps(tmp_path, parcels) == []


def test_an_assessment_still_stops_at_overlapping_parcels_checked_beside_it(
    tmp_path: Path,
) -> None:
    """The overlap check goes on while the indicators are computed: its error still stops
    the assessment, with the pair listed."""
    from gardencity.assessment import run_assessment
    from gardencity.errors import ValidationError

    land = gpd.GeoDataFrame(
        {"code": ["R2", "R2"], "parcel_id": ["p0", "p1"]},
        geometry=[box(0, 0, 100, 100), box(50, 0, 150, 100)],
        crs=CRS,
    )
    root = write_workspace(
        tmp_path / "ws",
        config={"city": {"name": "测试市", "crs": CRS}},
        layers=small_layers(land_use=land),
    )
    with pytest.raises(ValidationError) as info:
        run_assessment(root)
    assert any("p0×p1 (5000 m²)" in p.details for p in info.value.problems)


def _overlapping_workspace(tmp_path: Path) -> Path:
    land = gpd.GeoDataFrame(
        {"code": ["R2", "R2"], "parcel_id": ["p0", "p1"]},
        geometry=[box(0, 0, 100, 100), box(50, 0, 150, 100)],
        crs=CRS,
    )
    return write_workspace(
        tmp_path / "ws",
        config={"city": {"name": "测试市", "crs": CRS}},
        layers=small_layers(land_use=land),
    )


def test_overlapping_parcels_checked_by_the_figure_worker_still_stop_the_assessment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an executor (the command's figure worker), the coverage check is made there,
    after the measures it computes beside the assessment: the same error, the same pair."""
    from gardencity.assessment import run_assessment
    from gardencity.errors import ValidationError
    from gardencity.io import validate
    from gardencity.reports.worker import FigureWorker

    here: list[int] = []  # another process's calls are counted in its copy of the list
    check = validate.land_use_off_coverage
    monkeypatch.setattr(validate, "land_use_off_coverage", lambda *a: here.append(1) or check(*a))
    root = _overlapping_workspace(tmp_path)
    with FigureWorker() as figures, pytest.raises(ValidationError) as info:
        if figures.executor is None:
            pytest.skip("no process can be forked here")
        run_assessment(root, executor=figures.executor)
    assert any("p0×p1 (5000 m²)" in p.details for p in info.value.problems)
    assert here == []  # made there, not here


def test_a_coverage_check_the_other_process_could_not_make_is_made_here(tmp_path: Path) -> None:
    from concurrent.futures import Future

    from gardencity.errors import ValidationError
    from gardencity.io.validate import start_check
    from gardencity.toolkit import ForkDiedError

    died: Future[None] = Future()
    died.set_exception(ForkDiedError("killed"))
    checked = start_check(Workspace.open(_overlapping_workspace(tmp_path)), off_coverage=died)
    with pytest.raises(ValidationError) as info:
        checked()
    assert any("p0×p1 (5000 m²)" in p.details for p in info.value.problems)
