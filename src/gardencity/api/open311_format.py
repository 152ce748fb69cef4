"""Open311 GeoReport v2 rendering: the same payload as JSON or XML, and Open311 errors.

Datetimes are ISO 8601 with the China Standard Time offset (+08:00), what clients in China
expect; the instant is the same as the UTC value stored. Text that XML cannot hold (control
characters) is left out of the XML, so one bad record never makes the document invalid.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi.responses import Response

from gardencity.text import xml_text

__all__ = ["CST", "open311_error", "open311_response", "w3c"]

CST = timezone(timedelta(hours=8), "CST")
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"


def w3c(value: datetime | None) -> str | None:
    return value.astimezone(CST).isoformat(timespec="seconds") if value else None


def _element(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _element(child, key, item)
    elif isinstance(value, list):
        singular = {"updates": "update", "keywords": "keyword", "attributes": "attribute"}
        for item in value:
            _element(child, singular.get(name, "item"), item)
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    elif value is not None:
        child.text = xml_text(str(value))


def open311_response(
    fmt: str,
    payload: Any,
    root: str,
    item: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """``payload`` (a list of dicts, or one dict when ``item`` is empty) as JSON or XML."""
    if fmt == "xml":
        top = ET.Element(root)
        if item:
            for entry in payload:
                _element(top, item, entry)
        else:
            for key, value in payload.items():
                _element(top, key, value)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        return Response(body, status_code=status, media_type=XML_TYPE, headers=headers)
    text = json.dumps(payload, ensure_ascii=False)
    return Response(text.encode(), status_code=status, media_type=JSON_TYPE, headers=headers)


def open311_error(
    fmt: str, status: int, description: str, headers: dict[str, str] | None = None
) -> Response:
    """``[{"code": status, "description": …}]`` / ``<errors><error>…</error></errors>``."""
    return open311_response(
        fmt if fmt in {"json", "xml"} else "json",
        [{"code": status, "description": description}],
        "errors",
        "error",
        status,
        headers,
    )
