"""Field work without signal, in real Chromium on a phone: the installable app's service worker
opens the patrol page offline, cases filed offline wait with their photos in the page's outbox
and are sent exactly once when the network returns; the small map sets the place."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.web.conftest import PHONE, LiveServer, jpeg, login, patrol_on_phone

pytestmark = pytest.mark.slow

CONTROLLED = "() => navigator.serviceWorker.controller !== null"
FORGOTTEN = """async () => {
  const kept = await (await caches.open('gc-data')).keys();
  return !kept.some((r) => /\\/(patrol|cases)|\\/api\\/v1\\/cases/.test(r.url));
}"""
KEPT = "async () => !!(await (await caches.open('gc-data')).match('{url}'))"


INTERRUPTED = """async ({lon, lat, text}) => {
  const { outbox, PAGE } = window.gc;
  const photo = await (await fetch('/static/web/icons/icon-192.png')).blob();
  const body = { category: 'bare_soil', description: text, source: 'grid_patrol', lon, lat };
  const item = await outbox.add(PAGE.user.id, body, photo);
  const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': item.key };
  const init = { method: 'POST', headers, body: JSON.stringify(body) };
  const sent = await fetch('/api/v1/cases', init);
  const data = new FormData();
  data.append('file', photo, 'photo.png');
  data.append('role', 'before');
  const path = `/api/v1/cases/${(await sent.json()).id}/attachments`;
  await fetch(path, { method: 'POST', headers: { 'Idempotency-Key': item.photoKey }, body: data });
  const done = await outbox.drain(PAGE.user.id);
  if (done.sent.length !== 1 || done.stopped) throw new Error('not sent: ' + JSON.stringify(done));
  if ((await outbox.list(PAGE.user.id)).length) throw new Error('still in the outbox');
}"""


def _until(page: Any, script: str, seconds: float = 30) -> None:
    """Wait until the asynchronous ``script`` answers true (wait_for_function takes the
    promise an async function returns for a true answer)."""
    for _ in range(int(seconds / 0.2)):
        if page.evaluate(script) is True:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"never true: {script}")


def _count(page: Any, n: int) -> None:
    page.wait_for_function(
        f"() => document.getElementById('outbox').dataset.count === '{n}'", timeout=30_000
    )


def _file(
    page: Any,
    category: str,
    description: str,
    colour: tuple[int, int, int],
    filled: Callable[[], None] = lambda: None,
) -> None:
    page.set_input_files(
        "#p-photo", {"name": "IMG.jpg", "mimeType": "image/jpeg", "buffer": jpeg(colour)}
    )
    page.wait_for_function("() => document.getElementById('p-preview').naturalWidth > 0")
    page.select_option("#p-category", category)
    page.fill("#p-description", description)
    filled()
    page.click("#patrol-form button[type=submit]")


def _still(locator: Any) -> dict[str, float]:
    """The bounding box of ``locator`` once it stopped moving (the map pans to a typed place)."""
    last: dict[str, float] | None = None
    for _ in range(50):
        box = locator.bounding_box()
        if box is not None and box == last:
            return box
        last = box
        locator.page.wait_for_timeout(200)
    raise AssertionError(f"{locator} keeps moving")


def _cases(server: LiveServer, token: str) -> list[dict[str, Any]]:
    found = server.api("GET", f"/api/v1/cases?q={token}&per_page=50", "admin")["items"]
    return [server.api("GET", f"/api/v1/cases/{c['id']}", "admin") for c in found]


def test_cases_filed_offline_wait_on_the_phone_and_are_sent_once(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    lon, lat = live_server.district_points[0]
    token = f"offline-{uuid.uuid4().hex[:8]}"
    page = patrol_on_phone(browser, live_server, lon, lat)
    # logged in, on the landing page: the service worker keeps the patrol page at once
    page.wait_for_function(CONTROLLED, timeout=30_000)
    _until(page, KEPT.format(url="/patrol"))
    manifest = page.evaluate(
        "async () => (await fetch(document.querySelector('link[rel=manifest]').href)).json()"
    )
    assert manifest["name"] == "园林城市创建平台" and {i["sizes"] for i in manifest["icons"]} == {
        "192x192",
        "512x512",
    }

    page.context.set_offline(True)
    # the network is off for the service worker too: what it never kept cannot be fetched
    assert page.evaluate("() => fetch('/api/v1/health').then(() => 'online', () => 'offline')") == (
        "offline"
    )
    response = page.goto("/patrol")  # never opened, yet it opens offline
    assert response is not None and response.from_service_worker
    page.wait_for_function("() => document.querySelector('#p-lon').value !== ''")
    _file(page, "dead_or_missing_tree", f"{token} 枯树", (200, 40, 40))
    _count(page, 1)
    _file(page, "bare_soil", f"{token} 裸土", (40, 40, 200))
    _count(page, 2)
    assert page.locator("#outbox-count").inner_text() == "待发送 2 件"
    items = page.locator("#outbox-list li").all_inner_texts()
    assert len(items) == 2 and "死树缺株" in items[0] and re.search(r"\d+月\d+日", items[0])
    shot(page, "patrol-offline-queue-phone-zh")

    response = page.reload()  # offline: the service worker opens the kept page
    assert response is not None and response.from_service_worker
    _count(page, 2)
    assert page.locator("#p-map .leaflet-marker-icon").count() == 1
    assert _cases(live_server, token) == []  # nothing reached the server yet

    page.context.set_offline(False)  # the online event sends the outbox
    _count(page, 0)
    cases = _cases(live_server, token)

    # a case page opened once opens again without signal, with its photo
    photo_shown = (
        "() => { const img = document.querySelector('#photos-before img');"
        " return !!img && img.complete && img.naturalWidth > 0; }"
    )
    page.goto(f"/cases/{cases[0]['id']}")
    page.wait_for_function(photo_shown)  # shown once, so kept: the worker keeps what it answers
    page.context.set_offline(True)
    page.reload()
    title = "document.getElementById('case-title').textContent"
    page.wait_for_function(f"() => {title}.includes('{cases[0]['reference']}')")
    page.wait_for_function(photo_shown, timeout=10_000)

    # log-out forgets the kept pages and cases: a phone handed on shows no one's cases offline
    page.context.set_offline(False)
    page.click("header form[action='/logout'] button")
    page.wait_for_url("**/login*")
    _until(page, FORGOTTEN)
    assert page.errors == []
    page.context.close()

    assert sorted(c["category"] for c in cases) == ["bare_soil", "dead_or_missing_tree"]
    for case in cases:
        (photo,) = case["attachments"]
        stored = httpx.get(
            f"{live_server.url}/api/v1/attachments/{photo['id']}",
            headers=live_server.headers("admin"),
        )
        assert stored.status_code == 200 and stored.content.startswith(b"\xff\xd8")


def test_the_map_sets_the_place_where_gps_fails_in_english(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    token = f"mapdrag-{uuid.uuid4().hex[:8]}"
    page = login(browser, live_server, "patrol1", viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/patrol?lang=en")  # no geolocation permission: GPS fails
    page.wait_for_function(
        "() => document.getElementById('p-gps-status').textContent.includes('pick it on the map')"
    )
    page.locator("#p-map").scroll_into_view_if_needed()  # below the patrol panel on a phone
    box = page.locator("#p-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 3, box["y"] + box["height"] / 3)  # a click sets it
    assert page.input_value("#p-lon") != "" and page.input_value("#p-lat") != ""
    assert page.locator("#p-gps-status").inner_text() == "Place set on the map"
    lon, lat = live_server.district_points[0]  # typed: the marker moves there
    page.fill("#p-lon", f"{lon:.6f}")
    page.fill("#p-lat", f"{lat:.6f}")
    page.locator("#p-lat").dispatch_event("change")
    first = (float(page.input_value("#p-lon")), float(page.input_value("#p-lat")))
    marker = _still(page.locator("#p-map .leaflet-marker-icon"))
    x, y = marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 20, y + 15, steps=5)
    page.mouse.move(x + 40, y + 30, steps=5)
    page.mouse.up()
    page.wait_for_function(f"() => Number(document.querySelector('#p-lon').value) > {first[0]}")
    dragged = (float(page.input_value("#p-lon")), float(page.input_value("#p-lat")))
    assert dragged[0] > first[0] and dragged[1] < first[1]  # east and south, as dragged

    page.context.set_offline(True)
    _file(page, "bare_soil", token, (30, 160, 30), lambda: shot(page, "patrol-preview-phone-en"))
    _count(page, 1)
    assert page.locator("#outbox-count").inner_text() == "1 waiting to be sent"
    outbox_text = page.locator("#outbox").inner_text()
    assert not re.search(r"[\u4e00-\u9fff]", outbox_text), outbox_text
    shot(page, "patrol-offline-queue-phone-en")
    page.context.set_offline(False)
    _count(page, 0)

    # a report the server refuses as it is (a place outside the city) stays in the form
    page.fill("#p-lon", "100.000000")
    page.fill("#p-lat", "20.000000")
    page.locator("#p-lat").dispatch_event("change")
    _file(page, "bare_soil", f"{token}-outside", (90, 90, 90))
    page.wait_for_function("() => document.getElementById('patrol-result').textContent !== ''")
    assert page.input_value("#p-description") == f"{token}-outside"
    assert page.input_value("#p-lon") == "100.000000"
    assert "kept on this phone" not in page.locator("#patrol-result").inner_text()
    _count(page, 0)

    # a send cut off after the server filed the case and its photo, before the phone heard:
    # the outbox sends both again with their keys, and the server files neither twice
    again = f"repeated-{uuid.uuid4().hex[:8]}"
    page.evaluate(INTERRUPTED, {"lon": dragged[0], "lat": dragged[1], "text": again})
    assert page.errors == []
    page.context.close()

    (case,) = _cases(live_server, token)
    assert case["lon"] == pytest.approx(dragged[0], abs=1e-6)
    assert case["lat"] == pytest.approx(dragged[1], abs=1e-6)
    assert case["description"] == token and len(case["attachments"]) == 1
    (repeated,) = _cases(live_server, again)
    assert len(repeated["attachments"]) == 1


def test_the_service_worker_and_manifest_are_served_at_the_root(live_server: LiveServer) -> None:
    worker = httpx.get(f"{live_server.url}/sw.js")
    assert worker.status_code == 200 and worker.headers["content-type"].startswith(
        "text/javascript"
    )
    # the worker fetches from the app and runs nothing else; browsers check it for updates
    assert worker.headers["content-security-policy"].startswith(
        "default-src 'none'; connect-src 'self';"
    )
    assert worker.headers["cache-control"] == "no-cache"
    assert "__VERSION__" not in worker.text and re.search(r'VERSION = "[0-9a-f]{16}"', worker.text)
    english = httpx.get(f"{live_server.url}/manifest.webmanifest?lang=en").json()
    assert english["name"] == "Garden City Campaign Platform" and english["lang"] == "en"
    for icon in english["icons"]:
        png = httpx.get(f"{live_server.url}{icon['src']}")
        width, height = Image.open(io.BytesIO(png.content)).size
        assert icon["sizes"] == f"{width}x{height}" and icon["type"] == "image/png"
