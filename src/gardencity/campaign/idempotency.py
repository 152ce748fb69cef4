"""Exactly-once filing: a case or photo sent again with the same ``Idempotency-Key``.

A phone in a park loses the signal between sending a case and hearing the answer; it sends
the same request again, with the same key (a UUID it made once for that case or photo).
The first request records the key with what it created (:class:`IdempotencyKey`, unique
per user and key); a repeat finds that record and answers with the same case or photo
instead of filing another. Two sends that arrive together both file, but only one can
insert the key: the other's transaction fails on the unique constraint, is rolled back and
answers with the winner's case. A key is one user's: another user's key never finds it.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gardencity.auth.models import User
from gardencity.campaign import service
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.models import Attachment, Case, IdempotencyKey
from gardencity.campaign.schemas import CaseIn
from gardencity.errors import InvalidRequestError
from gardencity.messages import Catalogue

__all__ = ["KEY_HEADER", "REPLAY_HEADER", "attach_file_once", "file_case_once", "parse_key"]
MESSAGES = Catalogue(__package__)

KEY_HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"  # "true" on the answer to a repeat
FILE_CASE, ATTACH_FILE = "file_case", "attach_file"


def parse_key(raw: str | None) -> str | None:
    """The key of an ``Idempotency-Key`` header (a UUID, optionally quoted as a structured
    header string), in its canonical form; None when there is none.

    >>> parse_key('"8E03978E-40D5-43E8-BC93-6894A57F9324"')
    '8e03978e-40d5-43e8-bc93-6894a57f9324'
    >>> parse_key(None) is None
    True
    """
    if raw is None:
        return None
    text = raw.strip().removeprefix('"').removesuffix('"')
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise InvalidRequestError(
            MESSAGES.message(
                "idempotency_key_not_uuid",
                header=KEY_HEADER,
                example="8e03978e-40d5-43e8-bc93-6894a57f9324",
                got=repr(raw[:60]),
            )
        ) from None


def file_case_once(
    session: Session, ctx: ServiceContext, actor: User, data: CaseIn, key: str
) -> tuple[Case, bool]:
    """The case filed under ``key`` by ``actor``: the one filed before (and True) or a new
    one (and False). The caller commits."""
    fingerprint = _digest(data.model_dump(mode="json"))
    earlier = _earlier(session, actor, key, FILE_CASE, fingerprint)
    if earlier is not None and earlier.case_id is not None:
        return service.get_case(session, actor, earlier.case_id), True
    case = service.file_case(session, ctx, actor, data)
    record = IdempotencyKey(
        user_id=actor.id,
        key=key,
        operation=FILE_CASE,
        fingerprint=fingerprint,
        case_id=case.id,
        created_at=ctx.now(),
    )
    if not _recorded(session, record):
        winner = _earlier(session, actor, key, FILE_CASE, fingerprint)
        assert winner is not None and winner.case_id is not None
        return service.get_case(session, actor, winner.case_id), True
    return case, False


def attach_file_once(
    session: Session,
    ctx: ServiceContext,
    actor: User,
    case_id: int,
    content: bytes,
    *,
    key: str,
    role: str,
    filename: str | None,
    declared_type: str | None,
    public: bool = False,
) -> tuple[Attachment, bool]:
    """The photo or document attached under ``key`` by ``actor``: the one stored before
    (and True) or a new one (and False). The caller commits."""
    request = {
        "case_id": case_id,
        "role": role,
        "public": public,
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    fingerprint = _digest(request)
    earlier = _earlier(session, actor, key, ATTACH_FILE, fingerprint)
    if earlier is not None and earlier.attachment_id is not None:
        return service.get_attachment(session, actor, earlier.attachment_id), True
    attachment = service.attach_file(
        session,
        ctx,
        actor,
        case_id,
        content,
        role=role,
        filename=filename,
        declared_type=declared_type,
        public=public,
    )
    record = IdempotencyKey(
        user_id=actor.id,
        key=key,
        operation=ATTACH_FILE,
        fingerprint=fingerprint,
        case_id=case_id,
        attachment_id=attachment.id,
        created_at=ctx.now(),
    )
    if not _recorded(session, record):
        winner = _earlier(session, actor, key, ATTACH_FILE, fingerprint)
        assert winner is not None and winner.attachment_id is not None
        return service.get_attachment(session, actor, winner.attachment_id), True
    return attachment, False


def _digest(request: dict[str, object]) -> str:
    text = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _earlier(
    session: Session, actor: User, key: str, operation: str, fingerprint: str
) -> IdempotencyKey | None:
    """The record of ``actor``'s earlier request with ``key``; refused when that request
    was another one (a key is made for one request and used only for its repeats)."""
    record = session.scalars(
        select(IdempotencyKey).where(IdempotencyKey.user_id == actor.id, IdempotencyKey.key == key)
    ).one_or_none()
    if record is None:
        return None
    if record.operation != operation or record.fingerprint != fingerprint:
        raise InvalidRequestError(MESSAGES.message("idempotency_key_reused", header=KEY_HEADER))
    return record


def _recorded(session: Session, record: IdempotencyKey) -> bool:
    """Insert ``record``; False (and the transaction rolled back) when a concurrent request
    with the same key was committed first."""
    user_id, key = record.user_id, record.key
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        taken = session.scalar(
            select(IdempotencyKey.id).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        )
        if taken is None:  # another constraint failed: not a repeat
            raise
        return False
    return True
