"""Password hashing with Argon2id (argon2-cffi), the password policy (zxcvbn's strength
estimate), and secrets for sessions, tokens and keys."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gardencity.messages import Catalogue, Message, load_yaml

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "MIN_PASSWORD_SCORE",
    "check_password_policy",
    "hash_password",
    "hash_secret",
    "needs_rehash",
    "new_secret",
    "password_problem",
    "verify_password",
]
MESSAGES = Catalogue(__package__)

_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 8
MIN_PASSWORD_SCORE = 3  # zxcvbn: 0 (too guessable) … 4 (very unguessable)
_ESTIMATED_CHARS = 72  # zxcvbn's limit (its work grows with the length); the rest only adds
# zxcvbn keeps the user's words in a module global: one estimate at a time
_ESTIMATE_LOCK = threading.Lock()


def hash_password(password: str) -> str:
    """Argon2id hash of ``password`` (the only form in which passwords are stored)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        from gardencity.errors import InvalidRequestError

        raise InvalidRequestError(MESSAGES.message("password_too_short", min=MIN_PASSWORD_LENGTH))
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


@cache
def _policy_data() -> dict[str, Any]:
    path = Path(__file__).with_name("data") / "passwords.yaml"
    data: dict[str, Any] = load_yaml(path.read_text(encoding="utf-8"))
    return data


def password_problem(password: str, user_inputs: Iterable[str | None] = ()) -> Message | None:
    """Why ``password`` is refused, in both languages (None: it is strong enough).

    A password needs at least :data:`MIN_PASSWORD_LENGTH` characters and a zxcvbn strength
    score of at least :data:`MIN_PASSWORD_SCORE`: common passwords (English and Chinese
    lists), keyboard rows, sequences, repeats, dates and the user's own names are refused.

    >>> problem = password_problem("woaini1314")
    >>> problem.render("zh").startswith("密码太弱（强度 0/4，至少需要 3）：这是国内常用的密码")
    True
    >>> problem.render("en").startswith("Password too weak (strength 0/4, at least 3 needed): ")
    True
    >>> password_problem("gold-canal-ferry-9") is None
    True
    """
    from zxcvbn import zxcvbn

    if len(password) < MIN_PASSWORD_LENGTH:
        return MESSAGES.message("password_too_short", min=MIN_PASSWORD_LENGTH)
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        return MESSAGES.message("password_control_chars")
    data = _policy_data()
    words = [w for w in user_inputs if w] + list(data["common"])
    with _ESTIMATE_LOCK:
        result = zxcvbn(password[:_ESTIMATED_CHARS], user_inputs=words)
    score = int(result["score"])
    if score >= MIN_PASSWORD_SCORE:
        return None
    pairs = _own_word_warnings(result["sequence"], data) + [
        (data["feedback_zh"].get(text, data["generic_warning"][0]), text)
        for text in [result["feedback"]["warning"], *result["feedback"]["suggestions"]]
        if text
    ]
    if not pairs:
        pairs = [tuple(data["generic_warning"])]
    advice = Message(("".join(zh for zh, _ in pairs), " ".join(en for _, en in pairs)))
    return MESSAGES.message("password_too_weak", score=score, min=MIN_PASSWORD_SCORE, advice=advice)


def check_password_policy(password: str, user_inputs: Iterable[str | None] = ()) -> None:
    """Raise InvalidRequestError (saying why, in both languages) unless ``password``
    meets the policy of :func:`password_problem`."""
    problem = password_problem(password, user_inputs)
    if problem is not None:
        from gardencity.errors import InvalidRequestError

        raise InvalidRequestError(problem)


def _own_word_warnings(sequence: Sequence[Mapping[str, Any]], data: dict[str, Any]) -> list[Any]:
    """(zh, en) warnings for the parts the estimator found among ``user_inputs``: the common
    Chinese passwords, or else the user's own names."""
    common = {word.lower() for word in data["common"]}
    found = [m["matched_word"] for m in sequence if m.get("dictionary_name") == "user_inputs"]
    warnings = []
    if any(word in common for word in found):
        warnings.append(tuple(data["common_warning"]))
    if any(word not in common for word in found):
        warnings.append(tuple(data["personal_warning"]))
    return warnings
