"""Red and black flags, spot checks, the exposure board; targets and progress reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from gardencity.api.deps import Ctx, CurrentUser, DbSession, Lang, PathId, QueryId, QueryTime
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.auth.permissions import authorize
from gardencity.auth.unit_names import unit_labels
from gardencity.campaign import flags, service, targets
from gardencity.campaign.models import FlagAward
from gardencity.campaign.ranking import CITY_TIME_ZONE
from gardencity.campaign.schemas import DbId
from gardencity.text import CleanInput
from gardencity.vocabulary.dates import in_zone, period_text

router = APIRouter(prefix="/api/v1", tags=["rankings and targets"], responses=ERROR_RESPONSES)


class FlagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    unit_id: int
    unit_name: str = ""
    level: str
    period: str
    period_start: datetime
    period_end: datetime
    period_label: str = Field(
        default="", description="the period in words, in the city's time zone (2026年12月)"
    )
    score: float | None
    rank: int | None
    flag: str | None
    details: dict[str, Any]


class SpotCheckIn(CleanInput):
    model_config = ConfigDict(extra="forbid")
    unit_id: DbId
    score: float = Field(ge=0, le=100, allow_inf_nan=False)
    note: str | None = Field(default=None, max_length=2000)


def _flags_out(session: DbSession, rows: list[FlagAward], lang: str) -> list[FlagOut]:
    names = unit_labels(session, lang)
    out = []
    for row in rows:
        item = FlagOut.model_validate(row)
        item.unit_name = names.get(row.unit_id, "")
        item.period_label = period_text(
            in_zone(row.period_start, CITY_TIME_ZONE).date(),
            in_zone(row.period_end, CITY_TIME_ZONE).date(),
            lang,
        )
        out.append(item)
    return out


@router.post("/rankings/compute", operation_id="compute_rankings")
def compute_rankings(
    session: DbSession, ctx: Ctx, user: CurrentUser, lang: Lang, when: QueryTime = None
) -> list[FlagOut]:
    """Score and flag every unit for the period containing ``when`` (default: now)."""
    rows = flags.compute_flags(session, ctx, user, when or ctx.now())
    session.commit()
    return _flags_out(session, rows, lang)


@router.get("/rankings", operation_id="list_rankings")
def list_rankings(
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    lang: Lang,
    period_start: QueryTime = None,
    unit_id: QueryId = None,
) -> list[FlagOut]:
    """The flags of one period (default: the latest computed), or one unit's history."""
    authorize(user, "ranking.view")
    query = select(FlagAward)
    if unit_id is not None:
        query = query.where(FlagAward.unit_id == unit_id)
    elif period_start is not None:
        query = query.where(FlagAward.period_start == period_start)
    else:
        latest = session.scalar(
            select(FlagAward.period_start).order_by(FlagAward.period_start.desc())
        )
        query = query.where(FlagAward.period_start == latest)
    rows = session.scalars(
        query.order_by(
            FlagAward.period_start.desc(), FlagAward.level, FlagAward.rank, FlagAward.unit_id
        )
    ).all()
    return _flags_out(session, list(rows), lang)


@router.post("/spot-checks", operation_id="record_spot_check", status_code=201)
def record_spot_check(
    session: DbSession, ctx: Ctx, user: CurrentUser, body: SpotCheckIn
) -> dict[str, Any]:
    """An inspector's spot-check score (0–100) of a unit; it counts in the ranking."""
    check = flags.record_spot_check(session, ctx, user, body.unit_id, body.score, body.note)
    session.commit()
    return {"id": check.id, "unit_id": check.unit_id, "score": check.score}


@router.get("/exposure", operation_id="exposure_board")
def exposure_board(
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    lang: Lang,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    """曝光台: the worst unresolved cases with their photos (units named in the reader's
    language)."""
    authorize(user, "ranking.view")
    return flags.exposure_board(session, ctx, limit, lang)


@router.get("/targets", operation_id="list_targets")
def list_targets(
    session: DbSession,
    user: CurrentUser,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> dict[str, Any]:
    """Targets with progress, rolled up per campaign action and for the city, and per
    campaign action the cases you may see (open, closed, discarded, total)."""
    return targets.progress_table(session, user, year) | {
        "cases_by_action": service.cases_by_action(session, user)
    }


@router.post("/targets", operation_id="create_target", status_code=201)
def create_target(
    session: DbSession, ctx: Ctx, user: CurrentUser, body: targets.TargetIn
) -> dict[str, Any]:
    target = targets.create_target(session, ctx, user, body)
    session.commit()
    return {"id": target.id} | body.model_dump()


@router.post("/targets/{target_id}/reports", operation_id="report_target_progress", status_code=201)
def report_progress(
    session: DbSession, ctx: Ctx, user: CurrentUser, target_id: PathId, body: targets.ReportIn
) -> dict[str, Any]:
    """A district reports progress against a target, with evidence already uploaded."""
    report = targets.add_report(session, ctx, user, target_id, body)
    session.commit()
    return {"id": report.id, "target_id": target_id, "value": report.value}


@router.post("/evidence", operation_id="upload_evidence", status_code=201)
def upload_evidence(
    ctx: Ctx,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="photo, PDF, DOCX or XLSX")],
) -> dict[str, Any]:
    """Upload an evidence file for a target report; returns its SHA-256."""
    authorize(user, "target.report")
    content = file.file.read(ctx.files.max_bytes + 1)
    stored = ctx.files.put(content, filename=file.filename, declared_type=file.content_type)
    return {"sha256": stored.sha256, "media_type": stored.media_type, "size": stored.size}
