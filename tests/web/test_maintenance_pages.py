"""The maintenance pages in real Chromium: an inspector scores a park on a phone (two failed
items with photos become cases), the scores page and the weekly summary (printable A4, its
workbook), in Chinese and in English, with no accessibility violation."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import openpyxl
import pytest

from tests.web.conftest import ARTIFACTS, PHONE, LiveServer, jpeg, login
from tests.web.test_axe_every_page import AXE

pytestmark = pytest.mark.slow


def _park(server: LiveServer) -> dict[str, Any]:
    lon, lat = server.district_points[0]
    body = {
        "code": "WEB-PARK-1",
        "name": "滨河公园",
        "site_type": "park",
        "unit_id": server.units["d1park"],
        "lon": lon,
        "lat": lat,
    }
    server.api("POST", "/api/v1/maintenance/sites", "admin", json=body)
    sites = server.api("GET", "/api/v1/maintenance/sites", "admin")
    return next(s for s in sites if s["code"] == "WEB-PARK-1")


def _fail(page: Any, code: str, colour: tuple[int, int, int]) -> None:
    item = page.locator(f".mi-item[data-code='{code}']")
    item.locator("input[value=fail]").check()
    item.locator("input[type=file]").set_input_files(
        {"name": f"{code}.jpg", "mimeType": "image/jpeg", "buffer": jpeg(colour)}
    )


def test_an_inspector_scores_a_park_on_a_phone(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    site = _park(live_server)
    page = login(browser, live_server, "patrol1", viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/maintenance")
    page.wait_for_selector(f"#mi-site option[value='{site['id']}']", state="attached")
    page.select_option("#mi-site", str(site["id"]))
    page.wait_for_selector(".mi-item[data-code='no_dead_trees']")
    _fail(page, "no_dead_trees", (120, 80, 40))
    _fail(page, "weeds_controlled", (60, 140, 60))
    page.locator(".mi-item[data-code='water_clean'] input[value=na]").check()
    assert page.locator("#mi-score").inner_text().endswith("73.7")  # 70 of 95 checked
    shot(page, "maintenance-inspection-phone-zh")
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    assert page.evaluate(AXE) == []
    page.click("#mi-form button[type=submit]")
    page.wait_for_selector("#mi-final-score")
    assert page.locator("#mi-final-score").inner_text() == "73.7"
    assert page.locator("#mi-result a").count() == 2  # two cases, one for each failed item
    shot(page, "maintenance-inspection-phone-done-zh")
    assert page.errors == []
    page.goto("/maintenance?lang=en")
    page.select_option("#mi-site", str(site["id"]))
    page.wait_for_selector(".mi-item[data-code='clean']")
    text = page.locator("main").inner_text()
    assert "Dead branches" not in text and "No dead or missing trees" in text and "合格" not in text
    shot(page, "maintenance-inspection-phone-en")
    page.context.close()

    cases = live_server.api("GET", "/api/v1/cases?source=maintenance_inspection", "admin")["items"]
    assert sorted(c["category"] for c in cases if c["unit_id"] == site["unit_id"])[:2] == [
        "dead_or_missing_tree",
        "weeds",
    ]

    admin = login(browser, live_server, "admin")
    admin.goto("/maintenance-scores")
    lon, lat = live_server.district_points[1]
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "code": "WEB-ROAD-1",
            "name": "建设路",
            "site_type": "road_green",
            "unit_code": "d2park",
        },
    }
    bad = {
        "type": "FeatureCollection",
        "features": [
            feature,
            {
                **feature,
                "properties": {
                    **feature["properties"],
                    "site_type": "river",
                    "unit_code": "nowhere",
                    "code": "WEB-ROAD-2",
                },
            },
        ],
    }
    for collection in (bad, {"type": "FeatureCollection", "features": [feature]}):
        admin.set_input_files(
            "#ms-import-file",
            {
                "name": "sites.geojson",
                "mimeType": "application/geo+json",
                "buffer": json.dumps(collection).encode(),
            },
        )
        admin.click("#ms-import button[type=submit]")
        admin.wait_for_function("() => document.querySelector('#ms-import-result').textContent")
        if collection is bad:
            refused = admin.locator("#ms-import-result").inner_text()
            assert "第 2 个要素" in refused and "nowhere" in refused, refused
            admin.evaluate("document.querySelector('#ms-import-result').textContent = ''")
    assert "已导入 1 个养护点" in admin.locator("#ms-import-result").inner_text()
    admin.wait_for_selector("#ms-site-table tr[data-site='WEB-PARK-1']")
    assert "73.7" in admin.locator("#ms-site-table").inner_text()
    shot(admin, "maintenance-scores-zh")
    admin.goto("/rankings")  # the exposure board names the worst-kept sites
    admin.wait_for_selector("#worst-sites tr[data-site='WEB-PARK-1']")
    assert "无死树缺株" in admin.locator("#worst-sites").inner_text()
    district = live_server.units["d1"]
    admin.goto(f"/maintenance-weekly?district_id={district}")
    weekly = admin.locator("#weekly").inner_text()
    assert "滨河公园" in weekly and "年" in weekly
    assert "巡查记录未接入本平台" in weekly or "网格覆盖率" in weekly  # as patrols were recorded
    admin.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    assert admin.evaluate(AXE) == []
    shot(admin, "maintenance-weekly-zh")
    printed = admin.pdf(format="A4", prefer_css_page_size=True)  # as the print button prints it
    (ARTIFACTS / "maintenance-weekly-zh.pdf").write_bytes(printed)
    assert printed.startswith(b"%PDF")
    admin.goto(f"/maintenance-weekly?district_id={district}&lang=en")
    english = admin.locator("#weekly").inner_text()
    assert "Patrol records are not connected" in english or "Grid coverage" in english
    assert admin.locator("#weekly h1").inner_text().startswith("Demo City · ")  # the city's name
    shot(admin, "maintenance-weekly-en")
    assert admin.errors == []
    admin.context.close()

    workbook = httpx.get(
        f"{live_server.url}/api/v1/maintenance/weekly.xlsx?district_id={district}",
        headers=live_server.headers("admin"),
    )
    assert workbook.status_code == 200, workbook.text
    sheets = openpyxl.load_workbook(io.BytesIO(workbook.content))
    (ARTIFACTS / "maintenance-weekly.xlsx").write_bytes(workbook.content)
    assert sheets.sheetnames == ["养护检查", "责任单位得分", "巡查情况"]
    patrol = [c.value for row in sheets["巡查情况"].iter_rows() for c in row if c.value]
    assert any("巡查记录未接入本平台" in str(v) or "网格覆盖率" in str(v) for v in patrol)
