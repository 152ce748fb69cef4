"""The presentation vocabulary for the browser: labels and styles in the request's language."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from gardencity.api.errors import ERROR_RESPONSES
from gardencity.api.lang import request_lang
from gardencity.vocabulary import vocabulary

router = APIRouter(prefix="/api/v1", tags=["meta"], responses=ERROR_RESPONSES)


@router.get("/vocabulary", operation_id="vocabulary")
async def vocabulary_for_browser(request: Request, response: Response) -> dict[str, Any]:
    """Every label and style of a status, a confidence, a unit, a case state, a map layer, a
    green-space class and a canopy class: ``{group: {key: {"label": ..., "style": {...}}}}``
    in the language of ``?lang=`` (``zh`` or ``en``; then the pages' cookie, then
    ``Accept-Language``). Colours are ``#rrggbb``; ``weight`` is a line width in screen
    pixels, ``dash_array`` a dash pattern in pixels."""
    lang = request_lang(request, accept_header=True)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Vary"] = "Accept-Language, Cookie"
    return {"lang": lang, **vocabulary().for_lang(lang)}
