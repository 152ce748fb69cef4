"""Exactly-once inspections: an inspection sent again with the same ``Idempotency-Key`` (the
phone lost the answer, or its queue sends what it kept while there was no signal) is stored
once, with its cases and photos once.

The inspection row keeps the key (unique per inspector) and a digest of what was sent (the
site, the inspection, each photo's item and SHA-256). A repeat finds the row and answers with
it; a key sent with another inspection is refused. Two sends that arrive together both
inspect, but only one can insert the key: the other's transaction fails on the unique
constraint, is rolled back and answers with the winner's inspection.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gardencity.auth.models import User
from gardencity.campaign.context import ServiceContext
from gardencity.errors import InvalidRequestError
from gardencity.maintenance.checklists import Checklists
from gardencity.maintenance.models import MaintenanceInspection
from gardencity.maintenance.schemas import InspectionIn
from gardencity.maintenance.service import Photo, inspect_site
from gardencity.messages import Catalogue

__all__ = ["inspect_site_once"]
MESSAGES = Catalogue(__package__)


def _digest(site_id: int, data: InspectionIn, photos: Sequence[Photo]) -> str:
    sent = {
        "site_id": site_id,
        "inspection": data.model_dump(mode="json"),
        "photos": [[p.item_code, hashlib.sha256(p.content).hexdigest()] for p in photos],
    }
    text = json.dumps(sent, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _earlier(
    session: Session, actor: User, key: str, fingerprint: str, header: str
) -> MaintenanceInspection | None:
    found = session.scalars(
        select(MaintenanceInspection).where(
            MaintenanceInspection.inspector_id == actor.id,
            MaintenanceInspection.client_key == key,
        )
    ).one_or_none()
    if found is not None and found.fingerprint != fingerprint:
        raise InvalidRequestError(MESSAGES.message("inspection_key_reused", header=header))
    return found


def inspect_site_once(
    session: Session,
    ctx: ServiceContext,
    actor: User,
    lists: Checklists,
    site_id: int,
    data: InspectionIn,
    photos: Sequence[Photo],
    *,
    key: str,
    header: str = "Idempotency-Key",
) -> tuple[MaintenanceInspection, bool]:
    """The inspection ``actor`` sent under ``key``: the one stored before (and True) or a new
    one (and False). The caller commits."""
    fingerprint = _digest(site_id, data, photos)
    earlier = _earlier(session, actor, key, fingerprint, header)
    if earlier is not None:
        return earlier, True
    try:
        done = inspect_site(
            session,
            ctx,
            actor,
            lists,
            site_id,
            data,
            photos,
            client_key=key,
            fingerprint=fingerprint,
        )
    except IntegrityError:
        session.rollback()
        winner = _earlier(session, actor, key, fingerprint, header)
        if winner is None:  # another constraint failed: not a repeat
            raise
        return winner, True
    return done, False
