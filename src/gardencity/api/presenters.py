"""Turn ORM rows into the API's output schemas (staff view and public view)."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import BaseModel

from gardencity.auth.models import User
from gardencity.auth.permissions import UnitTree, allowed_actions
from gardencity.auth.roles import Role
from gardencity.campaign import lookup
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.media import visible_to_resident
from gardencity.campaign.models import Case
from gardencity.campaign.privacy import public_actor, public_events, public_note
from gardencity.campaign.schemas import AttachmentOut, CaseOut, EventOut
from gardencity.campaign.service import CLOCK_RUNNING
from gardencity.campaign.states import CaseStatus, actions_from
from gardencity.messages import Catalogue

__all__ = ["case_feature", "case_out", "is_overdue", "json_response"]
# stored in the campaign's words (routing reasons, system-written event reasons)
CAMPAIGN_MESSAGES = Catalogue("gardencity.campaign")


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """``model`` serialised once by pydantic (a route that returns the model itself has
    FastAPI dump, validate and serialise it again); declare ``response_model`` on the route
    so the OpenAPI schema still names the model."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")


def is_overdue(case: Case, ctx: ServiceContext) -> bool:
    return (
        case.status in CLOCK_RUNNING
        and case.deadline_at is not None
        and case.deadline_at < ctx.now()
    )


# Read from the row column by column: validating the ORM object itself would also read (and
# lazy-load) its events and attachments, one query each per case of a list.
_COLUMNS = tuple(
    name
    for name in CaseOut.model_fields
    if name
    not in {"events", "attachments", "allowed_actions", "overdue", "status_label", "category_label"}
)


def case_out(
    case: Case,
    ctx: ServiceContext,
    user: User,
    tree: UnitTree,
    *,
    details: bool = False,
    lang: str = "zh",
) -> CaseOut:
    """The staff view of ``case``, its status and category labelled in ``lang``; with
    ``details`` its events, files and the actions ``user`` may take now (a list page
    carries none of these)."""
    out = CaseOut.model_validate({name: getattr(case, name) for name in _COLUMNS})
    out.routing_reason = CAMPAIGN_MESSAGES.shown(case.routing_reason, lang)
    out.status_label = lookup.status_label(ctx.config, case.status, lang)
    out.category_label = lookup.category_label(ctx.config, case.category, lang)
    out.overdue = is_overdue(case, ctx)
    if details:
        out.allowed_actions = allowed_actions(
            user, case, tree, actions_from(CaseStatus(case.status))
        )
        out.events = _events(case, user, lang)
        shown = [
            a
            for a in case.attachments
            if user.role != Role.RESIDENT or visible_to_resident(a, user.id)
        ]
        out.attachments = [AttachmentOut.model_validate(a) for a in shown]
    return out


def _events(case: Case, user: User, lang: str) -> list[EventOut]:
    """Staff see the whole history; a resident following their own report sees what the
    public sees (status changes, only the reasons that are replies to them, no names)."""
    if user.role != Role.RESIDENT:
        return [
            EventOut.model_validate(e).model_copy(
                update={"reason": CAMPAIGN_MESSAGES.shown(e.reason, lang)}
            )
            for e in case.events
        ]
    out = []
    for event in public_events(case.events):
        actor = (
            None if event.actor_id is None else "resident" if event.actor_id == user.id else "staff"
        )
        update: dict[str, Any] = {
            "reason": public_note(event),
            "data": {},
            "actor": public_actor(actor, lang),
        }
        out.append(EventOut.model_validate(event).model_copy(update=update))
    return out


def case_feature(case: Case, ctx: ServiceContext, lang: str = "zh") -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": case.id,
        "geometry": {"type": "Point", "coordinates": [case.lon, case.lat]},
        "properties": {
            "reference": case.reference,
            "category": case.category,
            "category_label": lookup.category_label(ctx.config, case.category, lang),
            "title": case.title,
            "status": case.status,
            "status_label": lookup.status_label(ctx.config, case.status, lang),
            "unit_id": case.unit_id,
            "overdue": is_overdue(case, ctx),
            "escalation_level": case.escalation_level,
            "created_at": case.created_at.isoformat(),
        },
    }
