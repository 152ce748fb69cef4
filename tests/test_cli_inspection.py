"""``gardencity inspection``: spot-check, file-checks and route from the command line."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from gardencity.cli import main
from tests._campaign import CampaignEnv


def test_spot_check_and_route_on_the_demo_city(demo_city: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "insp"
    result = runner.invoke(
        main,
        [
            "inspection",
            "spot-check",
            str(demo_city),
            "--points",
            "300",
            "--seed",
            "1",
            "--per-kind",
            "3",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "95 %" in result.output and "park" in result.output
    sheet = pd.read_excel(out / "check_sheet.xlsx")
    assert sorted(sheet.groupby("kind").size().to_dict().items()) == [
        ("compound", 3),
        ("park", 3),
        ("road", 3),
        ("unit", 3),
    ]
    assert (out / "green_cover_points.gpkg").is_file()
    result = runner.invoke(
        main,
        [
            "inspection",
            "route",
            str(demo_city),
            "--parks",
            "3",
            "--roads",
            "2",
            "--compounds",
            "1",
            "--units",
            "1",
            "--day",
            "09:00-12:00",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "feasible: 是" in result.output
    for name in ("route.xlsx", "route.docx", "route.png"):
        assert (out / name).is_file()
    bad = runner.invoke(main, ["inspection", "route", str(demo_city), "--start", "north"])
    assert bad.exit_code != 0 and "lon,lat" in bad.output


@pytest.mark.parametrize("campaign", ["sqlite"], indirect=True)
def test_failed_checks_from_a_sheet_become_cases(campaign: CampaignEnv, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    (workspace / "campaign").mkdir(parents=True)
    shutil.copyfile(campaign.url.removeprefix("sqlite:///"), workspace / "campaign" / "campaign.db")
    lon, lat = campaign.lonlat(500_300, 3_800_300)
    sheet = pd.DataFrame(
        {
            "site_id": ["park:1", "park:2"],
            "kind": ["park", "park"],
            "name": ["甲园", "乙园"],
            "lon": [lon, lon],
            "lat": [lat, lat],
            "passed": ["否", "是"],
            "category": ["weeds", ""],
            "note": ["杂草", ""],
        }
    )
    path = tmp_path / "sheet.csv"
    sheet.to_csv(path, index=False)
    runner = CliRunner()
    result = runner.invoke(
        main, ["inspection", "file-checks", str(workspace), str(path), "--source", "expert"]
    )
    assert result.exit_code == 0, result.output
    assert "未通过 1 处" in result.output and "GC2026" in result.output
    (workspace / "city.toml").write_text('[city]\nname = "测试市"\ncrs = "EPSG:4548"\n', "utf-8")
    ledger = runner.invoke(
        main, ["inspection", "ledger", str(workspace), "--out", str(tmp_path / "tz")]
    )
    assert ledger.exit_code == 0, ledger.output
    assert "城市建成区绿化覆盖率" in ledger.output and (tmp_path / "tz" / "台账索引.xlsx").is_file()
    assert (tmp_path / "tz" / "01_城市建成区绿化覆盖率").is_dir()
    nobody = runner.invoke(
        main, ["inspection", "file-checks", str(workspace), str(path), "--user", "nobody"]
    )
    assert nobody.exit_code == 2 and "not found" in nobody.output


@pytest.mark.slow
@pytest.mark.parametrize("campaign", ["sqlite"], indirect=True)
def test_the_self_assessment_report_is_registered_in_the_ledger(
    campaign: CampaignEnv, demo_city: Path, demo_assessment: Any, tmp_path: Path
) -> None:
    from gardencity.db.engine import open_database
    from gardencity.inspection.models import LedgerDocument
    from gardencity.reports.outputs import write_outputs

    workspace = tmp_path / "city"
    shutil.copytree(demo_city, workspace)
    (workspace / "campaign").mkdir(exist_ok=True)
    database = workspace / "campaign" / "campaign.db"
    shutil.copyfile(campaign.url.removeprefix("sqlite:///"), database)
    write_outputs(demo_assessment, workspace / "out")
    result = CliRunner().invoke(main, ["inspection", "report", str(workspace)])
    assert result.exit_code == 0, result.output
    assert "ledger evidence registered" in result.output
    db = open_database(f"sqlite:///{database}")
    with db.session() as session:
        docs = session.scalars(
            select(LedgerDocument).where(LedgerDocument.filename == "自评报告.pdf")
        ).all()
        pdf = (workspace / "inspection" / "自评报告.pdf").read_bytes()
        assert docs and {d.kind for d in docs} == {"generated"}
        assert {d.file_sha256 for d in docs} == {hashlib.sha256(pdf).hexdigest()}
        assert "inspection/自评报告.pdf" in (docs[0].note or "")
        items = {d.item_id for d in docs}
    db.dispose()
    assert "green_coverage_ratio" in items and "green_system_plan" not in items
