"""What a phone page sends of a camera photo: at most 2048 px, upright, and without the
camera's metadata, so the place it was taken never leaves the phone (real Chromium, with
the phone's position from its geolocation and an 8-megapixel photo taken sideways)."""

from __future__ import annotations

import base64
import functools
import io
from typing import Any

import httpx
import pytest
from PIL import Image

from gardencity.settings import Settings
from gardencity.storage.files import FileStore
from tests._images import MARKERS, phone_photo
from tests.web.conftest import PHONE, LiveServer, login, patrol_on_phone, watch_errors

pytestmark = pytest.mark.slow

# the bytes of every file the page hands to fetch(): what leaves the phone
RECORD_UPLOADED_FILES = """
window.uploadedFiles = [];
const send = window.fetch;
window.fetch = async (url, options = {}) => {
  if (options.body instanceof FormData) {
    for (const [, value] of options.body) {
      if (!(value instanceof Blob)) continue;
      const bytes = new Uint8Array(await value.arrayBuffer());
      let binary = "";
      for (let i = 0; i < bytes.length; i += 0x8000) {
        binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      }
      window.uploadedFiles.push(btoa(binary));
    }
  }
  return send(url, options);
};
"""


def test_the_patrol_page_sends_a_small_upright_photo_without_its_metadata(
    browser: Any, live_server: LiveServer
) -> None:
    lon, lat = live_server.district_points[0]
    camera = phone_photo("JPEG", orientation=6, size=(3264, 2448))  # stored sideways
    page = patrol_on_phone(browser, live_server, lon, lat)
    page.add_init_script(RECORD_UPLOADED_FILES)
    page.goto("/patrol")
    page.wait_for_function("() => document.querySelector('#p-lon').value !== ''")
    page.set_input_files(
        "#p-photo", {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": camera}
    )
    page.select_option("#p-category", "dead_or_missing_tree")
    page.click("#patrol-form button[type=submit]")
    href = page.locator("#filed-reference").get_attribute("href", timeout=20_000)
    assert page.errors == []
    (sent,) = [base64.b64decode(sent) for sent in page.evaluate("window.uploadedFiles")]
    page.context.close()

    assert len(sent) < len(camera) and not any(marker in sent for marker in MARKERS)
    assert b"Exif" not in sent and b"GPS" not in sent

    case = live_server.api("GET", f"/api/v1/cases/{href.rsplit('/', 1)[1]}", "admin")
    (attachment,) = case["attachments"]
    stored = httpx.get(
        f"{live_server.url}/api/v1/attachments/{attachment['id']}",
        headers=live_server.headers("admin"),
    ).content
    assert not any(marker in stored for marker in MARKERS) and b"Exif" not in stored
    picture = Image.open(io.BytesIO(stored))
    assert picture.format == "JPEG" and picture.size == (1536, 2048)  # upright, long side 2048
    rgb = picture.convert("RGB")
    top, bottom = rgb.getpixel((768, 400)), rgb.getpixel((768, 1650))
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]  # the red half is on top


@functools.cache
def camera_4000() -> dict[str, Any]:
    """A 12-megapixel phone photo taken upright, stored sideways (orientation 6)."""
    photo = phone_photo("JPEG", orientation=6, size=(4000, 3000))
    return {"name": "IMG_0002.jpg", "mimeType": "image/jpeg", "buffer": photo}


def _small_upright_and_clean(stored: bytes) -> None:
    assert not any(marker in stored for marker in MARKERS) and b"Exif" not in stored
    picture = Image.open(io.BytesIO(stored))
    assert picture.format == "JPEG" and picture.size == (1536, 2048)  # upright, long side 2048
    rgb = picture.convert("RGB")
    top, bottom = rgb.getpixel((768, 400)), rgb.getpixel((768, 1650))
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]  # the red half is on top


def test_the_resident_page_shrinks_a_photo_when_it_is_picked_and_shows_it(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    lon, lat = live_server.district_points[0]  # the place from the phone, not a map click:
    ctx = browser.new_context(  # other tests' cases sit on the public map's usual spot
        base_url=live_server.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": lon, "latitude": lat},
        permissions=["geolocation"],
    )
    page = ctx.new_page()
    watch_errors(page)
    page.goto("/public")
    page.wait_for_selector("#public-map[data-count]")
    page.select_option("#r-category", "damaged_facility")
    page.set_input_files("#r-photo", camera_4000())
    page.wait_for_function("() => document.querySelector('#r-preview').naturalWidth > 0")
    preview = page.evaluate(
        "() => { const i = document.querySelector('#r-preview'); "
        "return [i.naturalWidth, i.naturalHeight, i.getBoundingClientRect().width]; }"
    )
    assert preview[:2] == [1536, 2048] and 0 < preview[2] <= PHONE["width"]  # upright, fits
    page.locator("#r-preview").scroll_into_view_if_needed()
    shot(page, "public-photo-picked")
    page.click("#r-gps")
    page.wait_for_function("() => document.querySelector('#r-lon').value !== ''")
    page.click("#report-form button[type=submit]")
    reference = page.locator("#new-reference").inner_text(timeout=20_000)
    assert page.locator("#r-preview").is_hidden() and page.errors == []
    ctx.close()

    case = httpx.get(f"{live_server.url}/api/v1/public/cases/{reference}").json()
    (photo,) = case["photos"]
    _small_upright_and_clean(httpx.get(f"{live_server.url}{photo['url']}").content)


def test_a_photo_kept_as_ledger_evidence_is_shrunk_a_document_is_not(
    browser: Any, live_server: LiveServer
) -> None:
    page = login(browser, live_server, "admin")
    page.goto("/ledger")
    page.wait_for_function("() => document.querySelector('#l-item').options.length > 0")
    store = FileStore(Settings.for_workspace(live_server.workspace).files_dir)
    pdf = b"%PDF-1.4\n" + b"minutes " * 200
    for title, upload in [
        ("现场照片", camera_4000()),
        ("会议纪要", {"name": "纪要.pdf", "mimeType": "application/pdf", "buffer": pdf}),
    ]:
        page.fill("#l-title", title)
        page.set_input_files("#l-file", upload)
        page.click("#ledger-form button[type=submit]")
        page.wait_for_function("() => document.querySelector('#l-title').value === ''")
    assert page.errors == [] and page.locator("#ledger-error").inner_text() == ""
    page.context.close()
    documents = live_server.api("GET", "/api/v1/ledger", "admin")
    documents = documents if isinstance(documents, list) else documents["items"]
    kept = {d["title"]: d for d in documents if d["title"] in {"现场照片", "会议纪要"}}
    _small_upright_and_clean(store.read(kept["现场照片"]["file_sha256"]))
    assert kept["现场照片"]["filename"] == "IMG_0002.jpg"
    assert store.read(kept["会议纪要"]["file_sha256"]) == pdf
