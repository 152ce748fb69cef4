"""The weekly patrol and maintenance summary of a district (巡查与养护情况周报): the figures,
and the workbook in the office layout (:mod:`gardencity.office.workbook`).

The maintenance part comes from this package. The patrol part is handed in by the caller as
``patrol_rows`` — one mapping per patrol team and zone with ``team``, ``zone``, ``patrols``
(number), ``km`` (distance), ``coverage`` (share 0–1 of the zone's grid cells patrolled, or
None) and ``cases`` (filed during the patrols). ``None`` means patrol records are not
connected to the platform: the summary then says so and shows no figure (never a zero); an
empty list means no patrol was recorded that week.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.models import Unit
from gardencity.auth.unit_names import unit_labels
from gardencity.campaign.models import Case
from gardencity.errors import InvalidRequestError
from gardencity.maintenance.checklists import Checklists
from gardencity.maintenance.models import InspectionItem, MaintainedSite
from gardencity.maintenance.scores import inspection_frame
from gardencity.maintenance.scoring import period_scores
from gardencity.messages import Catalogue
from gardencity.office.workbook import Column, Sheet, workbook_bytes
from gardencity.vocabulary.dates import period_text

__all__ = ["PATROL_KEYS", "week_bounds", "weekly_file_name", "weekly_summary", "weekly_workbook"]
MESSAGES = Catalogue(__package__)
PATROL_KEYS = ("team", "zone", "patrols", "km", "coverage", "cases")


def week_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """Monday 00:00 of the week containing ``day`` and the next Monday, local time ``tz``."""
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(), ZoneInfo(tz))
    return start, start + timedelta(days=7)


def weekly_summary(
    session: Session,
    lists: Checklists,
    district_id: int,
    day: date,
    *,
    tz: str,
    lang: str,
    patrol_rows: Sequence[Mapping[str, Any]] | None,
) -> dict[str, Any]:
    """The summary of the week (Monday to Sunday, local time) containing ``day``."""
    district = session.get(Unit, district_id)
    if district is None or district.kind != "district":
        raise InvalidRequestError(MESSAGES.message("problem.unit_unknown", unit=district_id))
    start, end = week_bounds(day, tz)
    frame = inspection_frame(session, start, end, district_id=district_id)
    names = unit_labels(session, lang)
    site_count = len(
        session.scalars(
            select(MaintainedSite.id).where(MaintainedSite.district_id == district_id)
        ).all()
    )
    mean = period_scores(frame, "district_id").get(district_id)
    sites = _site_rows(session, lists, frame, names, lang)
    units = [
        {
            "unit": names.get(int(str(u)), ""),
            "sites": int(frame[frame["unit_id"] == u]["site_id"].nunique()),
            "score": float(v),
        }
        for u, v in period_scores(frame, "unit_id").sort_values().items()
    ]
    grades = Counter(r["grade"] for r in sites)
    failed = Counter(f for r in sites for f in r["failed_names"])
    return {
        "district": names[district.id],
        "title": MESSAGES.message("weekly.title", district=names[district.id]).render(lang),
        "period": period_text(start.date(), end.date(), lang),
        "start": start,
        "end": end,
        "site_count": site_count,
        "inspected_sites": len(sites),
        "inspections": len(frame),
        "mean_score": None if mean is None or pd.isna(mean) else float(mean),
        "grades": [
            {"grade": g.name.text(lang), "sites": grades.get(g.name.text(lang), 0)}
            for g in sorted(lists.grades, key=lambda g: -g.min)
        ],
        "sites": sites,
        "units": units,
        "failed_items": failed.most_common(),
        "cases_filed": sum(r["cases"] for r in sites),
        "cases_closed": sum(r["closed"] for r in sites),
        "patrol_connected": patrol_rows is not None,
        "patrol_rows": [dict(r) for r in patrol_rows or []],
    }


def _site_rows(
    session: Session, lists: Checklists, frame: pd.DataFrame, names: dict[int, str], lang: str
) -> list[dict[str, Any]]:
    if frame.empty:
        return []
    items = session.execute(
        select(InspectionItem.inspection_id, InspectionItem.item_code, Case.status)
        .outerjoin(Case, Case.id == InspectionItem.case_id)
        .where(
            InspectionItem.inspection_id.in_([int(i) for i in frame["inspection_id"]]),
            InspectionItem.result == "fail",
        )
    ).all()
    failed: dict[int, list[tuple[str, str | None]]] = {}
    for inspection_id, code, status in items:
        failed.setdefault(int(inspection_id), []).append((code, status))
    floor = min((g.min for g in lists.grades if g.min > 0), default=0.0)  # lowest passing grade
    rows = []
    for site_id, group in frame.groupby("site_id"):
        first = group.iloc[0]
        spec = lists.site_types.get(str(first["site_type"]))
        score = float(group["score"].mean())
        found = [f for i in group["inspection_id"] for f in failed.get(int(i), [])]
        item_names = [
            spec.item(code).name.text(lang) if spec and spec.item(code) else code  # type: ignore[union-attr]
            for code, _ in found
        ]
        rows.append(
            {
                "site_id": int(str(site_id)),
                "site": str(first["site_name"]),
                "type": spec.name.text(lang) if spec else str(first["site_type"]),
                "unit": names.get(int(first["unit_id"]), ""),
                "inspections": len(group),
                "score": score,
                "grade": lists.grade_for(score).name.text(lang),
                "below_standard": score < floor,
                "failed_names": item_names,
                "failed": "、".join(dict.fromkeys(item_names))
                if lang == "zh"
                else ", ".join(dict.fromkeys(item_names)),
                "cases": sum(1 for _, status in found if status is not None),
                "closed": sum(1 for _, status in found if status == "closed"),
            }
        )
    return sorted(rows, key=lambda r: (r["score"], r["site"]))


#: the sheets' columns: (header's message key, row key, kind, decimals)
SITE_COLUMNS = [
    ("seq", "seq", "integer", 0),
    ("site", "site", "text", 0),
    ("type", "type", "text", 0),
    ("unit", "unit", "text", 0),
    ("inspections", "inspections", "integer", 0),
    ("score", "score", "number", 1),
    ("grade", "grade", "text", 0),
    ("failed", "failed", "text", 0),
    ("cases", "cases", "integer", 0),
    ("closed", "closed", "integer", 0),
]
UNIT_COLUMNS = [
    ("seq", "seq", "integer", 0),
    ("unit", "unit", "text", 0),
    ("sites", "sites", "integer", 0),
    ("mean_score", "score", "number", 1),
]
PATROL_COLUMNS = [
    ("seq", "seq", "integer", 0),
    ("team", "team", "text", 0),
    ("zone", "zone", "text", 0),
    ("patrols", "patrols", "integer", 0),
    ("km", "km", "number", 1),
    ("coverage", "coverage", "number", 1),
    ("found", "cases", "integer", 0),
]


def _columns(spec: Sequence[tuple[str, str, str, int]], lang: str) -> list[Column]:
    return [
        Column(MESSAGES.text(f"weekly_columns.{header}", lang), key, kind, decimals)  # type: ignore[arg-type]
        for header, key, kind, decimals in spec
    ]


def _text(key: str, lang: str, **params: Any) -> str:
    return MESSAGES.text(f"weekly.{key}", lang, **params)


def _numbered(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"seq": n, **r} for n, r in enumerate(rows, start=1)]


def weekly_file_name(district: str, lang: str) -> str:
    """The workbook's file name for a reader of ``lang``.

    >>> weekly_file_name("鼓楼区", "zh"), weekly_file_name("Gulou District", "en")
    ('鼓楼区巡查与养护周报.xlsx', 'Gulou District weekly summary.xlsx')
    """
    return _text("file_name", lang, district=district) + ".xlsx"


def weekly_workbook(summary: Mapping[str, Any], *, city: str, day: date, lang: str = "zh") -> bytes:
    """The summary (made in ``lang``) as an office workbook for a reader of ``lang``, compiled
    by the district's name."""
    mean = summary["mean_score"]
    subtitle = (
        _text(
            "summary_head",
            lang,
            period=summary["period"],
            sites=summary["site_count"],
            inspected=summary["inspected_sites"],
            inspections=summary["inspections"],
        )
        + (
            _text("summary_mean", lang, mean=f"{mean:.1f}")
            if mean is not None
            else _text("summary_no_mean", lang)
        )
        + _text("summary_cases", lang, filed=summary["cases_filed"], closed=summary["cases_closed"])
    )
    if not summary["patrol_connected"]:
        patrol_rows: list[dict[str, Any]] = []
        patrol_note = [_text("no_patrol_source", lang)]
    else:
        patrol_rows = [
            r | {"coverage": None if r.get("coverage") is None else 100 * float(r["coverage"])}
            for r in summary["patrol_rows"]
        ]
        patrol_note = [] if patrol_rows else [_text("no_patrol_records", lang)]
    title = _text("book_title", lang, city=city, title=summary["title"])
    sheets = [
        Sheet(
            _text("sheet_sites", lang),
            title,
            _columns(SITE_COLUMNS, lang),
            _numbered(summary["sites"]),
            subtitle=subtitle,
            notes=[] if summary["sites"] else [_text("no_inspections", lang)],
            highlight=[i for i, r in enumerate(summary["sites"]) if r["below_standard"]],
        ),
        Sheet(
            _text("sheet_units", lang),
            title,
            _columns(UNIT_COLUMNS, lang),
            _numbered(summary["units"]),
            subtitle=_text("unit_scores_note", lang),
        ),
        Sheet(
            _text("sheet_patrols", lang),
            title,
            _columns(PATROL_COLUMNS, lang),
            _numbered(patrol_rows),
            subtitle=_text("period", lang, period=summary["period"]),
            notes=patrol_note,
        ),
    ]
    organisation = _text("organisation", lang, city=city, district=summary["district"])
    return workbook_bytes(sheets, organisation=organisation, day=day, lang=lang)
