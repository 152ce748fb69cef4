"""A case's page shows where it is on a map, the case it may repeat and why it went to its
unit; on a phone the case list is a list of cards (real Chromium, S demo city)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import PHONE, LiveServer, login

pytestmark = pytest.mark.slow


def test_a_case_page_shows_its_place_its_duplicate_and_its_routing(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    lon, lat = live_server.district_points[0]
    lon, lat = lon + 0.0004, lat - 0.0003  # a spot of its own in district 1
    body = {"category": "bare_soil", "lon": lon, "lat": lat, "description": "裸土"}
    first = live_server.api("POST", "/api/v1/cases", "admin", json=body)
    second = live_server.api("POST", "/api/v1/cases", "admin", json=body | {"description": "又见"})
    assert second["duplicate_of_id"] == first["id"]
    page = login(browser, live_server, "coord1", viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"/cases/{second['id']}")
    page.wait_for_selector("#duplicate-link")
    assert page.locator("#duplicate-link").inner_text() == first["reference"]
    assert page.locator("#duplicate-link").get_attribute("href") == f"/cases/{first['id']}"
    assert page.locator("#routing-reason").inner_text() == second["routing_reason"]
    assert "鼓楼区" in second["routing_reason"]  # said in words: which unit and why
    spot = page.locator("#case-map")
    assert float(spot.get_attribute("data-lat") or 0) == pytest.approx(lat, abs=1e-6)
    assert page.locator("#case-map .leaflet-interactive").count() >= 1  # the marker
    shot(page, "case-place-phone")

    page.goto("/cases")
    page.wait_for_selector("#case-table tbody tr[data-reference]")
    row = page.locator("#case-table tbody tr[data-reference]").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"  # a card
    box = row.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    assert (
        row.locator("td[data-label]")
        .first.evaluate("td => getComputedStyle(td, '::before').content")
        .startswith('"类别')
    )
    shot(page, "cases-phone-cards")
    assert page.errors == []
    page.context.close()
