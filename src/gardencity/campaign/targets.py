"""Targets the city assigns to districts, the districts' progress reports, and roll-ups.

A target is (district, campaign action, metric, year) → value, e.g. 鼓楼区 / 口袋公园建设 /
new_public_green_space_ha / 2026 → 12 ha. Districts report progress with evidence; the
completion of a target is the sum of its reports over the target value.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.models import Unit, User
from gardencity.auth.permissions import UnitTree, authorize
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.models import Target, TargetReport
from gardencity.campaign.organisation import _flush_unique, audit
from gardencity.campaign.schemas import DbId
from gardencity.errors import InvalidRequestError, NotFoundError
from gardencity.messages import Catalogue
from gardencity.text import CleanInput

__all__ = [
    "ReportIn",
    "TargetIn",
    "add_report",
    "create_target",
    "progress_table",
    "target_progress",
]
MESSAGES = Catalogue(__package__)


class TargetIn(CleanInput):
    model_config = ConfigDict(extra="forbid")

    unit_id: DbId
    action_code: str = Field(min_length=1, max_length=64)
    action_name: str | None = Field(default=None, max_length=200)
    metric: str = Field(min_length=1, max_length=64)
    target_value: float = Field(gt=0, allow_inf_nan=False)
    year: int = Field(ge=2000, le=2100)


class ReportIn(CleanInput):
    model_config = ConfigDict(extra="forbid")

    value: float = Field(ge=0, allow_inf_nan=False)
    note: str | None = Field(default=None, max_length=5000)
    evidence_sha256: list[str] = Field(default_factory=list, max_length=20)


def target_progress(targets: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """Per target: reported total, completion % (uncapped) and its display value (≤ 100 %).

    ``targets``: id, unit_id, action_code, metric, target_value. ``reports``: target_id,
    value. Completion = Σ reported ÷ target × 100.

    Examples
    --------
    >>> t = pd.DataFrame({"id": [1, 2], "unit_id": [7, 7], "action_code": ["a", "a"],
    ...     "metric": ["new_green_area_ha", "investment_wan_yuan"], "target_value": [10.0, 500.0]})
    >>> r = pd.DataFrame({"target_id": [1, 1, 2], "value": [4.0, 2.5, 600.0]})
    >>> done = target_progress(t, r)
    >>> done[["reported", "completion_pct", "completion_display_pct"]].values.tolist()
    [[6.5, 65.0, 65.0], [600.0, 120.0, 100.0]]
    """
    sums = reports.groupby("target_id")["value"].sum() if len(reports) else pd.Series(dtype=float)
    out = targets.copy()
    out["reported"] = out["id"].map(sums).fillna(0.0).astype(float)
    out["completion_pct"] = (out["reported"] / out["target_value"] * 100).round(2)
    out["completion_display_pct"] = out["completion_pct"].clip(upper=100.0)
    return out


def rollup(progress: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Sum targets and reports of the same metric over ``by`` (e.g. ["metric"] for the city,
    ["action_code", "metric"] per campaign action); completion recomputed from the sums."""
    grouped = progress.groupby(by, as_index=False)[["target_value", "reported"]].sum()
    grouped["completion_pct"] = (grouped["reported"] / grouped["target_value"] * 100).round(2)
    return grouped


def create_target(session: Session, ctx: ServiceContext, actor: User, data: TargetIn) -> Target:
    authorize(actor, "target.manage")
    unit = session.get(Unit, data.unit_id)
    if unit is None:
        raise InvalidRequestError(MESSAGES.message("errors.unit_missing", unit_id=data.unit_id))
    if data.metric not in ctx.config.target_metrics:
        known = sorted(ctx.config.target_metrics)
        raise InvalidRequestError(
            MESSAGES.message("errors.unknown_metric", metric=data.metric, known=known)
        )
    target = Target(**data.model_dump(), created_at=ctx.now())
    session.add(target)
    _flush_unique(session, MESSAGES.message("errors.target_taken"))
    audit(session, ctx, actor, "target.create", target, data.model_dump())
    return target


def add_report(
    session: Session, ctx: ServiceContext, actor: User, target_id: int, data: ReportIn
) -> TargetReport:
    """A district reports progress; evidence files must already be in the file store."""
    target = session.get(Target, target_id)
    if target is None:
        raise NotFoundError(MESSAGES.message("errors.target_not_found", target_id=target_id))
    authorize(
        actor, "target.report", unit_ids=[target.unit_id], tree=UnitTree.from_session(session)
    )
    missing = [sha for sha in data.evidence_sha256 if not ctx.files.exists(sha)]
    if missing:
        raise InvalidRequestError(MESSAGES.message("errors.evidence_missing", files=missing))
    report = TargetReport(
        target_id=target_id,
        value=data.value,
        note=data.note,
        evidence={"sha256": data.evidence_sha256},
        reporter_id=actor.id,
        reported_at=ctx.now(),
    )
    session.add(report)
    session.flush()
    return report


def progress_table(session: Session, actor: User, year: int | None = None) -> dict[str, Any]:
    """Every target with its progress, plus roll-ups per action and for the city."""
    authorize(actor, "target.view")
    query = select(
        Target.id,
        Target.unit_id,
        Target.action_code,
        Target.action_name,
        Target.metric,
        Target.target_value,
        Target.year,
    )
    if year is not None:
        query = query.where(Target.year == year)
    targets = pd.DataFrame(
        session.execute(query.order_by(Target.id)).all(),
        columns=["id", "unit_id", "action_code", "action_name", "metric", "target_value", "year"],
    )
    reports = pd.DataFrame(
        session.execute(select(TargetReport.target_id, TargetReport.value)).all(),
        columns=["target_id", "value"],
    )
    progress = target_progress(targets, reports)
    return {
        "targets": progress.to_dict("records"),
        "by_action": rollup(progress, ["action_code", "metric"]).to_dict("records")
        if len(progress)
        else [],
        "city": rollup(progress, ["metric"]).to_dict("records") if len(progress) else [],
    }
