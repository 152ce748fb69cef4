"""CSV and Excel exports of case lists and rankings (Chinese headers; CSV with a BOM so
Excel opens it in UTF-8)."""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy import select

from gardencity.api.deps import Ctx, CurrentUser, DbSession
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.api.presenters import is_overdue
from gardencity.api.routes.cases import _filters
from gardencity.auth.models import Unit
from gardencity.auth.permissions import authorize
from gardencity.campaign import lookup, service
from gardencity.campaign.models import FlagAward
from gardencity.campaign.schemas import CaseFilter

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
    "lon": "经度",
    "lat": "纬度",
}
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}}
}


def _file(frame: pd.DataFrame, name: str, fmt: str) -> Response:
    if fmt == "csv":
        content = frame.to_csv(index=False).encode("utf-8-sig")
    else:
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name=name[:31])
        content = buffer.getvalue()
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
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    fmt: Literal["csv", "xlsx"],
    filters: Annotated[CaseFilter, Depends(_filters)],
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
            "priority": c.priority,
            "created_at": c.created_at.isoformat(),
            "deadline_at": c.deadline_at.isoformat() if c.deadline_at else "",
            "closed_at": c.closed_at.isoformat() if c.closed_at else "",
            "overdue": "是" if is_overdue(c, ctx) else "否",
            "escalation_level": c.escalation_level,
            "sent_back_count": c.sent_back_count,
            "lon": round(c.lon, 6),
            "lat": round(c.lat, 6),
        }
        for c in cases
    ]
    frame = pd.DataFrame(rows, columns=list(CASE_COLUMNS)).rename(columns=CASE_COLUMNS)
    return _file(frame, "cases", fmt)


@router.get(
    "/rankings.{fmt}",
    operation_id="export_rankings",
    response_class=Response,
    responses=FILE_RESPONSES,
)
def export_rankings(session: DbSession, user: CurrentUser, fmt: Literal["csv", "xlsx"]) -> Response:
    """Every computed period's ranking, newest first (红黑榜)."""
    authorize(user, "case.export")
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    rows = session.scalars(
        select(FlagAward).order_by(
            FlagAward.period_start.desc(), FlagAward.level, FlagAward.rank, FlagAward.unit_id
        )
    ).all()
    flag_zh = {"red": "红旗", "black": "黑旗", None: ""}
    frame = pd.DataFrame(
        [
            {
                "周期开始": r.period_start.isoformat(),
                "层级": r.level,
                "单位": names.get(r.unit_id, str(r.unit_id)),
                "得分": r.score,
                "名次": r.rank,
                "旗帜": flag_zh.get(r.flag, r.flag),
                "结案率": r.details.get("closure_rate"),
                "按期率": r.details.get("on_time_rate"),
                "返工率": r.details.get("rework_rate"),
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
            "结案率",
            "按期率",
            "返工率",
            "抽查得分",
        ],
    )
    return _file(frame, "rankings", fmt)
