"""A maintenance inspection without signal, in real Chromium on a phone: filled in with a
failed item and its photo while offline, it waits in the page's queue (shown above the form)
and reaches the server exactly once when the network returns."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import PHONE, LiveServer, jpeg, login

pytestmark = pytest.mark.slow


def _site(server: LiveServer) -> dict[str, Any]:
    lon, lat = server.district_points[0]
    body = {
        "code": "WEB-OFFLINE-1",
        "name": "环城绿道",
        "site_type": "greenway",
        "unit_id": server.units["d1s1"],
        "lon": lon,
        "lat": lat,
    }
    server.api("POST", "/api/v1/maintenance/sites", "admin", json=body)
    sites = server.api("GET", "/api/v1/maintenance/sites", "admin")
    return next(s for s in sites if s["code"] == "WEB-OFFLINE-1")


def _cases(server: LiveServer, site: dict[str, Any]) -> list[dict[str, Any]]:
    """The inspections' cases of the site's unit (no other test inspects its sites)."""
    path = "/api/v1/cases?source=maintenance_inspection&per_page=100"
    return [c for c in server.api("GET", path, "admin")["items"] if c["unit_id"] == site["unit_id"]]


def test_an_inspection_filled_in_offline_is_sent_once_when_the_network_returns(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    site = _site(live_server)
    before = len(_cases(live_server, site))
    page = login(browser, live_server, "patrol1", viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/maintenance")
    page.wait_for_selector(f"#mi-site option[value='{site['id']}']", state="attached")
    page.select_option("#mi-site", str(site["id"]))
    first = page.locator(".mi-item").first
    code = first.get_attribute("data-code")
    first.locator("input[value=fail]").check()
    first.locator("input[type=file]").set_input_files(
        {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": jpeg((90, 120, 60))}
    )
    page.context.set_offline(True)
    page.click("#mi-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('mi-queue').dataset.count === '1'")
    assert (
        page.locator("#mi-result").inner_text()
        == "当前无网络：检查结果已保存在本机，恢复网络后自动发送"
    )
    queued = page.locator("#mi-queue").inner_text()
    assert (
        "待发送的检查 1 份" in queued and "环城绿道" in queued and "1 项不合格 · 1 张照片" in queued
    )
    shot(page, "maintenance-offline-queue-phone-zh")
    # the page opened again offline keeps the inspection waiting
    page.reload()
    page.wait_for_function("() => document.getElementById('mi-queue').dataset.count === '1'")
    assert len(_cases(live_server, site)) == before  # nothing reached the server

    page.context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.wait_for_function(
        "() => document.getElementById('mi-queue').dataset.count === '0'", timeout=30_000
    )
    assert "已发送 1 份检查" in page.locator("#mi-queue-status").inner_text()
    cases = _cases(live_server, site)
    assert len(cases) == before + 1  # once
    case = live_server.api("GET", f"/api/v1/cases/{cases[0]['id']}", "admin")
    assert case["source"] == "maintenance_inspection" and len(case["attachments"]) == 1
    # the page opened again sends nothing more
    page.reload()
    page.wait_for_selector(f"#mi-site option[value='{site['id']}']", state="attached")
    assert page.locator("#mi-queue").is_hidden()
    assert len(_cases(live_server, site)) == before + 1
    latest = next(
        s
        for s in live_server.api("GET", "/api/v1/maintenance/sites", "admin")
        if s["id"] == site["id"]
    )
    assert latest["latest_score"] is not None and code
    assert page.errors == []
    page.context.close()
