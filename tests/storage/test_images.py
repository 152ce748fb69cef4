"""Photos lose every piece of metadata on the way into the store, in every accepted format,
and stay upright; what cannot be decoded safely is refused with a clear message."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from gardencity.errors import InvalidRequestError
from gardencity.storage.files import FileStore
from tests._images import MARKERS, phone_photo, plain_jpeg

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


def test_an_upright_jpeg_keeps_its_pixels_bit_for_bit_and_loses_its_metadata() -> None:
    """The common case (an upright sRGB phone JPEG) is copied without its metadata segments,
    not decoded and encoded again: the same picture, nothing else, also no second picture."""
    import numpy as np

    from gardencity.storage.images import strip_metadata

    raw = phone_photo("JPEG", orientation=1)
    second_picture = plain_jpeg() + MARKERS[0]  # e.g. a depth map after the end of the first
    clean = strip_metadata(raw + second_picture, "image/jpeg").content
    assert not [m for m in MARKERS if m in clean]
    assert b"Exif" not in clean and b"ICC_PROFILE" not in clean and b"http://ns.adobe" not in clean
    assert clean.count(b"\xff\xd8") == 1 and clean.endswith(b"\xff\xd9")
    image = Image.open(io.BytesIO(clean))
    assert dict(image.getexif()) == {} and image.size == (64, 32)
    original = np.asarray(Image.open(io.BytesIO(raw)))
    assert np.array_equal(np.asarray(image), original)  # the phone's pixels, unchanged
    assert strip_metadata(clean, "image/jpeg").content == clean


@pytest.mark.parametrize("orientation", range(2, 9))
@pytest.mark.parametrize("size", [(64, 32), (70, 30)])  # whole blocks: jpegtran; else Pillow
def test_a_sideways_jpeg_is_turned_upright_whatever_its_orientation(
    orientation: int, size: tuple[int, int]
) -> None:
    import numpy as np

    from gardencity.storage.images import strip_metadata

    raw = phone_photo("JPEG", orientation=orientation, size=size)
    clean = strip_metadata(raw, "image/jpeg").content
    assert not [m for m in MARKERS if m in clean] and b"Exif" not in clean
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(raw))).convert("RGB"))
    got = np.asarray(Image.open(io.BytesIO(clean)).convert("RGB"))
    assert got.shape == expected.shape
    assert np.abs(got.astype(int) - expected.astype(int)).mean() < 4  # the same picture


def test_a_jpeg_damaged_inside_its_picture_data_is_refused() -> None:
    from gardencity.storage.images import strip_metadata

    raw = bytearray(phone_photo("JPEG", orientation=1, size=(640, 480)))
    start = raw.index(b"\xff\xda")
    raw[start + 40 : start + 400] = b"\xff\xc0" * 180  # markers where picture data belongs
    with pytest.raises(InvalidRequestError, match="照片无法读取") as refused:
        strip_metadata(bytes(raw), "image/jpeg")
    assert "cannot be read" in refused.value.text("en")


def test_damage_is_seen_after_the_pdf_library_let_pillow_load_damaged_images(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import weasyprint  # noqa: F401  (sets PIL.ImageFile.LOAD_TRUNCATED_IMAGES when first imported)
    from PIL import ImageFile

    from gardencity.storage.images import strip_metadata

    # The import sets the flag only the first time; a photo read since may have set it back.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    raw = bytearray(phone_photo("JPEG", orientation=1, size=(640, 480)))
    start = raw.index(b"\xff\xda")
    raw[start + 40 : start + 400] = b"\xff\xc0" * 180
    with pytest.raises(InvalidRequestError, match="照片无法读取"):
        strip_metadata(bytes(raw), "image/jpeg")


def test_cleaning_is_stable() -> None:
    from gardencity.storage.images import strip_metadata

    once = strip_metadata(phone_photo("PNG"), "image/png").content
    assert strip_metadata(once, "image/png").content == once


def test_damaged_and_oversized_photos_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileStore(tmp_path)
    with pytest.raises(InvalidRequestError, match="照片无法读取"):
        store.put(phone_photo("JPEG")[:200])
    with pytest.raises(InvalidRequestError, match="照片无法读取"):
        store.put(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"x" * 200)
    monkeypatch.setattr("gardencity.storage.images.MAX_PIXELS", 1000)
    with pytest.raises(InvalidRequestError, match="百万像素") as oversized:
        store.put(phone_photo("PNG"))
    assert "million" in oversized.value.text("en")
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_restore_keeps_the_bytes_it_is_given(tmp_path: Path) -> None:
    raw = phone_photo("JPEG")
    stored = FileStore(tmp_path).put(raw, clean_photos=False)
    assert FileStore(tmp_path).read(stored.sha256) == raw
