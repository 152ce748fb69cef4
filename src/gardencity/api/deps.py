"""FastAPI dependencies: the database session, the current user, rate limits."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from gardencity.api.lang import request_lang
from gardencity.auth.models import User
from gardencity.auth.sessions import remembered_user, user_for_token
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.schemas import MAX_ID
from gardencity.db.engine import Database
from gardencity.errors import AuthenticationError, RateLimitedError
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
    "RateLimiter",
    "client_address",
    "set_session_cookie",
]

SESSION_COOKIE = "gc_session"
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


async def _session(request: Request) -> AsyncIterator[Session]:
    # A coroutine, not a thread-pool hand-over: opening a session does no I/O, and closing
    # it (a rollback on a pooled connection, if it ever took one) is one short round trip.
    db: Database = request.app.state.db
    session = db.sessions()
    try:
        yield session
    finally:
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
    user = remembered_user(session, secret, now, cache_seconds=seconds)
    if user is None:  # ask the database, in the thread pool
        user = await run_in_threadpool(
            partial(user_for_token, session, secret, now, cache_seconds=seconds)
        )
    if user is None:
        raise AuthenticationError("登录已失效 / session or token expired or revoked; log in again")
    return user


async def _current_user(user: Annotated[User | None, Depends(_optional_user)]) -> User:
    if user is None:
        raise AuthenticationError("请先登录 / please log in (session cookie or Bearer token)")
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
    settings: Settings = request.app.state.settings
    if settings.behind_proxy:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


class RateLimiter:
    """Sliding one-minute window per (bucket, client); raises RateLimitedError when full."""

    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, bucket: str, client: str, per_minute: int) -> None:
        now = time.monotonic()
        with self._lock:
            hits = self._hits[(bucket, client)]
            while hits and now - hits[0] >= 60:
                hits.popleft()
            if len(hits) >= per_minute:
                retry = int(60 - (now - hits[0])) + 1
                raise RateLimitedError(
                    f"请求过于频繁 / too many requests ({per_minute} per minute); retry in "
                    f"{retry} s",
                    retry_after_s=retry,
                )
            hits.append(now)
