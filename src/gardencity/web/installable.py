"""The installable web app: its manifest and its service worker, served at the site's root
so that the worker's scope covers every page (``static/sw.js``: the pages open offline)."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from gardencity.api.lang import request_lang
from gardencity.api.security import WORKER_POLICY
from gardencity.vocabulary import vocabulary
from gardencity.web.i18n import messages

__all__ = ["THEME_COLOUR", "manifest", "router", "service_worker"]

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"
THEME_COLOUR = vocabulary().style("theme", "brand").fill  # the pages' brand green


def manifest(lang: str) -> dict[str, Any]:
    """The web app manifest in ``lang``: names, icons, colours; opens on the start page."""
    t = messages(lang)
    return {
        "name": t["app_full_name"],
        "short_name": t["app_short_name"],
        "description": t["app_description"],
        "lang": "zh-CN" if lang == "zh" else "en",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": "white",
        "theme_color": THEME_COLOUR,
        "icons": [
            {
                "src": f"/static/web/icons/icon-{size}.png",
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in (192, 512)
        ],
    }


@cache
def service_worker() -> str:
    """``static/sw.js`` with the digest of the static files as its version: a release that
    changes any of them changes the worker, so phones fetch the new files."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC).as_posix().encode())
            digest.update(path.read_bytes())
    return (STATIC / "sw.js").read_text("utf-8").replace("__VERSION__", digest.hexdigest()[:16])


@router.get("/manifest.webmanifest")
def manifest_file(request: Request) -> Response:
    return JSONResponse(
        manifest(request_lang(request)),
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache", "Vary": "Cookie"},
    )


@router.get("/sw.js")
def service_worker_file() -> Response:
    return Response(
        service_worker(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Content-Security-Policy": WORKER_POLICY},
    )
