"""CSV and Excel exports of case lists and rankings (Chinese headers; CSV with a BOM so
Excel opens it in UTF-8), written by :mod:`gardencity.office`: what users typed never runs
as a formula, and control characters never break the file."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from gardencity.api.case_filters import CaseFilters
from gardencity.api.deps import Ctx, CurrentUser, DbSession
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.api.presenters import is_overdue
from gardencity.auth.models import Unit
from gardencity.auth.permissions import authorize
from gardencity.campaign import lookup, service
from gardencity.campaign.models import FlagAward
from gardencity.office.cells import CSV_TYPE, csv_bytes
from gardencity.office.workbook import sheet_from_frame, workbook_bytes
from gardencity.vocabulary import vocabulary
from gardencity.vocabulary.dates import chinese_datetime

router = APIRouter(prefix="/api/v1/exports", tags=["exports"], responses=ERROR_RESPONSES)

CASE_COLUMNS = {
    "reference": "案卷编号",
    "category": "类别",
    "title": "标题",
    "status_label": "状态",
    "unit": "责任单位",
    "grid_code": "网格",
    "priority": "优先级",
    "created_at": "上报时间",
    "deadline_at": "处置时限",
    "closed_at": "结案时间",
    "overdue": "是否超期",
    "escalation_level": "升级级别",
    "sent_back_count": "退回次数",
    "lon": "经度（°）",
    "lat": "纬度（°）",
}
MEDIA = {
    "csv": CSV_TYPE,
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}}
}


def _when(value: datetime | None) -> str:
    """A time as offices write it: 2026年5月1日 08:30."""
    return "" if value is None else chinese_datetime(value)


def _file(
    frame: pd.DataFrame,
    name: str,
    fmt: str,
    *,
    sheet: str,
    title: str,
    organisation: str,
    decimals: dict[str, int] | None = None,
) -> Response:
    """CSV (UTF-8 with BOM) or an office workbook (title, frozen header, rounding, A4)."""
    if fmt == "csv":
        content = csv_bytes(frame)
    else:
        table = sheet_from_frame(frame, sheet, title, decimals=decimals)
        content = workbook_bytes([table], organisation=organisation)
    return Response(
        content,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


@router.get(
    "/cases.{fmt}",
    operation_id="export_cases",
    response_class=Response,
    responses=FILE_RESPONSES,
)
def export_cases(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    fmt: Literal["csv", "xlsx"],
    filters: CaseFilters,
) -> Response:
    """The filtered case list you may see (up to 10,000 rows) as CSV or Excel."""
    authorize(user, "case.export")
    filters = filters.model_copy(update={"page": 1, "per_page": 10_000})
    cases, _ = service.list_cases(session, ctx, user, filters.model_copy())
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    rows = [
        {
            "reference": c.reference,
            "category": lookup.category(ctx.config, c.category).name_zh
            if c.category in ctx.config.categories
            else c.category,
            "title": c.title,
            "status_label": lookup.status_label(ctx.config, c.status),
            "unit": names.get(c.unit_id, "") if c.unit_id else "",
            "grid_code": c.grid_code,
            "priority": vocabulary().label("priorities", c.priority, "zh"),
            "created_at": _when(c.created_at),
            "deadline_at": _when(c.deadline_at),
            "closed_at": _when(c.closed_at),
            "overdue": "是" if is_overdue(c, ctx) else "否",
            "escalation_level": c.escalation_level,
            "sent_back_count": c.sent_back_count,
            "lon": round(c.lon, 6),
            "lat": round(c.lat, 6),
        }
        for c in cases
    ]
    frame = pd.DataFrame(rows, columns=list(CASE_COLUMNS)).rename(columns=CASE_COLUMNS)
    city = request.app.state.settings.city_name
    return _file(
        frame,
        "cases",
        fmt,
        sheet="问题案卷",
        title=f"{city}问题案卷清单",
        organisation=f"{city}创建园林城市工作领导小组办公室",
        decimals={"经度（°）": 6, "纬度（°）": 6},
    )


@router.get(
    "/rankings.{fmt}",
    operation_id="export_rankings",
    response_class=Response,
    responses=FILE_RESPONSES,
)
def export_rankings(
    request: Request, session: DbSession, user: CurrentUser, fmt: Literal["csv", "xlsx"]
) -> Response:
    """Every computed period's ranking, newest first (红黑榜)."""
    authorize(user, "case.export")
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    rows = session.scalars(
        select(FlagAward).order_by(
            FlagAward.period_start.desc(), FlagAward.level, FlagAward.rank, FlagAward.unit_id
        )
    ).all()
    words = vocabulary()
    frame = pd.DataFrame(
        [
            {
                "周期开始": _when(r.period_start)[:-6],
                "层级": words.label("levels", r.level, "zh"),
                "单位": names.get(r.unit_id, str(r.unit_id)),
                "得分": r.score,
                "名次": r.rank,
                "旗帜": words.label("flags", r.flag, "zh") if r.flag else "",
                "结案率（%）": _percent(r.details.get("closure_rate")),
                "按期率（%）": _percent(r.details.get("on_time_rate")),
                "返工率（%）": _percent(r.details.get("rework_rate")),
                "抽查得分": r.details.get("spot_check_score"),
            }
            for r in rows
        ],
        columns=[
            "周期开始",
            "层级",
            "单位",
            "得分",
            "名次",
            "旗帜",
            "结案率（%）",
            "按期率（%）",
            "返工率（%）",
            "抽查得分",
        ],
    )
    city = request.app.state.settings.city_name
    return _file(
        frame,
        "rankings",
        fmt,
        sheet="红黑榜",
        title=f"{city}创建工作红黑榜考评结果",
        organisation=f"{city}创建园林城市工作领导小组办公室",
        decimals={"得分": 1, "结案率（%）": 1, "按期率（%）": 1, "返工率（%）": 1, "抽查得分": 1},
    )


def _percent(value: object) -> float | None:
    return None if value is None else 100.0 * float(value)  # type: ignore[arg-type]
