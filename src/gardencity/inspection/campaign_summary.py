"""The campaign in figures, for the self-assessment report: cases by status and source,
closure rate, overdue cases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gardencity.campaign.context import ServiceContext
from gardencity.campaign.models import Case
from gardencity.campaign.service import CLOCK_RUNNING
from gardencity.campaign.states import CaseStatus

__all__ = ["campaign_summary"]

SOURCE_ZH = {
    "self_check": "自查",
    "joint_inspection": "联合巡查",
    "grid_patrol": "网格巡查",
    "resident": "市民反映",
    "indicator_gap": "指标缺口",
    "expert": "专家反馈",
}


def campaign_summary(session: Session, ctx: ServiceContext) -> dict[str, Any]:
    """``total``, ``closed``, ``closure_rate`` (% of cases not discarded), ``overdue``,
    ``by_status`` (label → count, in workflow order) and ``by_source``."""
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
    return {
        "total": total,
        "closed": closed,
        "closure_rate": round(100.0 * closed / counted, 1) if counted else 0.0,
        "overdue": int(overdue or 0),
        "by_status": {
            labels[s.value].name_zh if s.value in labels else s.value: int(counts.get(s, 0))
            for s in CaseStatus
        },
        "by_source": {SOURCE_ZH.get(k, k): int(v) for k, v in sources.items()},
    }
