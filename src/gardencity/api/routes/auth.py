"""Log in and out; API tokens (create, list, revoke); password change; who am I."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from gardencity.api.deps import (
    SESSION_COOKIE,
    Ctx,
    CurrentUser,
    DbSession,
    PathId,
    client_address,
    set_session_cookie,
)
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.auth.models import AuthToken, User
from gardencity.auth.passwords import check_password_policy, hash_password, verify_password
from gardencity.auth.permissions import authorize
from gardencity.auth.sessions import (
    issue_token,
    log_in,
    revoke_token,
    revoke_token_id,
    revoke_user_tokens,
    token_for_secret,
)
from gardencity.campaign.organisation import audit
from gardencity.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from gardencity.messages import Catalogue
from gardencity.settings import Settings
from gardencity.text import CleanInput

MESSAGES = Catalogue(__package__)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=ERROR_RESPONSES)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None


class TokenOut(BaseModel):
    id: int = Field(description="the session's or token's id (to list and revoke it)")
    access_token: str
    token_type: str = "bearer"
    expires_in_s: int
    user: UserOut


class TokenIn(CleanInput):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(
        default=None, max_length=100, description="what the token is for (shown in the list)"
    )


class TokenInfo(BaseModel):
    """A session or API token as listed (never its secret)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    user_id: int
    kind: str
    name: str | None
    created_at: datetime
    expires_at: datetime
    session_id: int | None
    current: bool = False


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=8, max_length=200)


def user_out(user: object) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)


def _token_out(session: DbSession, secret: str, lifetime: timedelta, user: User) -> TokenOut:
    token = token_for_secret(session, secret)
    assert token is not None
    return TokenOut(
        id=token.id,
        access_token=secret,
        expires_in_s=int(lifetime.total_seconds()),
        user=user_out(user),
    )


def _secret(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    secret = header[7:].strip() if header.lower().startswith("bearer ") else None
    return secret or request.cookies.get(SESSION_COOKIE)


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
    scripts (send it as ``Authorization: Bearer …``). Limited per client address and per
    account; repeated failures lock the account for a while (429 with Retry-After)."""
    settings: Settings = request.app.state.settings
    lifetime = timedelta(hours=settings.session_hours)
    user, secret = log_in(
        session,
        request.app.state.limiter,
        username,
        password,
        client=client_address(request),
        per_minute=settings.logins_per_minute,
        lifetime=lifetime,
        now=ctx.now(),
    )
    out = _token_out(session, secret, lifetime, user)
    session.commit()
    set_session_cookie(response, secret, settings)
    return out


@router.post("/logout", operation_id="logout", status_code=204)
def logout(request: Request, response: Response, session: DbSession, user: CurrentUser) -> None:
    """End this session (or revoke this token), and the API tokens created in it."""
    secret = _secret(request)
    if secret:
        revoke_token(session, secret)
        session.commit()
    response.delete_cookie(SESSION_COOKIE)
    del user


@router.post("/tokens", operation_id="create_api_token")
def create_api_token(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    body: TokenIn | None = None,
) -> TokenOut:
    """A long-lived API token for scripts and integrations, shown once. It ends when it
    expires, when it is revoked, when the log-in session it was created in logs out, and
    when its user's password changes."""
    settings: Settings = request.app.state.settings
    lifetime = timedelta(days=settings.token_days)
    current = token_for_secret(session, _secret(request) or "")
    parent = None
    if current is not None:
        parent = current.id if current.kind == "session" else current.session_id
    name = body.name if body else None
    secret = issue_token(
        session, user, kind="api", lifetime=lifetime, now=ctx.now(), name=name, session_id=parent
    )
    out = _token_out(session, secret, lifetime, user)
    session.commit()
    return out


@router.get("/tokens", operation_id="list_tokens")
def list_tokens(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    everyone: Annotated[
        bool, Query(description="every user's tokens (administrators only)")
    ] = False,
) -> list[TokenInfo]:
    """The caller's unexpired, unrevoked log-in sessions and API tokens, newest first."""
    query = select(AuthToken).where(AuthToken.revoked.is_(False), AuthToken.expires_at > ctx.now())
    if everyone:
        authorize(user, "user.manage")
    else:
        query = query.where(AuthToken.user_id == user.id)
    current = token_for_secret(session, _secret(request) or "")
    rows = session.scalars(query.order_by(AuthToken.id.desc()).limit(1000)).all()
    return [
        TokenInfo.model_validate(row).model_copy(
            update={"current": current is not None and row.id == current.id}
        )
        for row in rows
    ]


@router.delete("/tokens/{token_id}", operation_id="revoke_token", status_code=204)
def revoke(session: DbSession, ctx: Ctx, user: CurrentUser, token_id: PathId) -> None:
    """Revoke one of the caller's sessions or API tokens (an administrator: anyone's). A
    session takes the API tokens created in it along."""
    token = session.get(AuthToken, token_id)
    missing = NotFoundError(MESSAGES.message("token_not_found", token_id=token_id))
    if token is None:
        raise missing
    if token.user_id != user.id:
        try:
            authorize(user, "user.manage")  # administrators revoke anyone's
        except PermissionDeniedError:
            raise missing from None
    revoke_token_id(session, token.id)
    audit(session, ctx, user, "token.revoke", token, {"user_id": token.user_id})
    session.commit()


@router.post("/password", operation_id="change_password")
def change_password(
    request: Request,
    response: Response,
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    body: PasswordChange,
) -> TokenOut:
    """Change one's own password: every session and API token of the user ends, and a new
    session (cookie and secret) is returned for the caller."""
    settings: Settings = request.app.state.settings
    if not verify_password(user.password_hash, body.current_password):
        raise AuthenticationError(MESSAGES.message("current_password_wrong"))
    if body.new_password == body.current_password:
        raise InvalidRequestError(MESSAGES.message("new_password_same"))
    check_password_policy(body.new_password, [user.username, user.display_name, user.email])
    row = session.get(User, user.id)
    assert row is not None
    row.password_hash = hash_password(body.new_password)
    revoke_user_tokens(session, user.id)
    audit(session, ctx, user, "user.password", row, {})
    lifetime = timedelta(hours=settings.session_hours)
    secret = issue_token(session, row, kind="session", lifetime=lifetime, now=ctx.now())
    out = _token_out(session, secret, lifetime, row)
    session.commit()
    set_session_cookie(response, secret, settings)
    return out


@router.get("/me", operation_id="get_current_user")
def me(user: CurrentUser) -> UserOut:
    return user_out(user)
