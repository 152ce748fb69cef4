"""A click on the map's tiled layers at a city's overview zooms (zoom 14, where the tiles
carry no feature ids) shows the feature's details, looked up by the click's place; on a phone
the details open as a sheet in view over the map, the tapped place still in sight."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely
import shapely.geometry

from gardencity.vocabulary import vocabulary
from tests.web.conftest import ARTIFACTS, PHONE, LiveServer, login
from tests.web.test_axe_every_page import AXE


def _parcel(server: LiveServer) -> tuple[Any, float, float]:
    """The largest residential parcel and a point inside it (lon, lat)."""
    land_use = gpd.read_file(server.workspace / "city.gpkg", layer="land_use")
    residential = land_use[land_use["code"].str.startswith("R")]
    parcel = residential.loc[residential.geometry.area.idxmax()]
    point = gpd.GeoSeries([parcel.geometry.representative_point()], crs=land_use.crs)
    lonlat = point.to_crs(4326).iloc[0]
    return parcel, lonlat.x, lonlat.y


def _residential_map(browser: Any, server: LiveServer, lang: str, **context: Any) -> Any:
    page = login(browser, server, "admin", **context)
    page.goto(f"/map?lang={lang}")
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    page.uncheck("#layer-uncovered_residential")
    page.check("#layer-residential")
    page.wait_for_selector("#map[data-layer_residential='drawn']", timeout=30_000)
    assert page.evaluate("gc.mapLoaded.residential.tiled") is True
    return page


def _centre(page: Any, lon: float, lat: float, zoom: float) -> tuple[float, float]:
    """Centre the map on a point at ``zoom`` and wait for its residential tiles; the map's
    centre in the page's viewport."""
    page.evaluate(
        """([lat, lon, zoom]) => new Promise((done) => {
             const layer = gc.mapLoaded.residential;
             layer._map.setView([lat, lon], zoom, { animate: false });
             const wait = () => (layer.isLoading() ? setTimeout(wait, 50) : done());
             setTimeout(wait, 50);
           })""",
        [lat, lon, zoom],
    )
    page.locator("#map").scroll_into_view_if_needed()
    box = page.locator("#map").bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _tap_at(page: Any, lon: float, lat: float, zoom: float) -> None:
    """Click a point at ``zoom`` and wait for its details, looked up by the place clicked."""
    x, y = _centre(page, lon, lat, zoom)
    with page.expect_response(lambda r: "/tiles/residential/features?at=" in r.url) as asked:
        page.mouse.click(x, y)
    assert asked.value.status == 200, asked.value.text()
    page.wait_for_selector("#details[data-shown]", timeout=30_000)


def _outlines_the_parcel(page: Any, lon: float, lat: float) -> None:
    """The parcel shown is outlined on the map, around the place clicked."""
    outlined = page.evaluate("gc.mapSelected && gc.mapSelected.toGeoJSON()")
    assert outlined is not None
    shape = shapely.geometry.shape(outlined["features"][0]["geometry"])
    assert shape.contains(shapely.Point(lon, lat))


def _shows_the_parcel(page: Any, parcel: Any, lang: str) -> None:
    words = vocabulary()
    details = page.locator("#details")
    assert details.locator("h3").inner_text() == words.label("layers", "residential", lang)
    shown = details.inner_text()
    parcel_label, area_label = (words.label("fields", f, lang) for f in ("parcel_id", "area_m2"))
    assert f"{parcel_label}\n{parcel['parcel_id']}" in shown, shown
    assert f"{area_label}\n{parcel.geometry.area / 10_000:,.2f}" in shown, shown
    assert "area_m2" not in shown and "parcel_id" not in shown


def test_a_click_at_zoom_14_shows_the_parcel_looked_up_by_place(
    browser: Any, live_server: LiveServer
) -> None:
    parcel, lon, lat = _parcel(live_server)
    for lang in ("zh", "en"):
        page = _residential_map(browser, live_server, lang, viewport={"width": 1280, "height": 800})
        # zoom 14 draws the overview tiles (no ids): the parcel is asked for by its place
        tiles = page.evaluate("gc.map.tileSet({name: 'residential', tiled: true})")
        assert tiles["detail_zoom"] > 14 - 1
        _tap_at(page, lon, lat, 14)
        _shows_the_parcel(page, parcel, lang)
        _outlines_the_parcel(page, lon, lat)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"map-details-zoom14-desktop-{lang}.png"))
        page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
        assert page.evaluate(AXE) == []
        # on a desktop the details stay in the side panel, scrolled into its view (the page
        # itself stays put): nothing over the map
        assert page.locator("#details-close").is_hidden()
        shown = page.locator("#details dl").bounding_box()
        assert shown is not None and shown["y"] + shown["height"] <= 800, shown
        assert page.evaluate("window.scrollY") == 0
        # below zoom 14 a click still says to zoom in
        page.mouse.click(*_centre(page, lon, lat, 12.5))
        page.wait_for_selector("#details[data-shown]", timeout=30_000)
        hint = {"zh": "请放大地图", "en": "zoom in"}[lang]
        assert hint in page.locator("#details").inner_text()
        assert page.errors == []
        page.context.close()


def test_on_a_phone_the_details_open_in_view_and_close(
    browser: Any, live_server: LiveServer
) -> None:
    parcel, lon, lat = _parcel(live_server)
    for lang in ("zh", "en"):
        page = _residential_map(
            browser, live_server, lang, viewport=PHONE, is_mobile=True, has_touch=True
        )
        _tap_at(page, lon, lat, 14)
        _shows_the_parcel(page, parcel, lang)
        _outlines_the_parcel(page, lon, lat)
        sheet = page.locator("#details-sheet").bounding_box()
        assert sheet is not None
        # the sheet lies within the screen, over the map's lower part only
        assert sheet["y"] >= 0 and sheet["y"] + sheet["height"] <= PHONE["height"] + 0.5
        assert sheet["height"] <= 0.5 * PHONE["height"]
        # the tapped place was moved above the sheet: still in sight
        place = page.evaluate(
            """([lat, lon]) => { const map = gc.mapLoaded.residential._map;
                 const box = map.getContainer().getBoundingClientRect();
                 return map.latLngToContainerPoint([lat, lon]).y + box.top; }""",
            [lat, lon],
        )
        assert 0 <= place < sheet["y"], (place, sheet)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"map-details-zoom14-phone-{lang}.png"))
        page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
        assert page.evaluate(AXE) == []  # the open sheet, its close button: no violation
        close = page.locator("#details-close")
        label = {"zh": "关闭详情", "en": "Close the details"}[lang]
        assert close.get_attribute("aria-label") == label
        close.click()
        assert page.evaluate("gc.mapSelected") is None  # closed: nothing outlined
        position = "getComputedStyle(document.getElementById('details-sheet')).position"
        assert page.evaluate(position) == "static"
        assert close.is_hidden()
        assert page.errors == []
        page.context.close()
