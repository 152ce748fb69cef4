"""The city and its districts are named in the page's language: the header, the cockpit's
district table and the map's district names; Chinese pages in Chinese,
English pages with the names of city.toml's ``name_en`` and the districts' ``name_en``."""

from __future__ import annotations

from typing import Any

import pyogrio
import pytest

from tests.web.conftest import PHONE, LiveServer, login

pytestmark = pytest.mark.slow

CITY = {"zh": "示范市", "en": "Demo City"}


def _district_names(server: LiveServer) -> dict[str, list[str]]:
    districts = pyogrio.read_dataframe(server.workspace / "city.gpkg", layer="districts")
    return {"zh": list(districts["name"]), "en": list(districts["name_en"])}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_city_and_its_districts_are_named_in_the_page_language(
    browser: Any, live_server: LiveServer, shot: Any, lang: str
) -> None:
    names = _district_names(live_server)
    other = "en" if lang == "zh" else "zh"
    page = login(browser, live_server, "coord1")
    page.goto(f"/cockpit?lang={lang}")
    page.wait_for_load_state("networkidle")
    brand = page.locator("a.brand").inner_text()
    assert brand.startswith(CITY[lang]) and CITY[other] not in page.title()
    assert page.title().endswith(CITY[lang])
    heads = page.locator("#district-table thead th").all_inner_texts()[1:]
    assert sorted(heads) == sorted(names[lang])
    shot(page, f"places-cockpit-{lang}-desktop")
    page.set_viewport_size(PHONE)
    shot(page, f"places-cockpit-{lang}-phone")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/map")
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    page.wait_for_selector(".leaflet-tooltip.district-label")
    labels = page.locator(".leaflet-tooltip.district-label").all_inner_texts()
    assert sorted(labels) == sorted(names[lang])
    shot(page, f"places-map-{lang}-desktop")
    page.set_viewport_size(PHONE)
    shot(page, f"places-map-{lang}-phone")
    assert page.errors == []
    page.context.close()


def test_the_public_page_names_the_city_in_its_language(
    browser: Any, live_server: LiveServer
) -> None:
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    for lang in ("zh", "en"):
        page.goto(f"/public?lang={lang}")
        assert page.locator("a.brand").inner_text().startswith(CITY[lang])
    context.close()
