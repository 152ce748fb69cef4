"""The case list and the ranking are exported from their pages, as filtered and in the
page's language, by those who may export them (real Chromium, live server)."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest

from tests._office import CJK, lint_workbook
from tests.web.conftest import PHONE, LiveServer, login

pytestmark = pytest.mark.slow


def _file_case(server: LiveServer, title: str) -> dict[str, Any]:
    lon, lat = server.district_points[0]
    body = {"category": "weeds", "lon": lon, "lat": lat, "title": title}
    case: dict[str, Any] = server.api("POST", "/api/v1/cases", "admin", json=body)
    return case


def test_the_case_list_is_exported_as_filtered_in_the_pages_language(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    case = _file_case(live_server, "Weeds along the canal")
    page = login(browser, live_server, "coord1")
    page.goto("/cases?status=filed&lang=en")
    page.wait_for_selector(f"tr[data-reference='{case['reference']}']")
    link = page.locator("#export-xlsx")
    assert link.inner_text() == "Excel workbook"
    query = parse_qs(urlsplit(link.get_attribute("href")).query)
    assert query["status"] == ["filed"] and query["lang"] == ["en"]
    workbook = page.request.get(link.get_attribute("href"))
    assert workbook.ok and lint_workbook(workbook.body(), lang="en") == []
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.body())).active
    assert sheet is not None
    references = [row[0].value for row in sheet.iter_rows(min_row=3) if row[0].value]
    assert case["reference"] in references
    shot(page, "cases-export-en")
    page.context.close()
    page = login(browser, live_server, "coord1", viewport=PHONE, is_mobile=True)
    page.goto("/cases")
    page.wait_for_selector("#case-count:not(:empty)")
    csv = page.request.get(page.locator("#export-csv").get_attribute("href"))
    assert csv.ok and csv.text().lstrip("\ufeff").startswith("案卷编号,类别")
    shot(page, "cases-export-phone")
    page.context.close()


def test_only_those_who_may_export_see_the_export_links(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    page = login(browser, live_server, "officer11")
    page.goto("/cases")
    page.wait_for_selector("#case-count:not(:empty)")
    assert page.locator("#export-xlsx, #export-csv").count() == 0
    page.goto("/rankings")
    assert page.locator("#export-rankings").count() == 0
    page.context.close()
    page = login(browser, live_server, "leader")
    page.goto("/rankings?lang=en")
    page.wait_for_selector("#ranking-table tbody tr")
    rated = bool(live_server.api("GET", "/api/v1/rankings", "leader"))  # the server is shared
    assert page.locator("#export-rankings").is_visible() == rated  # nothing to download yet
    live_server.api("POST", "/api/v1/rankings/compute", "admin")
    page.reload()
    page.wait_for_selector("#export-rankings", state="visible")
    shot(page, "rankings-export-en")
    ranking = page.request.get(page.locator("#export-rankings").get_attribute("href"))
    assert ranking.ok and lint_workbook(ranking.body(), lang="en") == []
    sheet = openpyxl.load_workbook(io.BytesIO(ranking.body())).active
    assert sheet is not None and not CJK.search(str(sheet["A1"].value))
    page.context.close()
