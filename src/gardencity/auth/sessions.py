"""Log-in sessions (cookie) and API tokens (Bearer): created, looked up, revoked."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session, UOWTransaction

from gardencity.auth.models import ApiKey, AuthToken, User
from gardencity.auth.org_stamp import WATCHED_MODELS, remember_stamp, stamp_columns
from gardencity.auth.passwords import hash_password, hash_secret, needs_rehash, new_secret
from gardencity.auth.passwords import verify_password as check_password
from gardencity.auth.throttle import RateLimiter
from gardencity.errors import AuthenticationError
from gardencity.messages import Catalogue

__all__ = [
    "authenticate",
    "forget_identities",
    "issue_token",
    "log_in",
    "remembered_user",
    "revoke_token",
    "revoke_token_id",
    "revoke_user_tokens",
    "token_for_secret",
    "user_for_token",
    "valid_api_key",
]
MESSAGES = Catalogue(__package__)

# Same work for unknown users as for known ones, so timing does not reveal user names.
_DUMMY_HASH = hash_password("not-a-real-password")


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with these credentials, else AuthenticationError (same message for a
    wrong name and a wrong password)."""
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    ok = check_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.is_active:
        raise AuthenticationError(MESSAGES.message("wrong_credentials"))
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def issue_token(
    session: Session,
    user: User,
    *,
    kind: str,
    lifetime: timedelta,
    now: datetime,
    name: str | None = None,
    session_id: int | None = None,
) -> str:
    """Create a session or API token; the secret is returned once and stored only hashed.
    ``session_id``: the log-in session an API token is created in (its logout revokes it)."""
    secret = new_secret()
    session.add(
        AuthToken(
            token_hash=hash_secret(secret),
            user_id=user.id,
            kind=kind,
            created_at=now,
            expires_at=now + lifetime,
            name=name,
            session_id=session_id,
        )
    )
    session.flush()
    return secret


def log_in(
    session: Session,
    limiter: RateLimiter,
    username: str,
    password: str,
    *,
    client: str,
    per_minute: int,
    lifetime: timedelta,
    now: datetime,
) -> tuple[User, str]:
    """Check the limits (per client address and per account), the account's lock-out and the
    password; returns the user and a new session secret. Failures count toward the lock-out.

    Raises
    ------
    RateLimitedError
        Too many attempts from this address or for this account, or the account is locked.
    AuthenticationError
        Wrong user name or password.
    """
    limiter.check("login", client, per_minute)
    limiter.check("login-account", username, per_minute)
    limiter.refuse_if_locked(username)
    try:
        user = authenticate(session, username, password)
    except AuthenticationError:
        limiter.record_failure(username)
        raise
    limiter.record_success(username)
    return user, issue_token(session, user, kind="session", lifetime=lifetime, now=now)


@dataclass(frozen=True)
class _Identity:
    user: User  # detached; each request merges its own copy into its session
    stamp: tuple[Any, ...]
    expires_at: datetime
    checked_at: float


_IDENTITIES: dict[tuple[int, str], _Identity] = {}
_IDENTITIES_LOCK = threading.Lock()


def user_for_token(
    session: Session, secret: str, now: datetime, *, cache_seconds: float = 0.0
) -> User | None:
    """The active user holding the unexpired, unrevoked session or API token ``secret``.

    One round trip: it also reads the organisation stamp, so the scope checks of the same
    request need no query of their own when the organisation has not changed. With
    ``cache_seconds`` the answer (and the stamp) is remembered that long by this process: a
    logout, a revoked token, a changed user or organisation clears it at once here, and
    within ``cache_seconds`` in the server's other processes.
    """
    key = (id(session.get_bind()), hash_secret(secret))
    known = remembered_user(session, secret, now, cache_seconds=cache_seconds)
    if known is not None:
        return known
    row = session.execute(
        select(User, AuthToken.expires_at, *stamp_columns())
        .join(AuthToken, AuthToken.user_id == User.id)
        .where(
            AuthToken.token_hash == key[1],
            AuthToken.revoked.is_(False),
            AuthToken.expires_at > now,
            User.is_active.is_(True),
        )
    ).one_or_none()
    if row is None:
        return None
    stamp = remember_stamp(session, tuple(row[2:]))
    user: User = row[0]
    if cache_seconds > 0:
        session.expunge(user)
        with _IDENTITIES_LOCK:
            _IDENTITIES[key] = _Identity(user, stamp, row[1], time.monotonic())
        user = session.merge(user, load=False)
    return user


def remembered_user(
    session: Session, secret: str, now: datetime, *, cache_seconds: float
) -> User | None:
    """The holder of ``secret`` if this process checked it less than ``cache_seconds`` ago
    (merged into ``session`` without a query), else None. No I/O."""
    if cache_seconds <= 0:
        return None
    known = _IDENTITIES.get((id(session.get_bind()), hash_secret(secret)))
    if (
        known is None
        or time.monotonic() - known.checked_at >= cache_seconds
        or known.expires_at <= now
    ):
        return None
    remember_stamp(session, known.stamp[1:])
    return session.merge(known.user, load=False)


def forget_identities() -> None:
    """Drop every remembered token holder (called when users or tokens change)."""
    with _IDENTITIES_LOCK:
        _IDENTITIES.clear()


@event.listens_for(Session, "after_flush")
def _forget_on_change(session: Session, _flush: UOWTransaction) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, (User, AuthToken, *WATCHED_MODELS)) for obj in changed):
        forget_identities()


def token_for_secret(session: Session, secret: str) -> AuthToken | None:
    return session.scalars(
        select(AuthToken).where(AuthToken.token_hash == hash_secret(secret))
    ).one_or_none()


def revoke_token(session: Session, secret: str) -> None:
    """Revoke the session or token ``secret`` and every API token created in that session."""
    token = token_for_secret(session, secret)
    if token is not None:
        revoke_token_id(session, token.id)


def revoke_token_id(session: Session, token_id: int) -> None:
    """Revoke token ``token_id`` and the API tokens created in it (a log-in session's)."""
    session.execute(
        update(AuthToken)
        .where(or_(AuthToken.id == token_id, AuthToken.session_id == token_id))
        .values(revoked=True)
    )
    forget_identities()


def revoke_user_tokens(session: Session, user_id: int) -> None:
    """Revoke every session and API token of a user (after a password change or reset)."""
    session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user_id, AuthToken.revoked.is_(False))
        .values(revoked=True)
    )
    forget_identities()


def valid_api_key(session: Session, key: str | None) -> ApiKey | None:
    if not key:
        return None
    found = session.scalars(
        select(ApiKey).where(ApiKey.key_hash == hash_secret(key), ApiKey.is_active)
    ).one_or_none()
    return found
