"""The campaign in figures, for the self-assessment report: cases by status, source, district
and responsible unit, overdue cases, the organisation, targets and their completion, the
latest red and black flags, the cases linked to each indicator, and ledger completeness."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gardencity.auth.models import LeaderAssignment, Unit
from gardencity.auth.unit_names import unit_label
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.models import Case, FlagAward, Target, TargetReport
from gardencity.campaign.service import CLOCK_RUNNING
from gardencity.campaign.states import CaseStatus
from gardencity.campaign.targets import target_progress
from gardencity.vocabulary import vocabulary
from gardencity.vocabulary.dates import chinese_date

__all__ = ["campaign_summary"]

DONE = (CaseStatus.CLOSED, CaseStatus.DISCARDED)


def _rate(closed: int, counted: int) -> float | None:
    return round(100.0 * closed / counted, 1) if counted else None


def _district_of(units: dict[int, Unit]) -> dict[int, Unit | None]:
    """Each unit's district (itself for a district; None above or beside the districts)."""
    found: dict[int, Unit | None] = {}
    for unit_id, unit in units.items():
        here: Unit | None = unit
        while here is not None and here.kind != "district":
            here = units.get(here.parent_id) if here.parent_id is not None else None
        found[unit_id] = here
    return found


def _case_tables(
    session: Session, ctx: ServiceContext, units: dict[int, Unit], labels: dict[int, str]
) -> dict[str, Any]:
    rows = session.execute(
        select(
            Case.reference, Case.status, Case.unit_id, Case.deadline_at, Case.indicator_id
        ).order_by(Case.id)
    ).all()
    now = pd.Timestamp(ctx.now())
    district_of = _district_of(units)
    per_district: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    per_unit: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_indicator: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        overdue = row.status in CLOCK_RUNNING and row.deadline_at is not None
        overdue = overdue and pd.Timestamp(row.deadline_at).tz_localize(None) < now.tz_localize(
            None
        )
        counts = [1, int(row.status == CaseStatus.CLOSED), int(overdue)]
        counted = int(row.status != CaseStatus.DISCARDED)
        district = district_of.get(row.unit_id) if row.unit_id else None
        unit = units.get(row.unit_id) if row.unit_id else None
        if district is not None:
            for i, v in enumerate([*counts, counted]):
                per_district[district.name][i] += v
        if unit is not None and unit.kind in ("department", "responsible"):
            for i, v in enumerate([*counts, counted]):
                per_unit[labels[unit.id]][i] += v
        if row.indicator_id and row.status not in DONE:
            key = district.name if district is not None else ""
            by_indicator[row.indicator_id][key].append(row.reference)
            if key:
                by_indicator[row.indicator_id][""].append(row.reference)

    def table(counts: dict[str, list[int]]) -> list[dict[str, Any]]:
        return [
            {
                "name": k,
                "filed": v[0],
                "closed": v[1],
                "overdue": v[2],
                "closure_rate": _rate(v[1], v[3]),
            }
            for k, v in counts.items()
        ]

    return {
        "by_district": table(per_district),
        "by_unit": table(per_unit),
        "by_indicator": {k: dict(v) for k, v in by_indicator.items()},
    }


def _targets(session: Session, ctx: ServiceContext, labels: dict[int, str]) -> list[dict[str, Any]]:
    targets = pd.DataFrame(
        session.execute(
            select(
                Target.id,
                Target.unit_id,
                Target.action_code,
                Target.action_name,
                Target.metric,
                Target.target_value,
            ).order_by(Target.id)
        ).all(),
        columns=["id", "unit_id", "action_code", "action_name", "metric", "target_value"],
    )
    if targets.empty:
        return []
    reports = pd.DataFrame(
        session.execute(select(TargetReport.target_id, TargetReport.value)).all(),
        columns=["target_id", "value"],
    )
    metrics = ctx.config.target_metrics
    out = []
    for row in target_progress(targets, reports).to_dict("records"):
        metric = metrics.get(str(row["metric"]))
        name = f"{metric.name_zh}（{metric.unit}）" if metric else str(row["metric"])
        out.append(
            {
                "action": row["action_name"] or row["action_code"],
                "district": labels.get(int(row["unit_id"]), ""),
                "metric": name,
                "target": float(row["target_value"]),
                "reported": float(row["reported"]),
                "completion_pct": float(row["completion_pct"]),
            }
        )
    return out


def _flags(session: Session, labels: dict[int, str]) -> dict[str, Any]:
    latest = session.scalar(select(func.max(FlagAward.period_start)))
    if latest is None:
        return {}
    awards = session.scalars(
        select(FlagAward).where(FlagAward.period_start == latest).order_by(FlagAward.rank)
    ).all()
    # periods run from local midnight to local midnight, the end excluded (ranking.py)
    local = ZoneInfo("Asia/Shanghai")
    last_moment = max(a.period_end for a in awards) - timedelta(microseconds=1)
    period = (
        f"{chinese_date(latest.astimezone(local))}至{chinese_date(last_moment.astimezone(local))}"
    )
    names = {
        flag: [labels[a.unit_id] for a in awards if a.flag == flag and a.unit_id in labels]
        for flag in ("red", "black")
    }
    return {"period": period, **names}


def campaign_summary(session: Session, ctx: ServiceContext, lang: str = "zh") -> dict[str, Any]:
    """``total``, ``closed``, ``closure_rate`` (% of cases not discarded; None when every case
    was discarded or none was filed: unknown, not 0), ``overdue``,
    ``by_status`` (label → count, in workflow order), ``by_source``, ``by_district`` and
    ``by_unit`` (filed, closed, overdue, closure rate), ``by_indicator`` (open cases per
    indicator and district name, "" for the city), ``organisation``, ``targets``, ``flags``.
    The names of responsible units (``by_unit``, ``targets``, ``flags``) are in ``lang``;
    ``by_district`` and ``by_indicator`` keep the Chinese names the assessment's districts
    are matched by."""
    counts = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
    sources = dict(session.execute(select(Case.source, func.count()).group_by(Case.source)).all())
    overdue = session.scalar(
        select(func.count())
        .select_from(Case)
        .where(Case.status.in_(sorted(CLOCK_RUNNING)), Case.deadline_at < ctx.now())
    )
    total = int(sum(counts.values()))
    closed = int(counts.get(CaseStatus.CLOSED, 0))
    counted = total - int(counts.get(CaseStatus.DISCARDED, 0))
    labels = ctx.config.status_labels
    units = {u.id: u for u in session.scalars(select(Unit)).all()}
    names = {i: unit_label(u.name, u.name_en, lang) for i, u in units.items()}
    kinds = pd.Series([u.kind for u in units.values()], dtype=object).value_counts()
    leaders = session.scalar(select(func.count(func.distinct(LeaderAssignment.user_id))))
    return {
        "total": total,
        "closed": closed,
        "closure_rate": _rate(closed, counted),
        "overdue": int(overdue or 0),
        "by_status": {
            labels[s.value].name_zh if s.value in labels else s.value: int(counts.get(s, 0))
            for s in CaseStatus
        },
        "by_source": {
            vocabulary().label("case_sources", k, "zh"): int(v) for k, v in sources.items()
        },
        **_case_tables(session, ctx, units, names),
        "organisation": {
            "districts": int(kinds.get("district", 0)),
            "streets": int(kinds.get("street", 0)),
            "communities": int(kinds.get("community", 0)),
            "departments": int(kinds.get("department", 0)),
            "responsible": int(kinds.get("responsible", 0)),
            "leaders": int(leaders or 0),
        },
        "targets": _targets(session, ctx, names),
        "flags": _flags(session, names),
    }
