"""Unit statistics per period from the case log, red and black flags, the exposure board."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from gardencity.auth.models import Unit, User
from gardencity.auth.permissions import authorize
from gardencity.auth.unit_names import unit_label
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.models import Case, CaseEvent, FlagAward, SpotCheck
from gardencity.campaign.organisation import audit
from gardencity.campaign.ranking import (
    OPTIONAL_TERMS,
    RATE_COLUMNS,
    STATS_COLUMNS,
    period_bounds,
    unit_scores,
)
from gardencity.campaign.service import CLOCK_RUNNING
from gardencity.errors import InvalidRequestError
from gardencity.messages import Catalogue

__all__ = ["compute_flags", "exposure_board", "record_spot_check", "unit_statistics"]
MESSAGES = Catalogue(__package__)

RANKED_KINDS = ("district", "street", "responsible", "department", "community")


def unit_statistics(session: Session, start: datetime, end: datetime) -> pd.DataFrame:
    """One row per unit (of a ranked kind) with the counts :func:`unit_scores` needs."""
    units = session.execute(
        select(Unit.id, Unit.kind).where(Unit.kind.in_(RANKED_KINDS)).order_by(Unit.id)
    ).all()
    counts: dict[int, dict[str, float]] = {
        u.id: dict.fromkeys(STATS_COLUMNS[2:-1], 0.0) for u in units
    }
    handled = session.execute(
        select(
            Case.unit_id, Case.status, Case.submitted_at, Case.closed_at, Case.deadline_at
        ).where(Case.dispatched_at >= start, Case.dispatched_at < end, Case.unit_id.is_not(None))
    ).all()
    for row in handled:
        unit = counts.get(row.unit_id) if row.unit_id is not None else None
        if unit is None:
            continue
        unit["handled"] += 1
        closed = row.status == "closed" and row.closed_at is not None and row.closed_at < end
        if closed:
            unit["closed"] += 1
            if row.deadline_at is None or (row.submitted_at or row.closed_at) <= row.deadline_at:
                unit["closed_on_time"] += 1
        elif row.status in CLOCK_RUNNING and row.deadline_at is not None and row.deadline_at < end:
            unit["overdue_open"] += 1
    actions = session.execute(
        select(Case.unit_id, CaseEvent.action, func.count())
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(
            CaseEvent.at >= start,
            CaseEvent.at < end,
            CaseEvent.action.in_(["submit", "send_back"]),
        )
        .group_by(Case.unit_id, CaseEvent.action)
    ).all()
    for unit_id, action, count in actions:
        unit = counts.get(unit_id) if unit_id is not None else None
        if unit is not None:
            unit["submissions" if action == "submit" else "send_backs"] += count
    spot: dict[int, float] = dict(
        session.execute(
            select(SpotCheck.unit_id, func.avg(SpotCheck.score))
            .where(SpotCheck.checked_at >= start, SpotCheck.checked_at < end)
            .group_by(SpotCheck.unit_id)
        ).all()
    )
    return pd.DataFrame(
        [
            {"unit_id": u.id, "level": u.kind}
            | counts[u.id]
            | {"spot_check_score": float(spot[u.id]) if u.id in spot else float("nan")}
            for u in units
        ],
        columns=STATS_COLUMNS,
    )


def compute_flags(
    session: Session, ctx: ServiceContext, actor: User | None, when: datetime
) -> list[FlagAward]:
    """Score, rank and flag every unit for the period containing ``when``; stored as history
    (recomputing a period replaces that period's rows, earlier periods stay). The optional
    terms (maintenance score, patrol coverage) come from ``ctx.ranking_inputs``."""
    if actor is not None:
        authorize(actor, "ranking.compute")
    rule = ctx.config.ranking
    start, end = period_bounds(rule.period, when)
    extra = ctx.ranking_inputs(session, start, end) if ctx.ranking_inputs is not None else {}
    scored = unit_scores(unit_statistics(session, start, end), rule, extra)
    session.execute(
        delete(FlagAward).where(FlagAward.period == rule.period, FlagAward.period_start == start)
    )
    now = ctx.now()
    rows = []
    for record in scored.to_dict("records"):
        details = {
            k: (None if pd.isna(record[k]) else float(record[k]))
            for k in (*STATS_COLUMNS[2:], *RATE_COLUMNS, *OPTIONAL_TERMS.values())
        }
        rows.append(
            FlagAward(
                period=rule.period,
                period_start=start,
                period_end=end,
                level=record["level"],
                unit_id=int(record["unit_id"]),
                score=float(record["score"]) if record["ranked"] else None,
                rank=None if pd.isna(record["rank"]) else int(record["rank"]),
                flag=record["flag"] if isinstance(record["flag"], str) else None,
                details=details | {"weights": dict(rule.weights)},
                computed_at=now,
            )
        )
    session.add_all(rows)
    session.flush()
    ctx.flags_computed(session, rows)
    if actor is not None:
        audit(
            session,
            ctx,
            actor,
            "ranking.compute",
            rows[0] if rows else FlagAward(),
            {"period": rule.period, "start": start.isoformat()},
        )
    return rows


def record_spot_check(
    session: Session, ctx: ServiceContext, actor: User, unit_id: int, score: float, note: str | None
) -> SpotCheck:
    authorize(actor, "spot_check.create")
    if session.get(Unit, unit_id) is None:
        raise InvalidRequestError(MESSAGES.message("errors.unit_missing", unit_id=unit_id))
    if not 0 <= score <= 100:
        raise InvalidRequestError(MESSAGES.message("errors.score_range"))
    check = SpotCheck(
        unit_id=unit_id, inspector_id=actor.id, score=score, note=note, checked_at=ctx.now()
    )
    session.add(check)
    session.flush()
    return check


def exposure_board(
    session: Session, ctx: ServiceContext, limit: int = 20, lang: str = "zh"
) -> list[dict[str, Any]]:
    """曝光台: the worst unresolved cases — most escalated, then longest overdue — with photos."""
    now = ctx.now()
    cases = session.scalars(
        select(Case)
        .where(Case.status.in_(sorted(CLOCK_RUNNING)), Case.deadline_at < now)
        .options(selectinload(Case.attachments), selectinload(Case.unit))
        .order_by(Case.escalation_level.desc(), Case.deadline_at, Case.id)
        .limit(limit)
    ).all()
    return [
        {
            "id": c.id,
            "reference": c.reference,
            "title": c.title,
            "category": c.category,
            "unit_id": c.unit_id,
            "unit_name": unit_label(c.unit.name, c.unit.name_en, lang) if c.unit else None,
            "escalation_level": c.escalation_level,
            "hours_overdue": round((now - c.deadline_at).total_seconds() / 3600, 1)
            if c.deadline_at
            else None,
            "photo_ids": [a.id for a in c.attachments if a.role == "before"],
            "lon": c.lon,
            "lat": c.lat,
        }
        for c in cases
    ]
