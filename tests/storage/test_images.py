"""Photos lose every piece of metadata on the way into the store, in every accepted format,
and stay upright; what cannot be decoded safely is refused with a clear message."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from gardencity.errors import InvalidRequestError
from gardencity.storage.files import FileStore
from tests._images import MARKERS, phone_photo

FORMATS = [
    ("JPEG", "image/jpeg"),
    ("PNG", "image/png"),
    ("WEBP", "image/webp"),
    ("HEIF", "image/heic"),
]


def _assert_clean_and_upright(content: bytes) -> Image.Image:
    assert not [m for m in MARKERS if m in content]
    assert b"Exif" not in content and b"ICC_PROFILE" not in content and b"iCCP" not in content
    image = Image.open(io.BytesIO(content))
    assert dict(image.getexif()) == {}
    assert not {"exif", "xmp", "icc_profile", "comment", "photoshop"} & set(image.info)
    assert image.size == (32, 64)  # EXIF orientation 6 applied: the 64×32 picture stood up
    red, blue = image.convert("RGB").getpixel((16, 5)), image.convert("RGB").getpixel((16, 58))
    assert red[0] > 150 > red[2] and blue[2] > 150 > blue[0]  # red on top after the turn
    return image


@pytest.mark.parametrize(("fmt", "media_type"), FORMATS)
def test_every_format_is_stored_without_metadata(tmp_path: Path, fmt: str, media_type: str) -> None:
    raw = phone_photo(fmt)
    assert [m for m in MARKERS if m in raw]  # the phone's metadata is there to begin with
    assert Image.open(io.BytesIO(raw)).getexif().get(0x8825)  # GPS
    stored = FileStore(tmp_path).put(raw, filename="IMG_0001.jpg", declared_type=media_type)
    content = FileStore(tmp_path).read(stored.sha256)
    assert stored.size == len(content)
    image = _assert_clean_and_upright(content)
    # HEIC, which browsers cannot show, is kept as JPEG
    assert stored.media_type == ("image/jpeg" if fmt == "HEIF" else media_type)
    assert image.format == {"HEIF": "JPEG"}.get(fmt, fmt)


def test_cleaning_is_stable() -> None:
    from gardencity.storage.images import strip_metadata

    once = strip_metadata(phone_photo("PNG"), "image/png").content
    assert strip_metadata(once, "image/png").content == once


def test_damaged_and_oversized_photos_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileStore(tmp_path)
    with pytest.raises(InvalidRequestError, match="cannot be read"):
        store.put(phone_photo("JPEG")[:200])
    with pytest.raises(InvalidRequestError, match="cannot be read"):
        store.put(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"x" * 200)
    monkeypatch.setattr("gardencity.storage.images.MAX_PIXELS", 1000)
    with pytest.raises(InvalidRequestError, match="million"):
        store.put(phone_photo("PNG"))
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_restore_keeps_the_bytes_it_is_given(tmp_path: Path) -> None:
    raw = phone_photo("JPEG")
    stored = FileStore(tmp_path).put(raw, clean_photos=False)
    assert FileStore(tmp_path).read(stored.sha256) == raw
