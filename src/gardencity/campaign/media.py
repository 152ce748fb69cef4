"""Photos and documents of cases: storing them, what the public may see, older files.

Every photo enters the file store without its metadata (:mod:`gardencity.storage.images`).
The public sees only the photos the public view of a case shows — the photo a resident sent
with the report, or one staff chose to publish (``Attachment.public``) — of cases in public
categories, under ``Attachment.public_id`` (random, never the sequential id). Photos stored
before metadata was stripped on upload are cleaned whenever served, and
:func:`clean_stored_photos` replaces them in the store for good.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gardencity.campaign.context import ServiceContext
from gardencity.campaign.models import Attachment, Case, TargetReport
from gardencity.errors import InvalidRequestError, NotFoundError
from gardencity.messages import Catalogue
from gardencity.storage.files import CheckedFile
from gardencity.storage.images import IMAGE_TYPES, strip_metadata

__all__ = [
    "ROLES",
    "CleaningReport",
    "PublicPhoto",
    "attachment_content",
    "clean_stored_photos",
    "new_attachment",
    "public_photo",
    "public_photos",
    "report_photo",
    "visible_to_resident",
]
MESSAGES = Catalogue(__package__)

ROLES = ("before", "after", "document")
NOT_FOUND = MESSAGES.message("photo_not_found")


@dataclass(frozen=True)
class PublicPhoto:
    public_id: str
    role: str


def new_attachment(
    session: Session,
    ctx: ServiceContext,
    case: Case,
    content: bytes | CheckedFile,
    *,
    role: str,
    filename: str | None,
    declared_type: str | None,
    uploaded_by: int | None,
    public: bool = False,
) -> Attachment:
    """Store ``content`` (photos without their metadata) and attach it to ``case``.

    ``content`` may come already checked (:meth:`FileStore.check`, the slow part, done before
    the caller's first write, so no write transaction waits for a photo to be cleaned).
    Only photos can be public; a public document is refused.
    """
    if role not in ROLES:
        raise InvalidRequestError(MESSAGES.message("errors.attachment_role", known=list(ROLES)))
    checked = (
        content
        if isinstance(content, CheckedFile)
        else ctx.files.check(content, declared_type=declared_type)
    )
    if public and checked.media_type not in IMAGE_TYPES:
        raise InvalidRequestError(MESSAGES.message("only_photos_public"))
    stored = ctx.files.store(checked)
    attachment = Attachment(
        case_id=case.id,
        sha256=stored.sha256,
        media_type=stored.media_type,
        size=stored.size,
        role=role,
        filename=_safe_name(filename),
        uploaded_by=uploaded_by,
        created_at=ctx.now(),
        public=public,
        metadata_stripped=True,
    )
    session.add(attachment)
    session.flush()
    return attachment


def report_photo(
    session: Session,
    ctx: ServiceContext,
    case: Case,
    content: bytes | CheckedFile,
    *,
    filename: str | None,
    declared_type: str | None,
) -> Attachment:
    """The photo a resident sends with a report (public page, Open311): shown publicly."""
    return new_attachment(
        session,
        ctx,
        case,
        content,
        role="before",
        filename=None,  # a resident's file name can carry their name: not kept
        declared_type=declared_type,
        uploaded_by=None,
        public=True,
    )


def visible_to_resident(attachment: Attachment, resident_id: int) -> bool:
    """Whether a resident following their own report sees ``attachment``: what the public
    sees of it, and what they uploaded themselves (never staff's internal files)."""
    return attachment.public or attachment.uploaded_by == resident_id


def _public_query(public_codes: Collection[str]) -> Select[Any]:
    return (
        select(Attachment)
        .join(Case, Case.id == Attachment.case_id)
        .where(
            Attachment.public.is_(True),
            Attachment.media_type.like("image/%"),
            Case.category.in_(sorted(public_codes)),
        )
    )


def public_photos(
    session: Session, case_ids: Iterable[int], public_codes: Collection[str]
) -> dict[int, list[PublicPhoto]]:
    """The public photos of each case (oldest first; 'before' photos before 'after' ones)."""
    ids = sorted(set(case_ids))
    found: dict[int, list[PublicPhoto]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.scalars(
        _public_query(public_codes)
        .where(Attachment.case_id.in_(ids))
        # "before" sorts after "after": descending puts the reporter's photo first
        .order_by(Attachment.case_id, Attachment.role.desc(), Attachment.id)
    ).all()
    for row in rows:
        assert row.case_id is not None
        found[row.case_id].append(PublicPhoto(row.public_id, row.role))
    return found


def public_photo(
    session: Session, ctx: ServiceContext, public_id: str, public_codes: Collection[str]
) -> tuple[bytes, str]:
    """Content and media type of the public photo ``public_id`` (else NotFoundError)."""
    attachment = session.scalars(
        _public_query(public_codes).where(Attachment.public_id == public_id)
    ).one_or_none()
    if attachment is None:
        raise NotFoundError(NOT_FOUND)
    return attachment_content(ctx, attachment)


def attachment_content(ctx: ServiceContext, attachment: Attachment) -> tuple[bytes, str]:
    """What to serve for ``attachment``: its stored content, or for a photo stored before
    metadata was stripped, the content cleaned now (the store is left as it is)."""
    content = ctx.files.read(attachment.sha256)
    if attachment.metadata_stripped or attachment.media_type not in IMAGE_TYPES:
        return content, attachment.media_type
    cleaned = strip_metadata(content, attachment.media_type)
    return cleaned.content, cleaned.media_type


@dataclass
class CleaningReport:
    cleaned: int = 0
    removed_files: int = 0
    unreadable: list[int] = field(default_factory=list)  # attachment ids


def clean_stored_photos(
    session: Session,
    ctx: ServiceContext,
    used_elsewhere: Callable[[Session, str], bool] = lambda _session, _sha256: False,
) -> CleaningReport:
    """Replace every photo stored with its metadata by its cleaned copy, and delete the
    original from the store once nothing refers to it: no attachment, no target's evidence,
    and ``used_elsewhere(session, sha256)`` false (the packages above the campaign, such as
    the inspection's ledger, pass their own check). Commits after each photo."""
    report = CleaningReport()
    legacy = session.scalars(
        select(Attachment).where(Attachment.metadata_stripped.is_(False)).order_by(Attachment.id)
    ).all()
    for attachment in legacy:
        old = attachment.sha256
        if attachment.media_type in IMAGE_TYPES:
            try:
                cleaned = strip_metadata(ctx.files.read(old), attachment.media_type)
            except (InvalidRequestError, NotFoundError):
                report.unreadable.append(attachment.id)
                continue
            stored = ctx.files.put(cleaned.content, clean_photos=False)
            attachment.sha256, attachment.size = stored.sha256, stored.size
            attachment.media_type = stored.media_type
            report.cleaned += 1
        attachment.metadata_stripped = True
        session.commit()
        if old != attachment.sha256 and not _referenced(session, old, used_elsewhere):
            ctx.files.delete(old)
            report.removed_files += 1
    return report


def _referenced(
    session: Session, sha256: str, used_elsewhere: Callable[[Session, str], bool]
) -> bool:
    if session.scalar(select(Attachment.id).where(Attachment.sha256 == sha256).limit(1)):
        return True
    if used_elsewhere(session, sha256):
        return True
    evidence = session.scalars(select(TargetReport.evidence)).all()
    return any(sha256 in (e or {}).get("sha256", []) for e in evidence)


def _safe_name(filename: str | None) -> str | None:
    if not filename:
        return None
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "")
    return name[:200] or None
