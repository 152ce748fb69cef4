"""FastAPI dependencies: the database session, the current user, rate limits."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import AfterValidator, BeforeValidator
from sqlalchemy.orm import Session

from gardencity.api.lang import request_lang
from gardencity.auth.models import User
from gardencity.auth.sessions import remembered_user, user_for_token
from gardencity.auth.throttle import RateLimiter
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.schemas import MAX_ID
from gardencity.db.engine import Database, holds_write_transaction
from gardencity.errors import AuthenticationError
from gardencity.messages import Catalogue
from gardencity.settings import Settings

__all__ = [
    "SESSION_COOKIE",
    "Ctx",
    "CurrentUser",
    "DbSession",
    "Lang",
    "OptionalUser",
    "PathId",
    "QueryId",
    "QueryTime",
    "RateLimiter",
    "client_address",
    "set_session_cookie",
]
MESSAGES = Catalogue(__package__)

SESSION_COOKIE = "gc_session"
CHINA_TIME = timezone(timedelta(hours=8))
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?"
)


def _iso_datetime(value: object) -> object:
    """Only an ISO 8601 date-time (a number is not taken for a Unix time)."""
    if isinstance(value, str) and not _ISO_DATETIME.fullmatch(value.strip()):
        # one of pydantic's details (which speak English), under the translated message
        raise ValueError("expected an ISO 8601 date-time such as 2026-05-04T09:00:00+08:00")
    return value


def _aware(value: datetime | None) -> datetime | None:
    """A time without a UTC offset is China Standard Time (+08:00)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=CHINA_TIME)
    return value


QueryTime = Annotated[
    datetime | None,
    BeforeValidator(_iso_datetime),
    AfterValidator(_aware),
    Query(description="ISO 8601 date-time; without an offset, China Standard Time (+08:00)"),
]


async def _session(request: Request) -> AsyncIterator[Session]:
    # A coroutine, not a thread-pool hand-over: opening a session does no I/O, and neither
    # does closing one that holds no write transaction (it reads outside transactions and
    # its routes commit their writes: db/engine.py). Only a write left open by an error is
    # rolled back in the thread pool.
    db: Database = request.app.state.db
    session = db.sessions()
    try:
        yield session
    finally:
        if holds_write_transaction(session):
            await run_in_threadpool(session.close)
        else:
            session.close()


DbSession = Annotated[Session, Depends(_session)]


# Dependencies that do no I/O are coroutines: FastAPI runs a plain function in the thread
# pool, one hand-over per dependency per request.
async def _context(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ServiceContext, Depends(_context)]


async def _lang(
    request: Request,
    accept_language: Annotated[
        str | None,
        Header(
            description="zh (default) or en: the language of status and category labels "
            "(the pages' gc_lang cookie or ?lang= take precedence)",
        ),
    ] = None,
) -> str:
    return request_lang(request, accept_header=True)


Lang = Annotated[str, Depends(_lang)]
"""The language of the labels a response takes from the campaign configuration."""


def _secret(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


async def _optional_user(request: Request, session: DbSession, ctx: Ctx) -> User | None:
    secret = _secret(request)
    if not secret:
        return None
    settings: Settings = request.app.state.settings
    now = ctx.now()
    seconds = settings.auth_cache_seconds
    user = remembered_user(session, secret, now, cache_seconds=seconds)  # no I/O
    if user is None:  # ask the database, in the thread pool
        user = await run_in_threadpool(
            partial(user_for_token, session, secret, now, cache_seconds=seconds)
        )
    if user is None:
        raise AuthenticationError(MESSAGES.message("session_expired"))
    return user


async def _current_user(user: Annotated[User | None, Depends(_optional_user)]) -> User:
    if user is None:
        raise AuthenticationError(MESSAGES.message("log_in_first"))
    return user


OptionalUser = Annotated[User | None, Depends(_optional_user)]
CurrentUser = Annotated[User, Depends(_current_user)]


def set_session_cookie(response: Response, secret: str, settings: Settings) -> None:
    """The log-in session cookie (HTTP-only, SameSite=Lax, Secure behind TLS)."""
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def client_address(request: Request) -> str:
    """The client's address: the connection's peer, or with ``behind_proxy`` what a trusted
    proxy says in X-Forwarded-For (resolved by the proxy middleware, api/security.py)."""
    return request.client.host if request.client else "unknown"
