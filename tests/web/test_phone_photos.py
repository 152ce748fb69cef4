"""What a phone page sends of a camera photo: at most 2048 px, upright, and without the
camera's metadata, so the place it was taken never leaves the phone (real Chromium, with
the phone's position from its geolocation and an 8-megapixel photo taken sideways)."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
import pytest
from PIL import Image

from tests._images import MARKERS, phone_photo
from tests.web.conftest import LiveServer, patrol_on_phone

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
