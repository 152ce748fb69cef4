"""Evidence ledger (台账): completeness per item and per unit (worked example), missing items
become cases once, the index workbook follows the catalogue order (both backends)."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from gardencity.standards import load_standard
from tests._campaign import START
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
    assert "item_id 'flowers'" in bad.text and "kind must be one of" in bad.text

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
    assert cleared.status_code == 422 and "cannot be empty" in cleared.text
    after = client.get("/api/v1/ledger/completeness", headers=admin).json()
    assert after["items_complete"] == 2

    workbook = client.get("/api/v1/ledger/index.xlsx", headers=admin)
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert rows[0][:3] == ["01.1", standard.indicators[0].name_zh, "绿化覆盖率遥感解译成果"]
    assert rows[0][7].startswith("01_") and rows[0][7].endswith(".jpg")
    assert rows[2][1] == standard.indicators[1].name_zh and rows[2][6] == "缺失"
    assert (
        client.get("/api/v1/ledger/completeness", headers=campaign.headers("resident")).status_code
        == 403
    )
