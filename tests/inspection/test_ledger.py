"""Evidence ledger (台账): completeness per item and per unit (worked example), missing items
become cases once, the index workbook follows the catalogue order (both backends)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from gardencity.errors import DataError
from gardencity.inspection.generated_evidence import load_evidence_map
from gardencity.jobs.runs import execute_run, run_dir, start_run
from gardencity.standards import load_standard
from tests._campaign import START, CampaignEnv
from tests._office import lint_workbook
from tests.campaign.test_workflow import JPEG


def test_ledger_completeness_cases_and_index(campaign) -> None:  # type: ignore[no-untyped-def]
    client, admin = campaign.client, campaign.headers("admin")
    upload = client.post(
        "/api/v1/evidence", files={"file": ("现场.jpg", JPEG, "image/jpeg")}, headers=admin
    )
    sha = upload.json()["sha256"]
    d1 = campaign.unit("d1")
    docs = [
        {
            "item_id": "green_coverage_ratio",
            "title": "绿化覆盖率遥感解译成果",
            "kind": "map",
            "status": "accepted",
            "owner_unit_id": d1,
            "file_sha256": sha,
            "filename": "a.jpg",
        },
        {
            "item_id": "green_coverage_ratio",
            "title": "绿化覆盖率统计表",
            "kind": "statistics",
            "status": "submitted",
            "owner_unit_id": d1,
            "due_at": (START - timedelta(days=1)).isoformat(),
        },
        {
            "item_id": "green_system_plan",
            "title": "城市绿地系统规划批复",
            "kind": "plan",
            "status": "accepted",
            "owner_unit_id": campaign.unit("d2"),
        },
    ]
    for doc in docs:
        response = client.post("/api/v1/ledger", json=doc, headers=admin)
        assert response.status_code == 201, response.text
    bad = client.post(
        "/api/v1/ledger", json={"item_id": "flowers", "title": "x", "kind": "poem"}, headers=admin
    )
    assert bad.status_code == 422
    assert "“flowers”不是所选标准中的台账条目" in bad.text and "类别应为以下之一" in bad.text

    summary = client.get("/api/v1/ledger/completeness", headers=admin).json()
    standard = load_standard("national_ecological_garden_city_2022")
    assert [i["item_id"] for i in summary["items"]] == [s.id for s in standard.indicators]
    items = {i["item_id"]: i for i in summary["items"]}
    assert (
        items["green_coverage_ratio"]["completeness_pct"],
        items["green_coverage_ratio"]["overdue"],
    ) == (50.0, 1)
    assert items["green_system_plan"]["complete"] and not items["tree_shrub_share"]["complete"]
    assert summary["items_complete"] == 1 and summary["items_total"] == len(standard.indicators)
    units = {u["unit_id"]: u for u in summary["units"]}
    assert (
        units[d1]["completeness_pct"] == 50.0
        and units[campaign.unit("d2")]["completeness_pct"] == 100.0
    )

    filed = client.post("/api/v1/ledger/missing-cases", headers=admin)
    assert filed.status_code == 201
    assert len(filed.json()) == len(standard.indicators) - 1
    again = client.post("/api/v1/ledger/missing-cases", headers=admin).json()
    assert again == []  # one open case per item, not one per call
    coverage_case = next(c for c in filed.json() if c["item_id"] == "green_coverage_ratio")
    case = client.get(f"/api/v1/cases/{coverage_case['id']}", headers=admin).json()
    assert case["unit_id"] == d1 and case["category"] == "ledger_missing"

    fix = client.get("/api/v1/ledger", headers=admin).json()[1]
    patched = client.patch(
        f"/api/v1/ledger/{fix['id']}", json={"status": "accepted"}, headers=admin
    )
    assert patched.status_code == 200 and patched.json()["status"] == "accepted"
    cleared = client.patch(f"/api/v1/ledger/{fix['id']}", json={"title": None}, headers=admin)
    assert cleared.status_code == 422 and "不能为空" in cleared.text
    after = client.get("/api/v1/ledger/completeness", headers=admin).json()
    assert after["items_complete"] == 2

    workbook = client.get("/api/v1/ledger/index.xlsx", headers=admin)
    assert workbook.status_code == 200
    assert lint_workbook(workbook.content) == []
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert standard.name_zh in sheet["A1"].value  # the title names the chosen standard
    assert [c.value for c in sheet[3]][:4] == ["序号", "条目编号", "指标/项目名称", "材料名称"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert rows[0][:4] == ["01.1", "01", standard.indicators[0].name_zh, "绿化覆盖率遥感解译成果"]
    assert rows[0][9].startswith("01_") and rows[0][9].endswith(".jpg")
    assert rows[2][2] == standard.indicators[1].name_zh and rows[2][10] == "缺失"
    assert (
        client.get("/api/v1/ledger/completeness", headers=campaign.headers("resident")).status_code
        == 403
    )


def _run(campaign: CampaignEnv, workspace: Path, **kind: str) -> int:
    with campaign.app.state.db.session() as session:
        run_id = start_run(session, user_id=None, **kind).id
    execute_run(campaign.url, run_id, str(workspace))
    return run_id


def test_an_assessment_run_lists_its_outputs_as_reference_never_as_proof(
    campaign: CampaignEnv, demo_city: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "city"
    shutil.copytree(demo_city, workspace)
    client, admin = campaign.client, campaign.headers("admin")
    first = _run(campaign, workspace)
    scorecard = json.loads((run_dir(workspace, first) / "scorecard.json").read_text("utf-8"))
    measured = {r["id"] for r in scorecard["indicators"] if r["value"] is not None}
    assert measured, "the demo city gives values"

    summary = client.get("/api/v1/ledger/completeness", headers=admin).json()
    items = {i["item_id"]: i for i in summary["items"]}
    evidence = load_evidence_map()
    proved = set(evidence["scorecard"].items)
    assert len(measured & proved) >= 10
    for item_id in measured & proved:
        expected = sum(item_id in o.items for k, o in evidence.items() if k in RUN_OUTPUTS)
        assert items[item_id]["generated"] == expected >= 2, item_id
        # the platform's own results prove nothing: the item still needs the city's documents
        assert items[item_id]["documents"] == 0 and items[item_id]["completeness_pct"] == 0.0
        assert not items[item_id]["complete"]
    assert items["green_system_plan"]["generated"] == 0  # a management item: no computed proof
    # the evidence city.toml names is registered: ledger and cockpit agree on those items
    management = {r["id"]: r["value"] for r in scorecard["indicators"] if r["unit"] == "是/否"}
    assert management["green_system_plan"] == 1.0 and management["research_capacity"] == 0.0
    for item_id, value in management.items():
        assert items[item_id]["complete"] == (value == 1.0), item_id
    assert summary["items_complete"] == sum(v == 1.0 for v in management.values())
    # the platform is not a responsible unit: units own only the city's documents
    assert sum(u["documents"] for u in summary["units"]) == len(management)

    listed = client.get("/api/v1/ledger", headers=admin).json()
    assert {d["kind"] for d in listed} == {"generated", "regulation"}
    docs = [d for d in listed if d["kind"] == "generated"]
    assert {d["run_id"] for d in docs} == {first}
    card = next(
        d
        for d in docs
        if d["filename"] == "scorecard.json" and d["item_id"] == "green_coverage_ratio"
    )
    data = (run_dir(workspace, first) / "scorecard.json").read_bytes()
    assert card["file_sha256"] == hashlib.sha256(data).hexdigest()
    assert card["status"] == "reference" and f"runs/{first}/scorecard.json" in card["note"]

    second = _run(campaign, workspace)  # a re-run replaces, never duplicates
    again = client.get("/api/v1/ledger", headers=admin).json()
    assert len(again) == len(listed)
    again = [d for d in again if d["kind"] == "generated"]
    assert {d["run_id"] for d in again} == {second}
    assert {(d["item_id"], d["filename"]) for d in again} == {
        (d["item_id"], d["filename"]) for d in docs
    }
    what_if = _run(campaign, workspace, kind="what_if")  # a what-if proves nothing
    assert what_if > second
    after = client.get("/api/v1/ledger", headers=admin).json()
    assert {d["run_id"] for d in after if d["kind"] == "generated"} == {second}

    refused = client.post(
        "/api/v1/ledger",
        json={"item_id": "green_system_plan", "title": "假冒", "kind": "generated"},
        headers=admin,
    )
    assert refused.status_code == 422 and "由平台登记的成果" in refused.text


RUN_OUTPUTS = ("scorecard", "diagnostics", "report")


def test_a_city_can_map_outputs_to_items_itself(tmp_path: Path) -> None:
    (tmp_path / "generated_evidence.yaml").write_text(
        "outputs:\n  scorecard:\n    file: scorecard.json\n    title_zh: 计分卡\n"
        "    items: [green_coverage_ratio]\n",
        encoding="utf-8",
    )
    assert load_evidence_map(tmp_path)["scorecard"].items == ["green_coverage_ratio"]
    assert set(load_evidence_map()) >= {"scorecard", "self_assessment_pdf"}
    (tmp_path / "generated_evidence.yaml").write_text(
        "outputs:\n  poster:\n    file: a.png\n    title_zh: 海报\n    items: []\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="未知的成果 poster"):
        load_evidence_map(tmp_path)
