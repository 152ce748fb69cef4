"""Real photos for the tests, with the metadata a phone writes (GPS, make and model, XMP …).

Every piece of metadata carries a marker string, so a test can look for it in the stored
bytes without trusting the decoder that removed it.
"""

from __future__ import annotations

import io

from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

MARKERS = (b"LeakyPhoneMaker", b"LeakyModel-X9", b"SecretXmpPerson", b"SecretComment")
GPS = {1: "N", 2: (34.0, 15.0, 30.5), 3: "E", 4: (117.0, 11.0, 2.25)}

__all__ = ["GPS", "MARKERS", "exif_bytes", "phone_photo", "plain_jpeg"]


def exif_bytes(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = MARKERS[0].decode()  # Make
    exif[0x0110] = MARKERS[1].decode()  # Model
    exif[0x0112] = orientation
    exif[0x8825] = GPS  # GPSInfo IFD
    return exif.tobytes()


def _xmp() -> bytes:
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        b'22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
        b'dc:creator="' + MARKERS[2] + b'"/></rdf:RDF></x:xmpmeta>'
    )


def _picture(size: tuple[int, int]) -> Image.Image:
    """Left half red, right half blue: the orientation shows in the pixels."""
    width, height = size
    image = Image.new("RGB", size, (220, 30, 30))
    image.paste((30, 30, 220), (width // 2, 0, width, height))
    return image


def phone_photo(
    fmt: str = "JPEG", *, orientation: int = 6, size: tuple[int, int] = (64, 32)
) -> bytes:
    """A photo as a phone writes it: EXIF (GPS, make, model, orientation), XMP, an ICC
    profile, and a comment or text chunk, in ``fmt`` (JPEG, PNG, WEBP or HEIF)."""
    image = _picture(size)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(
            buffer,
            "JPEG",
            exif=exif_bytes(orientation),
            xmp=_xmp(),
            icc_profile=icc,
            comment=MARKERS[3],
        )
    elif fmt == "PNG":
        info = PngInfo()
        info.add_text("Comment", MARKERS[3].decode())
        info.add_itxt("XML:com.adobe.xmp", _xmp().decode())
        image.save(buffer, "PNG", exif=exif_bytes(orientation), icc_profile=icc, pnginfo=info)
    elif fmt == "WEBP":
        image.save(buffer, "WEBP", exif=exif_bytes(orientation), xmp=_xmp(), icc_profile=icc)
    elif fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
        image.save(buffer, "HEIF", exif=exif_bytes(orientation), xmp=_xmp(), quality=90)
    else:
        raise ValueError(fmt)
    return buffer.getvalue()


def plain_jpeg(
    colour: tuple[int, int, int] = (0, 128, 0), size: tuple[int, int] = (32, 24)
) -> bytes:
    """A small JPEG without metadata."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()
