"""``gardencity inspection``: spot-check, file-checks and route from the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
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
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "95 % interval" in result.output and "Park" in result.output
    assert "抽样" not in result.output and "公园" not in result.output
    sheet = pd.read_excel(out / "check_sheet.xlsx", header=2).dropna(subset=["考查点编号"])
    sheet = sheet[sheet["考查点编号"].str.contains(":")]
    assert sorted(sheet.groupby("类别").size().to_dict().items()) == [
        ("公园", 3),
        ("单位", 3),
        ("居住区", 3),
        ("道路", 3),
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
    assert "当天可完成：是" in result.output
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
    assert nobody.exit_code == 2 and "用户“nobody”不存在" in nobody.output


def _answers(survey: Any, satisfied: bool) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for q in survey.questions:
        if q.kind == "rating":
            answers[q.id] = q.scale if satisfied else 1
        elif q.kind == "yes_no":
            answers[q.id] = satisfied
        elif q.kind == "choice":
            answers[q.id] = q.options[0]
    return answers


@pytest.mark.slow
@pytest.mark.parametrize("campaign", ["sqlite"], indirect=True)
def test_the_demo_city_files_its_rehearsal_ledger_and_report(
    campaign: CampaignEnv, demo_city: Path, demo_assessment: Any, tmp_path: Path
) -> None:
    """Spot check, route, survey, benchmark, ledger and report of the demo city, run as a
    campaign office would: every spreadsheet office-ready, the ledger holding the evidence
    named in city.toml, the platform's outputs never counted, rehearsal results on file."""
    from datetime import UTC, datetime

    from gardencity.db.engine import open_database
    from gardencity.inspection import survey_store
    from gardencity.inspection.ledger import item_completeness, ledger_items
    from gardencity.inspection.ledger_store import ledger_frame
    from gardencity.inspection.models import LedgerDocument
    from gardencity.inspection.survey import load_survey
    from gardencity.reports.outputs import write_outputs
    from gardencity.standards import load_standard
    from tests._office import lint_workbook

    workspace = tmp_path / "city"
    shutil.copytree(demo_city, workspace)
    # the test organisation's area lies about 20 km from the demo city's sites: the city's
    # own configuration widens the margin within which reports are accepted
    (workspace / "campaign.yaml").write_text("reports: {boundary_margin_m: 30000}\n", "utf-8")
    (workspace / "campaign").mkdir(exist_ok=True)
    database = workspace / "campaign" / "campaign.db"
    shutil.copyfile(campaign.url.removeprefix("sqlite:///"), database)
    write_outputs(demo_assessment, workspace / "out")
    survey = load_survey()
    db = open_database(f"sqlite:///{database}")
    with db.session() as session:
        now = datetime(2026, 5, 1, tzinfo=UTC)
        for stratum, satisfied, count in (
            ("d1", True, 18),
            ("d1", False, 2),
            ("d2", True, 10),
            ("d2", False, 10),
        ):
            for _ in range(count):
                survey_store.submit_response(
                    session, survey, stratum, _answers(survey, satisfied), now
                )
        session.commit()
    db.dispose()
    peers = tmp_path / "peers.csv"
    peers.write_text(
        "city,year,source,green_coverage_ratio,park_area_per_capita\n"
        "甲市,2024,甲市统计公报,44.61234,15.2\n乙市,2023,乙市园林局网站,41.2,12.87654\n",
        "utf-8",
    )
    runner = CliRunner()
    out = workspace / "inspection"
    for args in (
        ["spot-check", str(workspace), "--points", "300", "--seed", "1", "--per-kind", "2"],
        [
            "route",
            str(workspace),
            "--parks",
            "3",
            "--roads",
            "1",
            "--compounds",
            "1",
            "--units",
            "1",
        ],
        ["survey", str(workspace)],
        ["benchmark", str(workspace), str(peers)],
        ["ledger", str(workspace)],
        ["report", str(workspace), "--edition", "experts"],
        ["ledger", str(workspace)],
    ):
        result = runner.invoke(main, ["inspection", *args])
        assert result.exit_code == 0, (args, result.output)
    # survey: population-weighted by district (鼓楼区 24,100, 云龙区 18,600 people)
    record = json.loads((out / "survey_results.json").read_text("utf-8"))
    weights = {r["district"]: r["weight_pct"] for r in record["by_district"]}
    assert weights["鼓楼区"] == pytest.approx(100 * 24100 / 42700)
    expected = (24100 * 0.9 + 18600 * 0.5) / 42700 * 100
    assert record["satisfaction"]["estimate_pct"] == pytest.approx(expected)
    assert record["satisfaction"]["weighting"] == "population"
    spot = json.loads((out / "spot_check.json").read_text("utf-8"))
    assert spot["green_coverage"]["confidence"] == 0.95
    assert spot["green_coverage"]["points_for_margin"] > 1000 and spot["hit_chances"]
    # every spreadsheet the office hands out passes the lint
    books = sorted(out.rglob("*.xlsx"))
    names = {b.name for b in books}
    assert {
        "check_sheet.xlsx",
        "route.xlsx",
        "benchmark.xlsx",
        "台账索引.xlsx",
        "模拟抽查结果.xlsx",
        "满意度调查结果.xlsx",
    } <= names
    for book in books:
        assert lint_workbook(book) == [], book.name
    peers_sheet = pd.read_excel(
        out / "benchmark.xlsx", sheet_name="同类城市数据", header=1, dtype=str
    )
    assert {"甲市统计公报", "乙市园林局网站"} <= set(peers_sheet["来源"].dropna())
    assert {"2024", "2023"} <= {str(v) for v in peers_sheet["年份"].dropna()}
    # the ledger holds the evidence named in city.toml; the platform's outputs count 0
    ledger = out / "台账"
    for folder, name in (
        ("16_《城市绿地系统规划》编制实施", "绿地系统规划批复.md"),
        ("17_城市园林绿化建设维护专项资金", "园林绿化专项资金预算.md"),
        ("18_城市园林绿化管理机构", "园林绿化管理机构设置.md"),
    ):
        copied = list((ledger / folder).iterdir())
        assert [p.read_bytes() for p in copied] == [(workspace / "docs" / name).read_bytes()]
    index = pd.read_excel(ledger / "台账索引.xlsx", header=2, dtype=str)
    assert "国家生态园林城市评选标准（2022年版）" in str(
        pd.read_excel(ledger / "台账索引.xlsx").columns[0]
    )
    plan = index[index["材料名称"] == "绿地系统规划批复"].iloc[0]
    assert plan["文号"] == "示政复〔2022〕18号" and plan["责任单位"] == "园林绿化局"
    assert plan["状态"] == "已审核" and plan["存放位置"].startswith("16_")
    assert (index["状态"] == "参考材料（平台生成，不计入）").sum() > 0
    db = open_database(f"sqlite:///{database}")
    with db.session() as session:
        rows = item_completeness(
            ledger_items(load_standard("national_ecological_garden_city_2022")),
            ledger_frame(session),
            datetime.now(UTC),
        )
        report_docs = session.scalars(
            select(LedgerDocument).where(LedgerDocument.filename == "自评报告.pdf")
        ).all()
        assert report_docs and {d.status for d in report_docs} == {"reference"}
    db.dispose()
    by_id = {r["item_id"]: r for r in rows}
    assert by_id["green_coverage_ratio"]["generated"] >= 2
    assert by_id["green_coverage_ratio"]["completeness_pct"] == 0.0  # outputs prove nothing
    # ledger and cockpit (the scorecard's management items) agree
    card = json.loads((workspace / "out" / "scorecard.json").read_text("utf-8"))
    for result in card["indicators"]:
        if result["unit"] == "是/否":
            assert by_id[result["id"]]["complete"] == (result["value"] == 1.0), result["id"]
    # the check sheet comes back with the Chinese names it shows
    sheet_path = out / "check_sheet.xlsx"
    book = openpyxl.load_workbook(sheet_path)
    sheet = book["检查表"]
    header = int(sheet.freeze_panes[1:]) - 1
    columns = [c.value for c in sheet[header]]
    first = header + 1
    sheet.cell(first, columns.index("是否合格（是/否）") + 1, "否")
    sheet.cell(first, columns.index("问题类别") + 1, book["问题类别"]["A3"].value)
    sheet.cell(first, columns.index("问题描述") + 1, "树穴裸土")
    for row in range(first + 1, sheet.max_row + 1):
        if sheet.cell(row, 1).value and str(sheet.cell(row, 1).value).count(":"):
            sheet.cell(row, columns.index("是否合格（是/否）") + 1, "是")
    book.save(sheet_path)
    filed = runner.invoke(
        main, ["inspection", "file-checks", str(workspace), str(sheet_path), "--user", "patrol1"]
    )
    assert filed.exit_code == 0, filed.output
    assert "未通过 1 处" in filed.output
