"""Maintenance scores from the database: latest per site, per unit and district over time,
the ranking's maintenance term and the worst-kept sites (formulas: :mod:`.scoring`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.unit_names import unit_labels
from gardencity.campaign.ranking import period_bounds
from gardencity.maintenance.checklists import Checklists, SiteType
from gardencity.maintenance.models import InspectionItem, MaintainedSite, MaintenanceInspection
from gardencity.maintenance.scoring import latest_site_scores, period_scores

__all__ = [
    "FRAME_COLUMNS",
    "inspection_frame",
    "maintenance_by_unit",
    "score_history",
    "site_table",
    "worst_sites",
]

FRAME_COLUMNS = [
    "inspection_id",
    "site_id",
    "site_name",
    "site_type",
    "unit_id",
    "district_id",
    "score",
    "grade",
    "inspected_at",
]


def inspection_frame(
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    district_id: int | None = None,
    site_ids: set[int] | None = None,
) -> pd.DataFrame:
    """One row per inspection (in ``[start, end)`` when given), with its site's unit and
    district."""
    query = select(
        MaintenanceInspection.id,
        MaintainedSite.id,
        MaintainedSite.name,
        MaintainedSite.site_type,
        MaintainedSite.unit_id,
        MaintainedSite.district_id,
        MaintenanceInspection.score,
        MaintenanceInspection.grade,
        MaintenanceInspection.inspected_at,
    ).join(MaintainedSite, MaintainedSite.id == MaintenanceInspection.site_id)
    if start is not None:
        query = query.where(MaintenanceInspection.inspected_at >= start)
    if end is not None:
        query = query.where(MaintenanceInspection.inspected_at < end)
    if district_id is not None:
        query = query.where(MaintainedSite.district_id == district_id)
    if site_ids is not None:
        query = query.where(MaintainedSite.id.in_(sorted(site_ids)))
    rows = session.execute(query.order_by(MaintenanceInspection.id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=FRAME_COLUMNS)


def maintenance_by_unit(session: Session, start: datetime, end: datetime) -> pd.Series:
    """The ranking's maintenance input: each unit's period score (0–100) over the sites it
    answers for, and each district's over the sites in it; units without an inspected site
    are absent (the ranking gives them their level's mean)."""
    frame = inspection_frame(session, start, end)
    units = period_scores(frame, "unit_id")
    districts = period_scores(frame, "district_id")
    combined: pd.Series = pd.concat([units[~units.index.isin(districts.index)], districts])
    return combined.sort_index()


def site_table(
    session: Session, lists: Checklists, lang: str, visible: set[int] | None = None
) -> list[dict[str, Any]]:
    """Every site (those of the units in ``visible`` when given) with its latest score and
    grade (None when never inspected), worst first, never-inspected last."""
    query = select(MaintainedSite).order_by(MaintainedSite.id)
    if visible is not None:
        query = query.where(MaintainedSite.unit_id.in_(sorted(visible)))
    sites = session.scalars(query).all()
    names = unit_labels(session, lang)
    latest = latest_site_scores(inspection_frame(session, site_ids={s.id for s in sites}))
    by_site = {int(r["site_id"]): r for r in latest.to_dict("records")}
    rows = []
    for site in sites:
        last = by_site.get(site.id)
        spec = lists.site_types.get(site.site_type)
        grade = lists.grade_for(float(last["score"])) if last else None
        rows.append(
            {
                "id": site.id,
                "code": site.code,
                "name": site.name,
                "site_type": site.site_type,
                "site_type_label": spec.name.text(lang) if spec else site.site_type,
                "unit_id": site.unit_id,
                "unit_name": names.get(site.unit_id, ""),
                "district_id": site.district_id,
                "district_name": names.get(site.district_id, "") if site.district_id else "",
                "lon": site.lon,
                "lat": site.lat,
                "address": site.address,
                "latest_score": float(last["score"]) if last else None,
                "latest_grade": grade.name.text(lang) if grade else None,
                "latest_inspected_at": last["inspected_at"] if last else None,
            }
        )
    rows.sort(key=lambda r: (r["latest_score"] is None, r["latest_score"] or 0, r["id"]))
    return rows


def score_history(
    session: Session, by: str, period: str, periods: int, now: datetime, tz: str
) -> list[dict[str, Any]]:
    """Period scores of each unit or district (``by``: unit_id or district_id) for the last
    ``periods`` weeks or months up to the one containing ``now``: one row per period and
    unit with a score; periods without inspections have no rows (unknown, not 0)."""
    bounds = []
    end = period_bounds(period, now, tz)[1]
    for _ in range(periods):
        start, stop = period_bounds(period, end - timedelta(seconds=1), tz)
        bounds.append((start, stop))
        end = start
    rows = []
    for start, stop in reversed(bounds):
        scores = period_scores(inspection_frame(session, start, stop), by)
        rows += [
            {"period_start": start, "period_end": stop, "unit_id": int(str(u)), "score": float(v)}
            for u, v in scores.items()
        ]
    return rows


def worst_sites(session: Session, lists: Checklists, lang: str, limit: int) -> list[dict[str, Any]]:
    """曝光台: the sites whose latest inspection scored lowest (below the top grade), with
    the items they failed and the photos of them."""
    top = max(g.min for g in lists.grades)
    rows = [
        r
        for r in site_table(session, lists, lang)
        if r["latest_score"] is not None and r["latest_score"] < top
    ][:limit]
    latest_ids = {  # site -> its latest inspection (the last one in time order wins)
        int(s): int(i)
        for s, i in session.execute(
            select(MaintenanceInspection.site_id, MaintenanceInspection.id).order_by(
                MaintenanceInspection.inspected_at, MaintenanceInspection.id
            )
        ).all()
    }
    wanted = {latest_ids[r["id"]] for r in rows if r["id"] in latest_ids}
    failed = session.execute(
        select(InspectionItem).where(
            InspectionItem.inspection_id.in_(sorted(wanted)), InspectionItem.result == "fail"
        )
    ).scalars()
    by_inspection: dict[int, list[InspectionItem]] = {}
    for item in failed:
        by_inspection.setdefault(item.inspection_id, []).append(item)
    for row in rows:
        spec = lists.site_types.get(row["site_type"])
        items = by_inspection.get(latest_ids.get(row["id"], 0), [])
        row["failed_items"] = [
            {
                "code": i.item_code,
                "name": _item_name(spec, i.item_code, lang),
                "case_id": i.case_id,
                "photo_id": i.attachment_id,
            }
            for i in items
        ]
    return rows


def _item_name(spec: SiteType | None, code: str, lang: str) -> str:
    item = spec.item(code) if spec is not None else None
    return item.name.text(lang) if item is not None else code
