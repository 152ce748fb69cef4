"""Log-in sessions (cookie) and API tokens (Bearer): created, looked up, revoked."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.passwords import hash_password, hash_secret, needs_rehash, new_secret
from gardencity.auth.passwords import verify_password as check_password
from gardencity.campaign.models import ApiKey, AuthToken, User
from gardencity.errors import AuthenticationError

__all__ = ["authenticate", "issue_token", "revoke_token", "user_for_token", "valid_api_key"]

# Same work for unknown users as for known ones, so timing does not reveal user names.
_DUMMY_HASH = hash_password("not-a-real-password")


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with these credentials, else AuthenticationError (same message for a
    wrong name and a wrong password)."""
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    ok = check_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.is_active:
        raise AuthenticationError("用户名或密码错误 / wrong user name or password")
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def issue_token(
    session: Session, user: User, *, kind: str, lifetime: timedelta, now: datetime
) -> str:
    """Create a session or API token; the secret is returned once and stored only hashed."""
    secret = new_secret()
    session.add(
        AuthToken(
            token_hash=hash_secret(secret),
            user_id=user.id,
            kind=kind,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return secret


def user_for_token(session: Session, secret: str, now: datetime) -> User | None:
    token = session.scalars(
        select(AuthToken).where(AuthToken.token_hash == hash_secret(secret))
    ).one_or_none()
    if token is None or token.revoked or token.expires_at <= now or not token.user.is_active:
        return None
    return token.user


def revoke_token(session: Session, secret: str) -> None:
    token = session.scalars(
        select(AuthToken).where(AuthToken.token_hash == hash_secret(secret))
    ).one_or_none()
    if token is not None:
        token.revoked = True


def valid_api_key(session: Session, key: str | None) -> ApiKey | None:
    if not key:
        return None
    found = session.scalars(
        select(ApiKey).where(ApiKey.key_hash == hash_secret(key), ApiKey.is_active)
    ).one_or_none()
    return found
