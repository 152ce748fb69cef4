"""Photos without their metadata: what a phone writes into a photo never reaches the store.

A phone photo carries the place it was taken (EXIF GPS), the phone's make and model, the
owner's name, XMP and IPTC blocks, comments and thumbnails. :func:`strip_metadata` decodes
the picture with Pillow, turns it upright by its EXIF orientation (so nothing is lost when
the orientation tag goes), converts it to sRGB when it carries a colour profile (so colours
stay right without the profile), and encodes the pixels again with nothing else: no EXIF, no
XMP, no IPTC, no ICC profile, no comments, no PNG text chunks, no trailing bytes. JPEG, PNG
and WebP keep their format; HEIC/HEIF (iPhones), which browsers cannot show, becomes JPEG.

A JPEG in sRGB (no colour profile, or an sRGB one) needs no new pixels: its segments are
copied without the metadata segments (APP0–APP15 but Adobe's colour-transform marker,
comments, and whatever follows the end of the picture, such as a second picture), so the
picture stays the phone's, at a fraction of the time. One taken sideways (EXIF orientation
2–8) is first turned upright losslessly by libjpeg-turbo's ``jpegtran`` (``-perfect``: whole
blocks only; where that is impossible, or ``jpegtran`` is missing, the decoder turns it).
The copy is decoded (at one eighth of its size) before it is accepted, so a damaged file is
still refused.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from typing import Any

from gardencity.errors import InvalidRequestError
from gardencity.messages import Catalogue

__all__ = ["IMAGE_TYPES", "MAX_PIXELS", "CleanImage", "clean_photo", "strip_metadata"]
MESSAGES = Catalogue(__package__)

#: media type → (Pillow format to write, media type written)
IMAGE_TYPES: dict[str, tuple[str, str]] = {
    "image/jpeg": ("JPEG", "image/jpeg"),
    "image/png": ("PNG", "image/png"),
    "image/webp": ("WEBP", "image/webp"),
    "image/heic": ("JPEG", "image/jpeg"),
}
#: photos above this many pixels are refused (decoding one takes ~3 bytes per pixel)
MAX_PIXELS = 100_000_000
_JPEG_QUALITY = 90
_WEBP_QUALITY = 90
_HEIF_READY = False


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    media_type: str


def _register_heif() -> None:
    global _HEIF_READY
    if not _HEIF_READY:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _HEIF_READY = True


def _open(content: bytes, *, draft: bool = False) -> Any:
    """The decoded photo (with ``draft``, a JPEG at one eighth of its size: every block is
    still read, so damage shows)."""
    from PIL import Image, ImageFile

    # WeasyPrint, once imported (the office's PDF documents), lets Pillow load damaged images
    # for the whole process: a photo's damage must still be seen
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(content))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InvalidRequestError(
                    MESSAGES.message(
                        "photo_too_many_pixels",
                        width=width,
                        height=height,
                        limit=f"{MAX_PIXELS / 1e6:.0f}",
                    )
                )
            if draft:
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            image.load()
        except InvalidRequestError:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise InvalidRequestError(MESSAGES.message("photo_bomb", detail=exc)) from exc
        except Exception as exc:  # truncated or corrupt files: Pillow raises many kinds
            raise InvalidRequestError(MESSAGES.message("photo_unreadable", detail=exc)) from exc
    return image


def _to_srgb(image: Any) -> Any:
    """``image`` in sRGB if it carries an ICC profile (the profile itself is dropped)."""
    from PIL import ImageCms

    profile = image.info.get("icc_profile")
    if not profile:
        return image
    target_mode = "RGBA" if image.mode in {"RGBA", "LA", "PA"} else "RGB"
    if image.mode not in {"RGB", "RGBA", "CMYK", "L"}:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        srgb = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(image, source, srgb, outputMode=target_mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # an unusable profile: keep the pixels as they are


def strip_metadata(content: bytes, media_type: str) -> CleanImage:
    """The photo ``content`` (of ``media_type``) upright, in sRGB, without any metadata.

    Raises
    ------
    InvalidRequestError
        The type is not a supported photo type, or the file cannot be decoded, or it is too
        large to decode safely.
    """
    from PIL import ImageOps

    if media_type not in IMAGE_TYPES:
        raise InvalidRequestError(
            MESSAGES.message("not_a_photo_type", media_type=media_type, known=sorted(IMAGE_TYPES))
        )
    if media_type == "image/jpeg":
        copied = _upright_jpeg_without_metadata(content)
        if copied is not None:
            return CleanImage(copied, "image/jpeg")
    if media_type == "image/heic":
        _register_heif()
    fmt, out_type = IMAGE_TYPES[media_type]
    image = _open(content)
    image.seek(0)  # animations and multi-picture files: the first picture
    upright = ImageOps.exif_transpose(image) or image
    pixels = _to_srgb(upright)
    if fmt == "JPEG" and pixels.mode not in {"RGB", "L"}:
        pixels = pixels.convert("RGB")
    keep = {"transparency": pixels.info["transparency"]} if "transparency" in pixels.info else {}
    pixels.info = keep  # nothing of the original's info reaches the encoder
    buffer = io.BytesIO()
    options: dict[str, Any] = {}
    if fmt == "JPEG":
        options = {"quality": _JPEG_QUALITY}  # no optimize pass: 40 % faster, 2 % larger
    elif fmt == "WEBP":
        options = {"quality": _WEBP_QUALITY}
    pixels.save(buffer, fmt, **options)
    return CleanImage(buffer.getvalue(), out_type)


def clean_photo(content: bytes, media_type: str) -> tuple[bytes, str, str]:
    """:func:`strip_metadata` and the SHA-256 of its result: (content, media type, hash),
    what the file store keeps."""
    cleaned = strip_metadata(content, media_type)
    return cleaned.content, cleaned.media_type, hashlib.sha256(cleaned.content).hexdigest()


# a marker inside entropy-coded data: 0xFF followed by neither a stuffed 0x00 nor a restart
_NEXT_MARKER = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")
_SOS, _EOI, _COM, _APP14 = 0xDA, 0xD9, 0xFE, 0xEE


def _upright_jpeg_without_metadata(content: bytes) -> bytes | None:
    """``content`` without its metadata segments if it is an upright sRGB JPEG whose
    segments are all understood and whose copy decodes; None sends it to the decoder."""
    from PIL import Image, ImageCms

    try:
        image = Image.open(io.BytesIO(content))
        if image.format != "JPEG" or image.mode not in {"RGB", "L"}:
            return None
        orientation = image.getexif().get(0x0112, 1)
        profile = image.info.get("icc_profile")
        if profile:
            description = ImageCms.getProfileDescription(
                ImageCms.ImageCmsProfile(io.BytesIO(profile))
            )
            if "srgb" not in description.lower():
                return None
    except Exception:  # anything unusual: the decoding path says what is wrong
        return None
    if orientation != 1:
        turned = _turned_losslessly(content, orientation)
        if turned is None:
            return None
        content = turned
    copied = _jpeg_segments_without_metadata(content)
    if copied is None:
        return None
    _open(copied, draft=True)  # refuses a damaged picture, as decoding it whole would
    return copied


# EXIF orientation -> the jpegtran transform that makes the picture upright
_UPRIGHT = {
    2: ["-flip", "horizontal"],
    3: ["-rotate", "180"],
    4: ["-flip", "vertical"],
    5: ["-transpose"],
    6: ["-rotate", "90"],
    7: ["-transverse"],
    8: ["-rotate", "270"],
}
_JPEGTRAN_TIMEOUT_S = 30


def _turned_losslessly(content: bytes, orientation: object) -> bytes | None:
    """The JPEG turned upright without decoding its pixels (jpegtran, whole blocks only,
    no metadata copied); None if that is not possible here."""
    jpegtran = shutil.which("jpegtran")
    transform = _UPRIGHT.get(orientation) if isinstance(orientation, int) else None
    if jpegtran is None or transform is None:
        return None
    try:
        done = subprocess.run(
            [jpegtran, "-copy", "none", "-perfect", *transform],
            input=content,
            capture_output=True,
            timeout=_JPEGTRAN_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 and done.stdout else None


def _jpeg_segments_without_metadata(content: bytes) -> bytes | None:
    """The JPEG's segments up to its end-of-image marker, without APPn (but Adobe's APP14)
    and comment segments; None if the structure is broken or incomplete."""
    if not content.startswith(b"\xff\xd8"):
        return None
    out = [b"\xff\xd8"]
    pos, size = 2, len(content)
    while pos < size:
        while pos < size and content[pos] == 0xFF and pos + 1 < size and content[pos + 1] == 0xFF:
            pos += 1  # fill bytes
        if pos + 1 >= size or content[pos] != 0xFF:
            return None
        marker = content[pos + 1]
        if marker == _EOI:
            out.append(b"\xff\xd9")
            return b"".join(out)
        if pos + 4 > size:
            return None
        end = pos + 2 + int.from_bytes(content[pos + 2 : pos + 4], "big")
        if end > size:
            return None
        segment = content[pos:end]
        if marker == _APP14 and segment[4:9] == b"Adobe" and len(segment) >= 16:
            out.append(segment[:2] + b"\x00\x0e" + segment[4:16])  # its 12 bytes, no more
        elif not (0xE0 <= marker <= 0xEF or marker == _COM):
            out.append(segment)
        pos = end
        if marker == _SOS:  # the entropy-coded data runs to the next marker
            found = _NEXT_MARKER.search(content, pos)
            if found is None:
                return None
            out.append(content[pos : found.start()])
            pos = found.start()
    return None
