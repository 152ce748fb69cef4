"""Log in and out; API tokens; who am I."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel

from gardencity.api.deps import (
    SESSION_COOKIE,
    Ctx,
    CurrentUser,
    DbSession,
    client_address,
    set_session_cookie,
)
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.auth.sessions import authenticate, issue_token, revoke_token
from gardencity.settings import Settings

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=ERROR_RESPONSES)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in_s: int
    user: UserOut


def user_out(user: object) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)


@router.post("/login", operation_id="login")
def login(
    request: Request,
    response: Response,
    session: DbSession,
    ctx: Ctx,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=200)],
) -> TokenOut:
    """Password login: sets the session cookie for pages and returns the same secret for
    scripts (send it as ``Authorization: Bearer …``)."""
    settings: Settings = request.app.state.settings
    request.app.state.limiter.check(
        "login", client_address(request), request.app.state.settings.logins_per_minute
    )
    user = authenticate(session, username, password)
    lifetime = timedelta(hours=settings.session_hours)
    secret = issue_token(session, user, kind="session", lifetime=lifetime, now=ctx.now())
    session.commit()
    set_session_cookie(response, secret, settings)
    return TokenOut(
        access_token=secret, expires_in_s=int(lifetime.total_seconds()), user=user_out(user)
    )


@router.post("/logout", operation_id="logout", status_code=204)
def logout(request: Request, response: Response, session: DbSession, user: CurrentUser) -> None:
    """End this session (or revoke this token)."""
    header = request.headers.get("authorization", "")
    secret = header[7:].strip() if header.lower().startswith("bearer ") else None
    secret = secret or request.cookies.get(SESSION_COOKIE)
    if secret:
        revoke_token(session, secret)
        session.commit()
    response.delete_cookie(SESSION_COOKIE)
    del user


@router.post("/tokens", operation_id="create_api_token")
def create_api_token(request: Request, session: DbSession, ctx: Ctx, user: CurrentUser) -> TokenOut:
    """A long-lived API token for scripts and integrations, shown once."""
    settings: Settings = request.app.state.settings
    lifetime = timedelta(days=settings.token_days)
    secret = issue_token(session, user, kind="api", lifetime=lifetime, now=ctx.now())
    session.commit()
    return TokenOut(
        access_token=secret, expires_in_s=int(lifetime.total_seconds()), user=user_out(user)
    )


@router.get("/me", operation_id="get_current_user")
def me(user: CurrentUser) -> UserOut:
    return user_out(user)
