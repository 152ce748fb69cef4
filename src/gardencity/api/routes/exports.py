"""CSV and Excel exports of case lists and rankings in the reader's language (headers,
labels, unit names, dates in the city's time zone; CSV with a BOM so Excel opens it in
UTF-8), written by :mod:`gardencity.office`: what users typed never runs as a formula, and
control characters never break the file."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from gardencity.api.case_filters import CaseFilters
from gardencity.api.deps import Ctx, CurrentUser, DbSession, Lang
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.api.presenters import is_overdue
from gardencity.auth.permissions import authorize
from gardencity.auth.unit_names import unit_labels
from gardencity.campaign import lookup, service
from gardencity.campaign.models import FlagAward
from gardencity.campaign.ranking import CITY_TIME_ZONE
from gardencity.messages import Catalogue
from gardencity.office.cells import CSV_TYPE, csv_bytes
from gardencity.office.workbook import sheet_from_frame, workbook_bytes
from gardencity.vocabulary import vocabulary
from gardencity.vocabulary.dates import local_date, local_time

router = APIRouter(prefix="/api/v1/exports", tags=["exports"], responses=ERROR_RESPONSES)
MESSAGES = Catalogue(__package__)

CASE_COLUMNS = (
    "reference",
    "category",
    "title",
    "status",
    "unit",
    "grid",
    "priority",
    "created_at",
    "deadline_at",
    "closed_at",
    "overdue",
    "escalation_level",
    "sent_back_count",
    "lon",
    "lat",
)
RANKING_COLUMNS = (
    "period_start",
    "level",
    "ranked_unit",
    "score",
    "rank",
    "flag",
    "cases_handled",
    "closure_rate",
    "on_time_rate",
    "rework_rate",
    "spot_check_score",
)
MEDIA = {
    "csv": CSV_TYPE,
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}}
}


def _word(key: str, lang: str, **params: Any) -> str:
    return MESSAGES.text(f"exports.{key}", lang, **params)


def _headed(rows: list[dict[str, Any]], columns: tuple[str, ...], lang: str) -> pd.DataFrame:
    """The rows as a table with the columns' headers in ``lang``."""
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.rename(columns={key: _word(key, lang) for key in columns})


def _decimals(places: dict[str, int], lang: str) -> dict[str, int]:
    return {_word(key, lang): n for key, n in places.items()}


def _file(
    frame: pd.DataFrame,
    name: str,
    fmt: str,
    *,
    sheet: str,
    title: str,
    organisation: str,
    decimals: dict[str, int] | None = None,
    lang: str = "zh",
) -> Response:
    """CSV (UTF-8 with BOM) or an office workbook (title, frozen header, rounding, A4)."""
    if fmt == "csv":
        content = csv_bytes(frame)
    else:
        table = sheet_from_frame(frame, sheet, title, decimals=decimals)
        content = workbook_bytes([table], organisation=organisation, lang=lang)
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
    lang: Lang,
    fmt: Literal["csv", "xlsx"],
    filters: CaseFilters,
) -> Response:
    """The filtered case list you may see (up to 10,000 rows) as CSV or Excel, in the
    request's language (``?lang=``, the pages' cookie, then ``Accept-Language``)."""
    authorize(user, "case.export")
    filters = filters.model_copy(update={"page": 1, "per_page": 10_000})
    cases, _ = service.list_cases(session, ctx, user, filters.model_copy())
    names = unit_labels(session, lang)
    settings = request.app.state.settings
    zone, words = settings.timezone, vocabulary()

    def when(value: datetime | None) -> str:
        return local_time(value, lang, zone)

    rows = [
        {
            "reference": c.reference,
            "category": lookup.category_label(ctx.config, c.category, lang),
            "title": c.title,
            "status": lookup.status_label(ctx.config, c.status, lang),
            "unit": names.get(c.unit_id, "") if c.unit_id else "",
            "grid": c.grid_code,
            "priority": words.label("priorities", c.priority, lang),
            "created_at": when(c.created_at),
            "deadline_at": when(c.deadline_at),
            "closed_at": when(c.closed_at),
            "overdue": _word("yes" if is_overdue(c, ctx) else "no", lang),
            "escalation_level": c.escalation_level,
            "sent_back_count": c.sent_back_count,
            "lon": round(c.lon, 6),
            "lat": round(c.lat, 6),
        }
        for c in cases
    ]
    city = settings.city(lang)
    return _file(
        _headed(rows, CASE_COLUMNS, lang),
        "cases",
        fmt,
        sheet=_word("cases_sheet", lang),
        title=_word("cases_title", lang, city=city),
        organisation=_word("organisation", lang, city=city),
        decimals=_decimals({"lon": 6, "lat": 6}, lang),
        lang=lang,
    )


@router.get(
    "/rankings.{fmt}",
    operation_id="export_rankings",
    response_class=Response,
    responses=FILE_RESPONSES,
)
def export_rankings(
    request: Request, session: DbSession, user: CurrentUser, lang: Lang, fmt: Literal["csv", "xlsx"]
) -> Response:
    """Every computed period's ranking, newest first (红黑榜), in the request's language."""
    authorize(user, "case.export")
    names = unit_labels(session, lang)
    rows = session.scalars(
        select(FlagAward).order_by(
            FlagAward.period_start.desc(), FlagAward.level, FlagAward.rank, FlagAward.unit_id
        )
    ).all()
    settings, words = request.app.state.settings, vocabulary()
    table = [
        {
            "period_start": local_date(r.period_start, lang, CITY_TIME_ZONE),
            "level": words.label("levels", r.level, lang),
            "ranked_unit": names.get(r.unit_id, str(r.unit_id)),
            "score": r.score,
            "rank": r.rank,
            "flag": words.label("flags", r.flag, lang) if r.flag else "",
            "cases_handled": r.details.get("handled"),
            **_rates(r.details),
            "spot_check_score": r.details.get("spot_check_score"),
        }
        for r in rows
    ]
    city = settings.city(lang)
    rates = ("score", "closure_rate", "on_time_rate", "rework_rate", "spot_check_score")
    return _file(
        _headed(table, RANKING_COLUMNS, lang),
        "rankings",
        fmt,
        sheet=_word("rankings_sheet", lang),
        title=_word("rankings_title", lang, city=city),
        organisation=_word("organisation", lang, city=city),
        decimals=_decimals({**dict.fromkeys(rates, 1), "rank": 0, "cases_handled": 0}, lang),
        lang=lang,
    )


def _rates(details: dict[str, Any]) -> dict[str, float | None]:
    """A ranked unit's rates in %; none (an empty cell, not 0) where it handled no case in
    the period, as the rankings page says."""
    keys = ("closure_rate", "on_time_rate", "rework_rate")
    if not details.get("handled"):
        return dict.fromkeys(keys)
    return {key: _percent(details.get(key)) for key in keys}


def _percent(value: object) -> float | None:
    return None if value is None else 100.0 * float(value)  # type: ignore[arg-type]
