"""A click on the map's tiled layers at a city's overview zooms (zoom 14, where the tiles
carry no feature ids) shows the feature's details, looked up by the click's place (where the
layer on top has nothing there, the shown layer beneath it is asked); on a phone the details
open as a sheet in view over the map, the tapped place still in sight."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
import shapely.geometry

from gardencity.vocabulary import vocabulary
from tests.web.conftest import ARTIFACTS, PHONE, LiveServer, login, residential_parcel
from tests.web.test_axe_every_page import AXE


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
    parcel, lon, lat = residential_parcel(live_server)
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
    parcel, lon, lat = residential_parcel(live_server)
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


def _off_the_uncovered_parcels(server: LiveServer) -> list[tuple[float, float]]:
    """Places (lon, lat) inside a residential parcel, outside every uncovered parcel, a
    screen pixel or more (at zoom 14: 10 m) from each, near enough to uncovered parcels to
    be within the blocks they are drawn as at zoom 14 (gaps narrower than a pixel at zoom 12,
    40 m, are closed), every 5 m."""
    land_use = gpd.read_file(server.workspace / "city.gpkg", layer="land_use")
    residential = shapely.union_all(land_use[land_use["code"].str.startswith("R")].geometry)
    run = f"/api/v1/runs/{server.run_id}"
    layer = server.api("GET", f"{run}/layers/uncovered_residential.geojson", "admin")
    uncovered = gpd.GeoSeries(
        [shapely.geometry.shape(f["geometry"]) for f in layer["features"]], crs=4326
    ).to_crs(land_use.crs)
    near = shapely.union_all(uncovered.geometry.buffer(20))
    region = residential.buffer(-10).difference(shapely.union_all(uncovered.buffer(10)))
    region = region.intersection(near)
    west, south, east, north = region.bounds
    gx, gy = (a.ravel() for a in np.meshgrid(np.arange(west, east, 5), np.arange(south, north, 5)))
    inside = shapely.contains_xy(region, gx, gy)
    points = gpd.GeoSeries(gpd.points_from_xy(gx[inside], gy[inside]), crs=land_use.crs)
    return [(p.x, p.y) for p in points.to_crs(4326)]


#: of places (lon, lat), the first where the map draws uncovered residential land
DRAWN_UNCOVERED = """(places) => places.find(([lon, lat]) => {
  const picked = gc.mapLoaded.uncovered_residential.pick(L.latLng(lat, lon));
  return picked && picked.at;
})"""


def test_a_click_where_the_top_layer_has_nothing_shows_the_layer_beneath(
    browser: Any, live_server: LiveServer
) -> None:
    places = _off_the_uncovered_parcels(live_server)
    page = _residential_map(browser, live_server, "en")
    page.check("#layer-uncovered_residential")  # drawn above the residential land
    page.wait_for_selector("#map[data-layer_uncovered_residential='drawn']", timeout=30_000)
    lon, lat = places[len(places) // 2]
    _centre(page, lon, lat, 14)  # the tiles of these places, at zoom 14
    page.wait_for_function(
        "() => !gc.mapLoaded.uncovered_residential.isLoading()", polling=50, timeout=30_000
    )
    found = page.evaluate(DRAWN_UNCOVERED, places)
    assert found is not None, len(places)
    lon, lat = found
    x, y = _centre(page, lon, lat, 14)
    page.wait_for_function(
        "() => !gc.mapLoaded.uncovered_residential.isLoading()", polling=50, timeout=30_000
    )
    picked = page.evaluate(
        """([lat, lon]) => ["uncovered_residential", "residential"]
             .map((name) => gc.mapLoaded[name].pick(L.latLng(lat, lon)))""",
        [lat, lon],
    )
    assert all(p is not None and "at" in p for p in picked), picked  # both drawn there
    asked: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda r: (
            "/features?at=" in r.url
            and asked.append((r.url.split("/tiles/")[1].split("/")[0], r.status))
        ),
    )
    page.mouse.click(x, y)
    page.wait_for_selector("#details[data-shown]", timeout=30_000)
    # the layer on top has nothing there: the one beneath is asked
    assert asked == [("uncovered_residential", 404), ("residential", 200)], asked
    words = vocabulary()
    assert page.locator("#details h3").inner_text() == words.label("layers", "residential", "en")
    land_use = gpd.read_file(live_server.workspace / "city.gpkg", layer="land_use").to_crs(4326)
    holding = land_use[land_use.contains(shapely.Point(lon, lat))]
    assert len(holding) == 1 and holding.iloc[0]["code"].startswith("R")
    shown = page.locator("#details").inner_text()
    assert f"{words.label('fields', 'parcel_id', 'en')}\n{holding.iloc[0]['parcel_id']}" in shown
    _outlines_the_parcel(page, lon, lat)
    assert page.errors == []
    page.context.close()
