"""The cockpit shows every indicator's data completeness, and an indicator with too little
data as 数据不足 with its reason — never as a value with a verdict."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from gardencity.assessment.completeness import insufficient_note
from gardencity.db.engine import open_database
from gardencity.jobs.runs import latest_run, run_dir
from gardencity.settings import Settings
from tests.web.conftest import LiveServer, login

ROAD = "road_green_compliance"


def _latest_run_id(live_server: LiveServer) -> int:
    """The run the cockpit shows: the latest finished assessment (other tests add runs)."""
    db = open_database(Settings.for_workspace(live_server.workspace).database_url)
    try:
        with db.session() as session:
            run = latest_run(session)
            assert run is not None
            return int(run.id)
    finally:
        db.dispose()


@pytest.fixture
def insufficient_scorecard(live_server: LiveServer) -> Iterator[dict[str, Any]]:
    """The run's scorecard with the road-green indicator as an assessment gives it when red-line
    widths are known for 1.7 % of the road length; put back afterwards."""
    path = run_dir(live_server.workspace, _latest_run_id(live_server)) / "scorecard.json"
    original = path.read_text(encoding="utf-8")
    card = json.loads(original)
    item = next(i for i in card["indicators"] if i["id"] == ROAD)
    completeness = {
        **item["completeness"],
        "share": 0.017,
        "basis": "red_line_known",
        "what_zh": "有道路红线宽度的道路长度",
        "what_en": "road length with a red-line width",
        "fix_zh": "为道路补充红线宽度 red_line_width_m",
        "fix_en": "add the red-line width red_line_width_m to the roads",
        "by_district": dict.fromkeys(item["by_district"], 0.017),
    }
    partial = {"value": item["value"], "by_district": item["by_district"]}
    note_zh, note_en = insufficient_note(completeness, partial, item["unit"])
    item.update(
        value=None,
        status="insufficient_data",
        by_district=dict.fromkeys(item["by_district"]),
        district_status=dict.fromkeys(item["by_district"], "insufficient_data"),
        completeness=completeness,
        partial=partial,
        note=note_en,
        note_zh=note_zh,
    )
    path.write_text(json.dumps(card, ensure_ascii=False), encoding="utf-8")
    try:
        yield card
    finally:
        path.write_text(original, encoding="utf-8")


def test_the_cockpit_shows_completeness_and_insufficient_data(
    browser: Any, live_server: LiveServer, shot: Any, insufficient_scorecard: dict[str, Any]
) -> None:
    page = login(browser, live_server, "coord1")
    page.goto("/cockpit")
    page.wait_for_load_state("networkidle")
    for item in insufficient_scorecard["indicators"]:
        row = page.locator(f"#indicator-table tr[data-indicator='{item['id']}']")
        share = (item.get("completeness") or {}).get("share")
        cell = row.locator("td.completeness")
        assert cell.inner_text() == ("—" if share is None else f"{share:.0%}"), item["id"]
    road = page.locator(f"#indicator-table tr[data-indicator='{ROAD}']")
    assert road.locator("td.value").get_attribute("data-value") == ""
    assert road.locator(".badge").inner_text() == "数据不足"
    note = road.locator(".indicator-note").inner_text()
    assert "有道路红线宽度的道路长度仅占 1.7%" in note and "处理：" in note
    districts = page.locator("#district-table").inner_text()
    assert "数据不足" in districts
    shot(page, "cockpit-insufficient")
    page.goto("/cockpit?lang=en")
    page.wait_for_load_state("networkidle")
    road = page.locator(f"#indicator-table tr[data-indicator='{ROAD}']")
    assert road.locator(".badge").inner_text() == "insufficient data"
    assert "road length with a red-line width is only 1.7%" in road.inner_text()
    assert page.errors == []
    page.context.close()
