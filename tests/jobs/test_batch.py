"""assess-batch on a real Dask LocalCluster of two worker processes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from gardencity.cli import main
from gardencity.jobs.batch import assess_batch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def three_cities(tmp_path_factory: pytest.TempPathFactory, demo_city: Path) -> list[Path]:
    """The S demo city, a second S city from another seed, and a broken copy (no city.gpkg)."""
    from gardencity.demo import generate_demo_city

    root = tmp_path_factory.mktemp("batch")
    second = generate_demo_city(root / "second", "S", seed=7)
    broken = root / "broken"
    shutil.copytree(demo_city, broken)
    (broken / "city.gpkg").unlink()
    return [demo_city, second, broken]


def test_every_city_once_with_the_values_of_a_single_assessment(
    three_cities: list[Path],
    demo_assessment,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    seen: list[tuple[int, int, bool]] = []
    result = assess_batch(
        three_cities,
        n_workers=2,
        retries=1,
        out_dir=tmp_path / "reports",
        progress=lambda done, total, _ws, ok: seen.append((done, total, ok)),
    )
    first, second, broken = (str(p.resolve()) for p in three_cities)
    assert list(result.scorecards) == [first, second]
    assert set(result.failures) == {broken}
    assert "required layer 'land_use'" in result.failures[broken].render("en")
    assert "gardencity import-layer" in result.failures[broken].render("en")
    chinese = result.failures[broken].render("zh")
    assert "数据检查未通过" in chinese and "缺少必需图层 land_use（用地）" in chinese
    assert "required" not in chinese
    assert [d for d, _, _ in seen] == [1, 2, 3] and {t for _, t, _ in seen} == {3}
    assert sorted(ok for _, _, ok in seen) == [False, True, True]

    single = {i["id"]: i for i in demo_assessment.to_dict()["indicators"]}
    table = result.table
    row = table.loc[first]
    for indicator_id, indicator in single.items():
        assert row[f"{indicator_id}:status"] == indicator["status"]
        if indicator["value"] is None:
            assert pd.isna(row[indicator_id])
        else:
            assert row[indicator_id] == pytest.approx(indicator["value"], abs=1e-9)
    assert table.loc[second, "green_coverage_ratio"] != row["green_coverage_ratio"]
    written = json.loads(
        (tmp_path / "reports" / three_cities[0].name / "scorecard.json").read_text()
    )
    assert written["indicators"][0]["value"] == single[written["indicators"][0]["id"]]["value"]


def test_the_command_writes_the_table_and_fails_for_a_broken_city(
    three_cities: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "全省.xlsx"
    args = [str(three_cities[1]), str(three_cities[2]), "--workers", "2", "--out", str(out)]
    result = CliRunner().invoke(main, ["assess-batch", *args])
    assert result.exit_code == 1, result.output
    assert "broken" in result.output and "必需图层" in result.output
    assert "required" not in result.output  # the command's language throughout
    # the office layout: a title row above the header, 编制单位 and 日期 below the table
    table = pd.read_excel(out, index_col=0, header=1, skipfooter=3)
    assert list(table.index) == [str(three_cities[1].resolve())]
    assert "green_coverage_ratio:status" in table.columns


def _a_city_in_the_worker(workspace: str) -> tuple[int | None, list[str], bool]:
    """The worker's threads as the task sees them, the threads started while a city is
    assessed there, and whether it was assessed."""
    from gardencity.assessment.scorecard import Scorecard
    from gardencity.jobs import batch
    from tests._threads import threads_started

    with threads_started() as names:
        card = batch.assess_city(workspace)
    return batch.workers_threads(), names, isinstance(card, Scorecard)


def test_a_single_threaded_worker_assesses_a_city_on_its_one_thread(demo_city: Path) -> None:
    """The cluster gave the worker one core: its assessment starts no thread beside it (the
    other workers keep the other cores busy); outside a worker the defaults hold."""
    from distributed import Client, LocalCluster

    from gardencity.jobs.batch import workers_threads

    assert workers_threads() is None
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        threads, started, assessed = client.submit(
            _a_city_in_the_worker, str(demo_city), pure=False
        ).result()
    assert (threads, started, assessed) == (1, [], True)
