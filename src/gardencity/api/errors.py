"""One JSON error shape for every error the API returns::

    {"error": {"code": "forbidden", "message": "…", "details": [...]}}

``code`` is stable for clients; ``message`` says how to fix the problem, in the request's
language (:func:`gardencity.api.lang.request_lang`: ``?lang=``, the pages' cookie, then
``Accept-Language``; Chinese by default). Errors raised with a catalogue message
(:class:`gardencity.messages.Message`) are rendered here; the API's own words are in
``messages.yaml``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError as DBAPIDataError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gardencity.api.lang import request_lang
from gardencity.errors import (
    CampaignError,
    DatabaseBusyError,
    GardenCityError,
    RateLimitedError,
)
from gardencity.messages import Catalogue, pick
from gardencity.vocabulary import vocabulary

__all__ = [
    "ERROR_RESPONSES",
    "OPEN311_ERROR_RESPONSES",
    "ErrorBody",
    "error_response",
    "install_error_handlers",
]

log = logging.getLogger("gardencity.api")
MESSAGES = Catalogue(__package__)


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: list[Any] = []


class ErrorBody(BaseModel):
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in {
        400: "Malformed request (the body cannot be read)",
        401: "Not logged in",
        403: "Not allowed for this role or scope",
        404: "Not found",
        409: "Workflow conflict or stale version",
        422: "Invalid request",
        429: "Rate limited",
        503: "Database connection lost or busy; retry",
    }.items()
}

# Open311 GeoReport v2 errors: [{"code": 404, "description": "…"}] in JSON, or the XML form
_OPEN311_ERROR = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
        "required": ["code", "description"],
    },
}
OPEN311_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": text,
        "content": {"application/json": {"schema": _OPEN311_ERROR}, "text/xml": {}},
    }
    for status, text in {
        400: "Invalid request",
        403: "api_key missing or invalid",
        404: "Not found (or a format other than .json / .xml)",
        429: "Rate limited",
    }.items()
}

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
}


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return JSONResponse(body, status_code=status, headers=headers)


# Starlette's own errors (unknown address, wrong method) by their default detail
_STARLETTE_DETAILS = {
    "Not Found": "http_not_found",
    "Method Not Allowed": "http_method_not_allowed",
}


def _lock_timed_out(exc: DBAPIError) -> bool:
    return type(exc.orig).__name__ == "OperationalError" and "database is locked" in str(exc.orig)


def _lang(request: Request) -> str:
    return request_lang(request, accept_header=True)


def _problem(error: Any, lang: str) -> str:
    """One field's problem in ``lang``: the common kinds from the catalogue (``validation``),
    named by the field; the validator's own words for the rare others."""
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    # a field the vocabulary names (a map feature's fields) by its label, else by its name
    named = vocabulary().labels("fields", lang).get(loc[-1]) if loc else None
    field = named or ".".join(loc) or MESSAGES.text("the_request", lang)
    kind = str(error.get("type", ""))
    if kind == "value_error":  # the project's own validators say what is wrong themselves
        said = str(error.get("msg", "")).removeprefix("Value error, ")
        return f"{field}: {said}" if lang == "en" else f"{field}：{said}"
    if f"validation.{kind}" not in _VALIDATION:
        return f"{field}: {error.get('msg', '')}" if lang == "en" else f"{field}：格式不正确"
    context = {
        k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, int | float | str)
    }
    try:
        return MESSAGES.text(f"validation.{kind}", lang, field=field, **context)
    except (KeyError, IndexError):  # a message of this kind without the expected limits
        return f"{field}: {error.get('msg', '')}" if lang == "en" else f"{field}：格式不正确"


_VALIDATION = {key for key in MESSAGES.pairs() if key.startswith("validation.")}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CampaignError)
    async def _campaign(request: Request, exc: CampaignError) -> JSONResponse:
        headers = None
        if isinstance(exc, RateLimitedError | DatabaseBusyError):
            headers = {"Retry-After": str(exc.retry_after_s)}
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return error_response(exc.status, exc.code, exc.text(_lang(request)), headers=headers)

    @app.exception_handler(GardenCityError)
    async def _domain(request: Request, exc: GardenCityError) -> JSONResponse:
        return error_response(422, "invalid_request", exc.text(_lang(request)))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = _lang(request)
        details = [
            {"loc": list(e.get("loc", ())), "message": _problem(e, lang), "type": e.get("type")}
            for e in exc.errors()
        ]
        problems = pick(("；", "; "), lang).join(dict.fromkeys(d["message"] for d in details))
        message = MESSAGES.text("invalid_request_problems", lang, problems=problems)
        return error_response(422, "invalid_request", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "error")
        key = _STARLETTE_DETAILS.get(str(exc.detail))
        message = MESSAGES.text(key, _lang(request)) if key else str(exc.detail)
        return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(DBAPIDataError)
    async def _bad_value(request: Request, exc: DBAPIDataError) -> JSONResponse:
        # values the database cannot store (NUL characters, out-of-range numbers)
        log.info("value refused by the database: %s", exc.orig)
        message = MESSAGES.text("value_not_storable", _lang(request))
        return error_response(422, "invalid_request", message)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if _lock_timed_out(exc):  # another process held SQLite's write lock all along
            log.warning("database busy: %s", exc.orig)
            busy = DatabaseBusyError(MESSAGES.message("database_busy"), retry_after_s=5)
            return await _campaign(request, busy)
        if not exc.connection_invalidated:
            return await _unexpected(request, exc)
        # the database server closed the connection (restart, failover, idle timeout): the
        # pool has been discarded, and the next request opens a fresh connection
        log.warning("database connection lost: %s", exc.orig)
        return error_response(
            503,
            "database_unavailable",
            MESSAGES.text("database_lost", _lang(request)),
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        message = MESSAGES.text("internal_error", _lang(request))
        return error_response(500, "internal_error", message)
