"""One JSON error shape for every error the API returns::

    {"error": {"code": "forbidden", "message": "…", "details": [...]}}

``code`` is stable for clients; ``message`` is bilingual and says how to fix the problem.
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

from gardencity.errors import CampaignError, GardenCityError, RateLimitedError

__all__ = [
    "ERROR_RESPONSES",
    "OPEN311_ERROR_RESPONSES",
    "ErrorBody",
    "error_response",
    "install_error_handlers",
]

log = logging.getLogger("gardencity.api")


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
        503: "Database connection lost; retry",
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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CampaignError)
    async def _campaign(_: Request, exc: CampaignError) -> JSONResponse:
        headers = None
        if isinstance(exc, RateLimitedError):
            headers = {"Retry-After": str(exc.retry_after_s)}
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return error_response(exc.status, exc.code, str(exc), headers=headers)

    @app.exception_handler(GardenCityError)
    async def _domain(_: Request, exc: GardenCityError) -> JSONResponse:
        return error_response(422, "invalid_request", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": list(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type")}
            for e in exc.errors()
        ]
        return error_response(
            422, "invalid_request", "请求内容有误 / the request is invalid; see details", details
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "error")
        return error_response(
            exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(DBAPIDataError)
    async def _bad_value(_: Request, exc: DBAPIDataError) -> JSONResponse:
        # values the database cannot store (NUL characters, out-of-range numbers)
        log.info("value refused by the database: %s", exc.orig)
        return error_response(
            422,
            "invalid_request",
            "请求中有数据库无法保存的值 / a value cannot be stored "
            "(control characters or a number out of range)",
        )

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if not exc.connection_invalidated:
            return await _unexpected(request, exc)
        # the database server closed the connection (restart, failover, idle timeout): the
        # pool has been discarded, and the next request opens a fresh connection
        log.warning("database connection lost: %s", exc.orig)
        return error_response(
            503,
            "database_unavailable",
            "数据库连接已断开，请重试 / the database connection was lost (server restarted?); "
            "retry the request",
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", "服务器内部错误 / internal error (logged)")
