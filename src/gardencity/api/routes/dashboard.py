"""Case statistics for the cockpit: open, overdue and closed on time, by unit and category."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from gardencity.api.deps import Ctx, CurrentUser, DbSession, Lang
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.auth.permissions import UnitTree, authorize
from gardencity.auth.unit_names import unit_labels
from gardencity.campaign.models import Case
from gardencity.campaign.service import CLOCK_RUNNING, case_scope
from gardencity.campaign.states import OPEN_STATES
from gardencity.messages import Catalogue

MESSAGES = Catalogue(__package__)
router = APIRouter(prefix="/api/v1", tags=["dashboard"], responses=ERROR_RESPONSES)

COUNTS = ("total", "open", "overdue", "closed", "closed_on_time", "discarded")


@router.get("/stats/cases", operation_id="case_statistics")
def case_statistics(session: DbSession, ctx: Ctx, user: CurrentUser, lang: Lang) -> dict[str, Any]:
    """Counts of the cases you may see: total, open, overdue (clock running past the
    deadline), closed, closed on time (by the deadline) and discarded — for the city, per
    responsible unit (its name in the reader's language) and per category."""
    authorize(user, "case.view")
    tree = UnitTree.from_session(session)
    rows = session.execute(
        select(Case.unit_id, Case.category, Case.status, Case.deadline_at, Case.closed_at).where(
            case_scope(user, tree)
        )
    ).all()
    now = ctx.now()
    city: dict[str, int] = dict.fromkeys(COUNTS, 0)
    by_unit: dict[int | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    by_category: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for unit_id, category, status, deadline, closed in rows:
        keys = ["total"]
        if status in OPEN_STATES:
            keys.append("open")
        if status in CLOCK_RUNNING and deadline is not None and deadline < now:
            keys.append("overdue")
        if status == "closed":
            keys.append("closed")
            if deadline is None or (closed is not None and closed <= deadline):
                keys.append("closed_on_time")
        if status == "discarded":
            keys.append("discarded")
        for key in keys:
            city[key] += 1
            by_unit[unit_id][key] += 1
            by_category[category][key] += 1
    names = unit_labels(session, lang)
    unassigned = MESSAGES.text("unassigned", lang)
    categories = ctx.config.categories
    return {
        "city": city,
        "by_unit": [
            {"unit_id": u, "unit_name": names.get(u, unassigned) if u else unassigned} | counts
            for u, counts in sorted(by_unit.items(), key=lambda kv: -kv[1]["total"])
        ],
        "by_category": [
            {
                "category": c,
                "name_zh": categories[c].name_zh if c in categories else c,
                "name_en": categories[c].name_en if c in categories else c,
            }
            | counts
            for c, counts in sorted(by_category.items(), key=lambda kv: -kv[1]["total"])
        ],
    }
