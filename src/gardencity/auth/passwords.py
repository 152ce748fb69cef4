"""Password hashing with Argon2id (argon2-cffi), and secrets for sessions, tokens and keys."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_password", "hash_secret", "needs_rehash", "new_secret", "verify_password"]

_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    """Argon2id hash of ``password`` (the only form in which passwords are stored)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        from gardencity.errors import InvalidRequestError

        raise InvalidRequestError(
            f"密码太短 / password too short: at least {MIN_PASSWORD_LENGTH} characters."
        )
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; False for a wrong password or an unusable hash."""
    if not stored_hash:
        return False
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)


def new_secret() -> str:
    """A URL-safe random secret (256 bits) for a session, API token or api_key."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """SHA-256 of a high-entropy secret; tokens are looked up by this, never stored plain."""
    return hashlib.sha256(secret.encode()).hexdigest()
