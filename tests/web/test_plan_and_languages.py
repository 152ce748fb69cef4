"""The plan page's cases per campaign action and the case desk filtered to one action, and
the configured status and category labels in English, in real Chromium on the live server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import LiveServer, jpeg, login

pytestmark = pytest.mark.slow


def _file(server: LiveServer, action: str, category: str = "weeds") -> dict[str, Any]:
    lon, lat = server.district_points[0]
    body = {"category": category, "lon": lon, "lat": lat, "action_code": action}
    return dict(server.api("POST", "/api/v1/cases", "admin", json=body))


def _close(server: LiveServer, case: dict[str, Any]) -> None:
    """Dispatch to 第1街道 of district 1, accept, submit with an after-photo, verify."""
    path = f"/api/v1/cases/{case['id']}"
    unit = server.units["d1s1"]
    case = server.api(
        "POST",
        f"{path}/actions/dispatch",
        "admin",
        json={"version": case["version"], "unit_id": unit},
    )
    case = server.api(
        "POST", f"{path}/actions/accept", "officer11", json={"version": case["version"]}
    )
    photo = server.api(
        "POST",
        f"{path}/attachments",
        "officer11",
        files={"file": ("after.jpg", jpeg((0, 128, 0)), "image/jpeg")},
        data={"role": "after"},
    )
    case = server.api(
        "POST",
        f"{path}/actions/submit",
        "officer11",
        json={"version": case["version"], "attachment_ids": [photo["id"]]},
    )
    server.api("POST", f"{path}/actions/verify", "inspector", json={"version": case["version"]})


def _counts(page: Any, action: str) -> dict[str, str]:
    row = page.locator(f"#action-cases tr[data-action='{action}']")
    return {
        k: row.locator(f"td[data-count='{k}']").inner_text() for k in ("open", "closed", "total")
    }


def test_the_plan_lists_each_actions_cases_and_opens_the_filtered_case_desk(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    action = "plan_pocket_parks"
    target = {
        "unit_id": live_server.units["d1"],
        "action_code": action,
        "action_name": "口袋公园建设",
        "metric": "new_green_area_ha",
        "target_value": 5,
        "year": 2026,
    }
    listed = live_server.api("GET", "/api/v1/targets", "admin")["targets"]
    if not any(t["action_code"] == action for t in listed):  # the server is shared by files
        live_server.api("POST", "/api/v1/targets", "admin", json=target)
    cases = [_file(live_server, action) for _ in range(3)]
    _close(live_server, cases[0])
    other = _file(live_server, "plan_shaded_roads")
    page = login(browser, live_server, "admin")
    page.goto("/targets")
    page.wait_for_selector(f"#action-cases tr[data-action='{action}']")
    row = page.locator(f"#action-cases tr[data-action='{action}']")
    assert "口袋公园建设" in row.locator("th").inner_text()
    assert "新增绿地面积（公顷）" in page.locator("#action-table").inner_text()  # configured name
    assert _counts(page, action) == {"open": "2", "closed": "1", "total": "3"}
    assert _counts(page, "plan_shaded_roads") == {"open": "1", "closed": "0", "total": "1"}
    shot(page, "plan-action-cases")
    row.locator("a").click()
    page.wait_for_url(f"**/cases?action_code={action}")
    page.wait_for_selector("#case-count:not(:empty)")
    shown = {r.get_attribute("data-reference") for r in page.locator("#case-table tbody tr").all()}
    assert shown == {c["reference"] for c in cases}
    assert other["reference"] not in shown
    assert page.locator("#f-action").input_value() == action
    shot(page, "cases-of-one-action")
    assert page.errors == []
    page.context.close()
    # district 2's coordinator sees the action (it has a target) but none of its cases
    page = login(browser, live_server, "coord2")
    page.goto("/targets")
    page.wait_for_selector(f"#action-cases tr[data-action='{action}']")
    assert _counts(page, action) == {"open": "0", "closed": "0", "total": "0"}
    page.context.close()


def test_the_case_desk_shows_configured_labels_in_english(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    case = _file(live_server, "plan_language_check", category="bare_soil")
    page = login(browser, live_server, "admin")
    page.goto("/cases?lang=en&action_code=plan_language_check")
    badge = page.locator(f"tr[data-reference='{case['reference']}'] .badge.st-filed")
    badge.wait_for()
    assert badge.inner_text() == "Reported"  # the city's label for `filed`, in English
    assert "Bare soil" in page.locator("#case-table").inner_text()
    shot(page, "cases-english")
    page.goto(f"/cases/{case['id']}")  # the language is remembered
    page.wait_for_selector("#case-title .badge.st-filed")
    assert page.locator("#case-title .badge").inner_text() == "Reported"
    assert "Bare soil" in page.locator("#case-props").inner_text()
    page.goto("/cases?lang=zh&action_code=plan_language_check")
    badge.wait_for()
    assert badge.inner_text() == "已上报"
    assert page.errors == []
    page.context.close()


def test_targets_are_set_and_progress_reported_with_evidence_in_the_page(
    browser: Any, live_server: LiveServer, shot: Any, tmp_path: Any
) -> None:
    page = login(browser, live_server, "admin")
    page.goto("/plan")  # the plan is the targets page
    assert page.url.endswith("/targets")
    page.wait_for_selector("#tg-unit option", state="attached")
    page.select_option("#tg-unit", str(live_server.units["d1"]))
    page.fill("#tg-action", "林荫路提升")
    page.select_option("#tg-metric", "new_green_area_ha")
    page.fill("#tg-value", "8")
    page.click("#target-form button[type=submit]")
    row = page.locator("#target-table tbody tr", has_text="林荫路提升")
    row.wait_for()
    assert "鼓楼区" in row.inner_text() and "8.00" in row.inner_text()
    assert page.errors == []
    page.context.close()

    evidence = tmp_path / "验收照片.jpg"
    evidence.write_bytes(jpeg((30, 120, 30)))
    page = login(browser, live_server, "coord1")
    page.goto("/targets")
    row = page.locator("#target-table tbody tr", has_text="林荫路提升")
    row.locator("button.report").click()
    page.fill("#rp-value", "3")
    page.fill("#rp-note", "完成中山路段")
    page.set_input_files("#rp-files", str(evidence))
    shot(page, "target-report-dialog")
    page.click("#report-form button[type=submit]")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#target-table tbody tr')].some((r) => "
        "r.textContent.includes('林荫路提升') && r.querySelector('[data-reported]')"
        ".textContent.trim() === '3.00')"
    )
    assert "37.5%" in row.inner_text()
    shot(page, "targets-after-report")
    assert page.errors == []
    page.context.close()
    listed = live_server.api("GET", "/api/v1/targets", "admin")["targets"]
    mine = next(t for t in listed if t["action_name"] == "林荫路提升")
    assert mine["reported"] == 3.0
