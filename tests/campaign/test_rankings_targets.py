"""Red and black flags on a worked example, targets and progress, exports."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
import pytest

from tests._campaign import CampaignEnv
from tests._images import plain_jpeg
from tests._office import lint_workbook
from tests.campaign.test_workflow import _photo


def _through(env: CampaignEnv, unit: str, officer: str, steps: list[str]) -> dict:
    case = env.file("patrol1")
    assert env.act("coord1", case, "dispatch", unit_id=env.unit(unit)).status_code == 200
    for step in steps:
        user = "inspector" if step in {"verify", "send_back"} else officer
        extra: dict = {"reason": step}
        if step == "submit":
            extra["attachment_ids"] = [_photo(env, case, user=officer)]
        response = env.act(user, case, step, **extra)
        assert response.status_code == 200, response.text
    return case


def test_flags_on_a_worked_example(campaign: CampaignEnv) -> None:
    for _ in range(3):  # 鼓楼区第1街道: three cases closed on time, spot check 90
        _through(campaign, "d1s1", "officer11", ["accept", "submit", "verify"])
    # 鼓楼区第2街道: one closed after a send-back, one accepted and left, two never touched
    _through(campaign, "d1s2", "officer12", ["accept", "submit", "send_back", "submit", "verify"])
    _through(campaign, "d1s2", "officer12", ["accept"])
    _through(campaign, "d1s2", "officer12", [])
    _through(campaign, "d1s2", "officer12", [])
    spot = campaign.client.post(
        "/api/v1/spot-checks",
        json={"unit_id": campaign.unit("d1s1"), "score": 90},
        headers=campaign.headers("inspector"),
    )
    assert spot.status_code == 201, spot.text
    campaign.clock.advance(hours=80)  # every open case is now past its 72 h deadline
    campaign.forget_logins()
    response = campaign.client.post("/api/v1/rankings/compute", headers=campaign.headers("admin"))
    assert response.status_code == 200, response.text
    streets = {r["unit_id"]: r for r in response.json() if r["level"] == "street"}
    best, worst = streets[campaign.unit("d1s1")], streets[campaign.unit("d1s2")]
    # 40×1 + 30×1 − 20×0 − 10×0 + 30×0.90 = 97
    assert best["score"] == pytest.approx(97.0)
    # 40×¼ + 30×¼ − 20×(1 send-back / 2 submissions) − 10×min(1, 3 overdue / 4) + 30×0.90
    # (no spot check of its own: the street level's mean, 90) = 10 + 7.5 − 10 − 7.5 + 27 = 27
    assert worst["score"] == pytest.approx(27.0)
    assert (best["rank"], best["flag"], worst["rank"], worst["flag"]) == (1, "red", 2, "black")
    unranked = streets[campaign.unit("d2s1")]
    assert unranked["rank"] is None and unranked["flag"] is None  # fewer than 3 cases
    may_in_beijing = datetime(2026, 4, 30, 16, 0, tzinfo=UTC)
    assert datetime.fromisoformat(response.json()[0]["period_start"]) == may_in_beijing
    listed = campaign.client.get("/api/v1/rankings", headers=campaign.headers("officer11"))
    assert {r["unit_id"]: r["flag"] for r in listed.json()}[campaign.unit("d1s2")] == "black"
    board = campaign.client.get("/api/v1/exposure", headers=campaign.headers("leader")).json()
    assert len(board) == 3 and all(item["hours_overdue"] > 0 for item in board)
    forbidden = campaign.client.post("/api/v1/rankings/compute", headers=campaign.headers("coord1"))
    assert forbidden.status_code == 403


def test_targets_progress_rolls_up(campaign: CampaignEnv) -> None:
    admin = campaign.headers("admin")
    created = campaign.client.post(
        "/api/v1/targets",
        json={
            "unit_id": campaign.unit("d1"),
            "action_code": "pocket_parks",
            "action_name": "口袋公园建设",
            "metric": "new_green_area_ha",
            "target_value": 10,
            "year": 2026,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    target = created.json()["id"]
    other = campaign.client.post(
        "/api/v1/targets",
        json={
            "unit_id": campaign.unit("d2"),
            "action_code": "pocket_parks",
            "metric": "new_green_area_ha",
            "target_value": 5,
            "year": 2026,
        },
        headers=admin,
    ).json()["id"]
    evidence = campaign.client.post(
        "/api/v1/evidence",
        files={"file": ("site.jpg", plain_jpeg(), "image/jpeg")},
        headers=campaign.headers("coord1"),
    )
    assert evidence.status_code == 201, evidence.text
    sha = evidence.json()["sha256"]
    for value in (4.0, 2.5):
        response = campaign.client.post(
            f"/api/v1/targets/{target}/reports",
            json={"value": value, "note": "新建口袋公园", "evidence_sha256": [sha]},
            headers=campaign.headers("coord1"),
        )
        assert response.status_code == 201, response.text
    wrong_district = campaign.client.post(
        f"/api/v1/targets/{target}/reports", json={"value": 1}, headers=campaign.headers("coord2")
    )
    assert wrong_district.status_code == 403
    campaign.client.post(
        f"/api/v1/targets/{other}/reports", json={"value": 6}, headers=campaign.headers("coord2")
    )
    table = campaign.client.get("/api/v1/targets?year=2026", headers=campaign.headers("leader"))
    rows = {r["id"]: r for r in table.json()["targets"]}
    assert rows[target]["reported"] == 6.5 and rows[target]["completion_pct"] == 65.0
    assert rows[other]["completion_pct"] == 120.0 and rows[other]["completion_display_pct"] == 100
    city = table.json()["city"][0]
    assert (city["target_value"], city["reported"], city["completion_pct"]) == (15, 12.5, 83.33)
    unknown = campaign.client.post(
        "/api/v1/targets",
        json={"unit_id": 1, "action_code": "x", "metric": "trees", "target_value": 1, "year": 2026},
        headers=admin,
    )
    assert unknown.status_code == 422 and "new_green_area_ha" in unknown.text


def test_exports_open_in_excel(campaign: CampaignEnv) -> None:
    for _ in range(2):
        campaign.file("patrol1", title="裸土整治")
    csv = campaign.client.get("/api/v1/exports/cases.csv", headers=campaign.headers("admin"))
    assert csv.status_code == 200
    assert csv.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("案卷编号,类别,标题,状态") and len(lines) == 3
    assert "黄土裸露" in lines[1] and "已上报" in lines[1]
    assert ",一般," in lines[1] and "normal" not in lines[1]  # the priority in words
    xlsx = campaign.client.get("/api/v1/exports/cases.xlsx", headers=campaign.headers("coord1"))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet["A1"].value == "示范市问题案卷清单"
    assert sheet["A2"].value == "案卷编号" and sheet.freeze_panes == "A3"
    assert [sheet.cell(row, 3).value for row in (3, 4)] == ["裸土整治", "裸土整治"]
    assert lint_workbook(xlsx.content) == []
    denied = campaign.client.get("/api/v1/exports/cases.csv", headers=campaign.headers("officer11"))
    assert denied.status_code == 403
    ranking = campaign.client.get(
        "/api/v1/exports/rankings.xlsx", headers=campaign.headers("leader")
    )
    assert ranking.status_code == 200 and lint_workbook(ranking.content) == []
