"""Turn ORM rows into the API's output schemas (staff view and public view)."""

from __future__ import annotations

from typing import Any

from gardencity.auth.permissions import UnitTree, allowed_actions
from gardencity.campaign import lookup
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.models import Case, User
from gardencity.campaign.schemas import AttachmentOut, CaseOut, EventOut
from gardencity.campaign.service import CLOCK_RUNNING
from gardencity.campaign.states import CaseStatus, actions_from

__all__ = ["case_feature", "case_out", "is_overdue"]


def is_overdue(case: Case, ctx: ServiceContext) -> bool:
    return (
        case.status in CLOCK_RUNNING
        and case.deadline_at is not None
        and case.deadline_at < ctx.now()
    )


def case_out(
    case: Case, ctx: ServiceContext, user: User, tree: UnitTree, *, details: bool = False
) -> CaseOut:
    out = CaseOut.model_validate(case)
    out.status_label = lookup.status_label(ctx.config, case.status)
    out.overdue = is_overdue(case, ctx)
    if details:
        out.allowed_actions = allowed_actions(
            user, case, tree, actions_from(CaseStatus(case.status))
        )
        out.events = [EventOut.model_validate(e) for e in case.events if e.public]
        out.attachments = [AttachmentOut.model_validate(a) for a in case.attachments]
    return out


def case_feature(case: Case, ctx: ServiceContext) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": case.id,
        "geometry": {"type": "Point", "coordinates": [case.lon, case.lat]},
        "properties": {
            "reference": case.reference,
            "category": case.category,
            "title": case.title,
            "status": case.status,
            "status_label": lookup.status_label(ctx.config, case.status),
            "unit_id": case.unit_id,
            "overdue": is_overdue(case, ctx),
            "escalation_level": case.escalation_level,
            "created_at": case.created_at.isoformat(),
        },
    }
