"""The map's heavy layers as vector tiles over HTTP (who may read them, what a bad tile
number says) and in Chromium (switched on, drawn, a click shows the feature's details)."""

from __future__ import annotations

import json
import re
from typing import Any

import geopandas as gpd
import httpx
import mapbox_vector_tile
import shapely.geometry

from tests._campaign import PASSWORD
from tests.jobs.test_tiles import tile_of
from tests.web.conftest import LiveServer, login, residential_parcel


def click_map_at(page: Any, layer: str, lon: float, lat: float, zoom: float = 16) -> None:
    """Centre the map on a point at ``zoom``, wait for the tiles of ``layer``, click there
    and wait for the details panel to be filled (a tiled feature's details come by API)."""
    page.evaluate(
        """([name, lat, lon, zoom]) => new Promise((done) => {
             const layer = gc.mapLoaded[name];
             layer._map.setView([lat, lon], zoom, { animate: false });
             const wait = () => (layer.isLoading() ? setTimeout(wait, 50) : done());
             setTimeout(wait, 50);
           })""",
        [layer, lat, lon, zoom],
    )
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#details[data-shown]", timeout=30_000)


#: the colour and opacity (0–255) a tiled layer's canvas holds at the middle of the map
PAINTED_AT_CENTRE = """(name) => {
  const map = gc.mapLoaded[name]._map, box = map.getContainer().getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const canvas = [...gc.mapLoaded[name].getContainer().querySelectorAll("canvas")].find((c) => {
    const r = c.getBoundingClientRect();
    return r.left <= x && x < r.right && r.top <= y && y < r.bottom;
  });
  const r = canvas.getBoundingClientRect();
  const col = Math.floor((x - r.left) * canvas.width / r.width);
  const row = Math.floor((y - r.top) * canvas.height / r.height);
  return [...canvas.getContext("2d").getImageData(col, row, 1, 1).data];
}"""


def click_a_feature(page: Any, layer: str, geojson_url: str) -> None:
    """Click the first feature of a map layer where it lies (a point inside it), whether the
    map draws the layer from vector tiles or from GeoJSON."""
    if not page.evaluate(f"gc.mapLoaded.{layer}.tiled === true"):
        page.evaluate(f"() => {{ gc.mapLoaded.{layer}.getLayers()[0].fire('click'); }}")
        return
    features = page.request.get(geojson_url).json()["features"]
    biggest = max(features, key=lambda f: shapely.geometry.shape(f["geometry"]).area)
    inside = shapely.geometry.shape(biggest["geometry"]).representative_point()
    click_map_at(page, layer, inside.x, inside.y)


def test_tiles_over_http(live_server: LiveServer) -> None:
    run = f"/api/v1/runs/{live_server.run_id}/tiles"
    described = live_server.api("GET", f"{run}/residential.json", "admin")
    template = f"{run}/residential/{{z}}/{{x}}/{{y}}.pbf?v="
    assert described["tiles"][0].startswith(template), described["tiles"]
    version = described["tiles"][0].removeprefix(template)
    parcel, lon, lat = residential_parcel(live_server)
    x, y = tile_of(lon, lat, 14)
    headers = live_server.headers("leader")  # every staff role reads the map
    url = f"{live_server.url}{run}/residential/14/{x}/{y}.pbf?v={version}"
    tile = httpx.get(url, headers=headers)
    assert tile.status_code == 200, tile.text
    assert tile.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layer = mapbox_vector_tile.decode(tile.content)["residential"]  # httpx un-gzips it
    # the tile carries the features' ids only; each one's details come by its id
    assert all(f["properties"] == {} for f in layer["features"])
    found = [
        live_server.api("GET", f"{run}/residential/features/{f['id']}", "leader")
        for f in layer["features"]
    ]
    assert parcel["parcel_id"] in {f["properties"]["parcel_id"] for f in found}
    assert {f["layer"] for f in found} == {"residential"}
    missing = httpx.get(f"{live_server.url}{run}/residential/features/999999", headers=headers)
    assert missing.status_code == 404 and "999999" in missing.json()["error"]["message"]
    refused = httpx.get(
        f"{live_server.url}{run}/residential/features/1", headers=live_server.headers("resident")
    )
    assert refused.status_code == 403
    # a run's tiles never change: the browser keeps them under their versioned URL, and
    # asks again with their ETag (304, nothing sent) once it has let them go
    assert tile.headers["cache-control"] == "private, max-age=31536000, immutable"
    again = httpx.get(url, headers=headers | {"If-None-Match": tile.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    unversioned = httpx.get(url.split("?")[0], headers=headers)
    assert unversioned.headers["cache-control"] == "private, no-cache"
    cut_again = httpx.get(f"{url}0", headers=headers)  # not the tiles' version: asked anew
    assert cut_again.headers["cache-control"] == "private, no-cache"
    # the archive's bytes are sent as they are, gzip-compressed
    raw = httpx.get(
        f"{live_server.url}{run}/residential/14/{x}/{y}.pbf",
        headers=headers | {"Accept-Encoding": "gzip"},
    )
    assert raw.headers["content-encoding"] == "gzip"
    plain = httpx.get(
        f"{live_server.url}{run}/residential/14/{x}/{y}.pbf",
        headers=headers | {"Accept-Encoding": "identity"},
    )
    assert "content-encoding" not in plain.headers and plain.content == raw.content
    # nothing there: an empty answer
    empty = httpx.get(f"{live_server.url}{run}/residential/14/0/0.pbf", headers=headers)
    assert empty.status_code == 204 and empty.content == b""
    # a tile number that cannot be: 422 with what the numbers must be
    bad = httpx.get(f"{live_server.url}{run}/residential/3/8/1.pbf", headers=headers)
    assert bad.status_code == 422
    said = bad.json()["error"]["message"]
    assert "3/8/1" in said and "0–7" in said, said
    english = httpx.get(
        f"{live_server.url}{run}/residential/3/8/1.pbf",
        headers=headers | {"Accept-Language": "en"},
    )
    assert "x and y 0–7" in english.json()["error"]["message"], english.json()
    unknown = httpx.get(f"{live_server.url}{run}/land_use/3/1/1.pbf", headers=headers)
    assert unknown.status_code == 404 and "residential" in unknown.json()["error"]["message"]
    # residents and strangers never read the assessment's layers
    anonymous = httpx.get(f"{live_server.url}{run}/residential/14/{x}/{y}.pbf")
    assert anonymous.status_code == 401
    resident = httpx.get(
        f"{live_server.url}{run}/residential/14/{x}/{y}.pbf",
        headers=live_server.headers("resident"),
    )
    assert resident.status_code == 403


def test_switching_a_tiled_layer_on_and_clicking_a_parcel(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    parcel, lon, lat = residential_parcel(live_server)
    page = login(browser, live_server, "admin")
    page.goto("/map")
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    page.uncheck("#layer-uncovered_residential")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
    page.check("#layer-residential")
    page.wait_for_selector("#map[data-layer_residential='drawn']", timeout=30_000)
    assert page.evaluate("gc.mapLoaded.residential.tiled") is True
    # once drawn, every tile in view is shown whole (not still fading in)
    opacities = page.evaluate(
        "[...gc.mapLoaded.residential.getContainer().querySelectorAll('canvas')]"
        ".map((c) => getComputedStyle(c).opacity)"
    )
    assert opacities and set(opacities) == {"1"}, opacities
    # the service worker leaves the tiles to the browser's cache: none kept for offline
    kept = page.evaluate(
        "caches.open('gc-data').then((c) => c.keys()).then((k) => k.map((r) => r.url))"
    )
    assert not [url for url in kept if ".pbf" in url], kept
    # nor does it see them: the browser sends them to the network without waking it
    routed = page.evaluate(
        "performance.getEntriesByType('resource')"
        ".filter((e) => e.name.includes('/tiles/residential/'))"
        ".map((e) => e.workerMatchedSourceType)"
    )
    assert routed and set(routed) == {"network"}, routed
    count = page.locator("#count-residential").get_attribute("data-count")
    land_use = gpd.read_file(live_server.workspace / "city.gpkg", layer="land_use")
    assert int(count) == int(land_use["code"].str.startswith("R").sum())
    # at the city's overview parcels are drawn as blocks: a click says to zoom in
    click_map_at(page, "residential", lon, lat, zoom=12)
    details = page.locator("#details")
    assert details.locator("h3").inner_text() == "居住用地"
    assert "请放大地图" in details.inner_text()
    # from zoom 14.5 (data tiles of zoom 14) each parcel is drawn on its own: a click there
    # shows its details in words, asked for by the parcel's id (the tiles carry nothing else)
    with page.expect_response(lambda r: "/tiles/residential/features/" in r.url):
        click_map_at(page, "residential", lon, lat, zoom=14.5)
    assert details.locator("h3").inner_text() == "居住用地"
    shown = details.inner_text()
    assert f"地块编号\n{parcel['parcel_id']}" in shown, shown
    assert f"面积（公顷）\n{parcel.geometry.area / 10_000:,.2f}" in shown, shown
    assert "area_m2" not in shown and "parcel_id" not in shown
    shot(page, "map-tiles-residential")
    # inside the parcel its fill is painted in the vocabulary's colour, also where the last
    # zoom's tiles are drawn enlarged
    for zoom in (14.5, 18):
        click_map_at(page, "residential", lon, lat, zoom=zoom)
        painted = page.evaluate(PAINTED_AT_CENTRE, "residential")
        assert all(abs(a - b) <= 2 for a, b in zip(painted, [246, 231, 168, 204], strict=True)), (
            zoom,
            painted,
        )
    assert page.errors == []
    page.context.close()


def test_a_first_visit_draws_the_map_before_the_service_worker_keeps_files(
    browser: Any, live_server: LiveServer
) -> None:
    # the page opened on logging in registers the service worker: the map is opened in a
    # new context with the same cookies, as on a first visit to the map
    state = login(browser, live_server, "admin").context.storage_state()
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", storage_state=state)
    by_worker: list[float] = []
    context.on(
        "requestfinished",
        lambda r: by_worker.append(r.timing["startTime"]) if r.service_worker else None,
    )
    page = context.new_page()
    page.goto("/map")
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    ready_at = page.evaluate(
        "performance.timeOrigin + Number(document.getElementById('map').dataset.readyMs)"
    )
    for name in ("built_up_area", "districts", "uncovered_residential", "cases"):
        assert page.locator("#map").get_attribute(f"data-layer_{name}") == "drawn", name
    # the vocabulary was preloaded with the default layers and asked for once; the run's
    # tile descriptions came with the page: the map asked for tiles without waiting for them
    asked = page.evaluate(
        "performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)"
        ".filter((p) => p.startsWith('/api/v1/vocabulary') || p.endsWith('.json'))"
    )
    assert asked == ["/api/v1/vocabulary"], asked
    # the first view is the built-up area's, as when it was set from its outline
    view = page.evaluate(
        "(() => { const m = gc.mapLoaded.built_up_area._map;"
        " const b = m.getBoundsZoom(gc.mapLoaded.built_up_area.getBounds(), false, [20, 20]);"
        " return [m.getZoom(), b]; })()"
    )
    assert view[0] == view[1], view
    # the service worker is registered once the map is drawn: its install asks for the
    # app's files then, not while the map asks for its tiles
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
    assert by_worker, "the service worker kept nothing"
    assert min(by_worker) >= ready_at - 1, (min(by_worker), ready_at)
    context.close()


#: a tiled layer switched on again with every data tile but the first coming ``delay`` ms
#: later: resolved with the times (ms) at which its tiles in view were shown
SHOWN_WITH_LATE_TILES = """([name, delay]) => new Promise((done) => {
  const layer = gc.mapLoaded[name], cache = layer.tiles, get = cache.get.bind(cache);
  let asked = 0;
  cache.get = (tile) => get(tile).then((data) => new Promise((ok) => {
    asked += 1;
    setTimeout(() => ok(data), asked === 1 ? 0 : delay);
  }));
  const shown = [];
  layer.on("tileload", () => shown.push(performance.now()));
  layer.once("load", () => done(shown));
  document.getElementById(`layer-${name}`).click();
})"""


def test_the_tiles_of_a_view_are_shown_together(browser: Any, live_server: LiveServer) -> None:
    page = login(browser, live_server, "admin")
    page.goto("/map")
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    page.check("#layer-residential")
    page.wait_for_selector("#map[data-layer_residential='drawn']", timeout=30_000)
    page.uncheck("#layer-residential")
    # the first tile painted waits for the others (100 ms later) before it is shown
    shown = page.evaluate(SHOWN_WITH_LATE_TILES, ["residential", 100])
    assert len(shown) >= 2, shown
    assert max(shown) - min(shown) < 50, shown
    assert page.errors == []
    page.context.close()


PAGE_DATA = re.compile(r'<script id="page-data" type="application/json">(.*?)</script>', re.S)


def _map_page_data(live_server: LiveServer, username: str) -> dict[str, Any]:
    token = httpx.post(
        f"{live_server.url}/api/v1/auth/login", data={"username": username, "password": PASSWORD}
    ).json()["access_token"]
    page = httpx.get(f"{live_server.url}/map", cookies={"gc_session": token})
    assert page.status_code == 200, page.text
    match = PAGE_DATA.search(page.text)
    assert match
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_the_map_page_carries_what_its_first_tiles_wait_for(live_server: LiveServer) -> None:
    data = _map_page_data(live_server, "leader")
    headers = live_server.headers("leader")
    # the tile descriptions, as the tile API answers them, for each tiled layer of the run
    # the latest succeeded assessment (other tests of the session may have run more)
    runs = live_server.api("GET", "/api/v1/runs", "leader")
    latest = next(r["id"] for r in runs if r["kind"] == "assessment" and r["status"] == "succeeded")
    assert data["run_id"] == latest
    run = f"/api/v1/runs/{latest}/tiles"
    assert set(data["tilesets"]) >= {"residential", "uncovered_residential"}
    for name, described in data["tilesets"].items():
        assert described == live_server.api("GET", f"{run}/{name}.json", "leader"), name
    # the built-up area's bounds, [[south, west], [north, east]], those of its outline
    outline = httpx.get(
        f"{live_server.url}/api/v1/map/layers/built_up_area.geojson", headers=headers
    ).json()
    west, south, east, north = shapely.geometry.shape(
        {"type": "GeometryCollection", "geometries": [f["geometry"] for f in outline["features"]]}
    ).bounds
    assert data["map_bounds"] == [[south, west], [north, east]]


#: the tile bytes the page hands to a Web Worker: [worker script, layer, bytes handed] per
#: message, and the buffers themselves (detached once transferred: the page keeps no copy)
WATCH_WORKERS = """(() => {
  const post = Worker.prototype.postMessage;
  window.handedToWorkers = [];
  window.handedBuffers = [];
  Worker.prototype.postMessage = function (message, transfer) {
    if (message && message.buffer instanceof ArrayBuffer) {
      window.handedToWorkers.push([this.scriptURL, message.layer, message.buffer.byteLength]);
      window.handedBuffers.push(message.buffer);
    }
    return post.call(this, message, transfer);
  };
  const Original = Worker;
  window.Worker = class extends Original {
    constructor(url, options) {
      super(url, options);
      this.scriptURL = new URL(url, location.href).href;
    }
  };
})()"""

#: the pixel widths of a tiled layer's canvases
CANVAS_WIDTHS = """(name) => [...gc.mapLoaded[name].getContainer().querySelectorAll("canvas")]
  .map((c) => c.width)"""

#: a kept data tile of a tiled layer as the page holds it: its arrays' kinds, its features'
#: ids and boxes
KEPT_TILE = """([name, z, x, y]) => {
  const tile = gc.mapLoaded[name].tiles.decoded(z, x, y);
  return tile && {
    kinds: [tile.xy, tile.rings, tile.parts, tile.boxes, tile.ids].map((a) => a.constructor.name),
    ids: [...tile.ids], boxes: [...tile.boxes],
  };
}"""


def test_tiles_are_decoded_in_a_worker_and_a_click_still_finds_the_parcel(
    browser: Any, live_server: LiveServer
) -> None:
    parcel, lon, lat = residential_parcel(live_server)
    page = login(browser, live_server, "admin")
    page.add_init_script(WATCH_WORKERS)
    page.goto("/map")
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    page.check("#layer-residential")
    page.wait_for_selector("#map[data-layer_residential='drawn']", timeout=30_000)
    with page.expect_response(lambda r: "/tiles/residential/features/" in r.url):
        click_map_at(page, "residential", lon, lat, zoom=14.5)
    shown = page.locator("#details").inner_text()
    assert f"地块编号\n{parcel['parcel_id']}" in shown, shown
    # every tile's bytes went to the tile worker, served from the app's static files, and
    # left the page (transferred): the page's thread parses no tile
    handed = page.evaluate("window.handedToWorkers")
    residential = [h for h in handed if h[1] == "residential"]
    assert residential and all(size > 0 for _, _, size in residential), handed
    assert {url for url, _, _ in handed} == {f"{live_server.url}/static/web/tile-decoder.js"}
    assert page.evaluate("window.handedBuffers.every((b) => b.byteLength === 0)")
    assert [w.url for w in page.workers] == [f"{live_server.url}/static/web/tile-decoder.js"]
    # the worker may load the protobuf reader from the app, and nothing else
    policy = page.request.get("/static/web/tile-decoder.js").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy, policy
    other = page.request.get("/static/web/mapcore.js").headers["content-security-policy"]
    assert "script-src" not in other, other
    # what came back is the tile's features, packed: their ids and boxes as the tile has them
    x, y = tile_of(lon, lat, 14)
    kept = page.evaluate(KEPT_TILE, ["residential", 14, x, y])
    assert kept is not None
    assert kept["kinds"] == [
        "Float32Array",
        "Uint32Array",
        "Uint32Array",
        "Float32Array",
        "Float64Array",
    ]
    url = page.evaluate("gc.mapLoaded.residential.tiles.url")
    served = page.request.get(url.format(z=14, x=x, y=y))
    layer = mapbox_vector_tile.decode(served.body(), default_options={"y_coord_down": True})
    features = layer["residential"]["features"]
    assert kept["ids"] == [f["id"] for f in features]
    scale = 512 / layer["residential"]["extent"]
    for n, feature in enumerate(features):
        bounds = shapely.geometry.shape(feature["geometry"]).bounds
        assert kept["boxes"][4 * n : 4 * n + 4] == [v * scale for v in bounds], feature["id"]
    # at zoom 14.5 a tile of zoom 15 is shown 362 pixels wide: its canvas has those pixels,
    # and once the map zooms in to 15 (the same tiles) it is drawn again at full size
    widths = page.evaluate(CANVAS_WIDTHS, "residential")
    assert widths and set(widths) == {363}, widths
    page.evaluate("(zoom) => gc.mapLoaded.residential._map.setZoom(zoom, { animate: false })", 15)
    page.wait_for_function(f"({CANVAS_WIDTHS})('residential').every((w) => w === 512)")
    painted = page.evaluate(PAINTED_AT_CENTRE, "residential")
    assert all(abs(a - b) <= 2 for a, b in zip(painted, [246, 231, 168, 204], strict=True))
    assert page.errors == []
    page.context.close()
