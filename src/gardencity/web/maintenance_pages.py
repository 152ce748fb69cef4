"""The maintenance pages: the inspector's check-list on the phone, the scores, and the
weekly patrol and maintenance summary (printable A4, with its workbook)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from gardencity.api.lang import request_lang
from gardencity.api.patrol_inputs import patrol_summary_rows
from gardencity.auth.models import Unit
from gardencity.auth.permissions import PERMISSIONS, UnitTree
from gardencity.auth.unit_names import unit_label
from gardencity.campaign.context import ServiceContext
from gardencity.db.engine import Database
from gardencity.errors import InvalidRequestError
from gardencity.maintenance import weekly
from gardencity.maintenance.checklists import Checklists
from gardencity.settings import Settings
from gardencity.vocabulary.dates import in_zone, local_date
from gardencity.web.i18n import messages
from gardencity.web.pages import PageUser, login_redirect, page_user, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _allowed(request: Request, permission: str) -> PageUser | Response:
    user = page_user(request)
    if user is None:
        return login_redirect(request)
    if user.role not in {str(r) for r in PERMISSIONS[permission]}:
        return RedirectResponse("/", status_code=303)
    return user


@router.get("/maintenance")
def inspection_page(request: Request) -> Response:
    """养护检查 on the phone: choose a site, mark each item, a photo for each failed one."""
    user = _allowed(request, "maintenance.inspect")
    if not isinstance(user, PageUser):
        return user
    return render(request, "maintenance", user)


def _districts(request: Request, user: PageUser) -> list[dict[str, Any]]:
    db: Database = request.app.state.db
    with db.session() as session:
        rows = session.execute(
            select(Unit.id, Unit.name, Unit.name_en)
            .where(Unit.kind == "district")
            .order_by(Unit.id)
        ).all()
        if user.role in ("admin", "leader") or user.unit_id is None:
            visible = None
        else:
            tree = UnitTree.from_session(session)
            visible = tree.subtree(user.unit_id) | _ancestors(tree, user.unit_id)
    lang = request_lang(request)
    return [
        {"id": r.id, "name": unit_label(r.name, r.name_en, lang)}
        for r in rows
        if visible is None or r.id in visible
    ]


def _ancestors(tree: UnitTree, unit_id: int) -> set[int]:
    found, current = set(), tree.parent.get(unit_id)
    while current is not None:
        found.add(current)
        current = tree.parent.get(current)
    return found


@router.get("/maintenance-scores")
def scores_page(request: Request) -> Response:
    user = _allowed(request, "maintenance.view")
    if not isinstance(user, PageUser):
        return user
    districts = _districts(request, user)
    return render(request, "maintenance-scores", user, districts=districts)


@router.get("/maintenance-weekly")
def weekly_page(request: Request) -> Response:
    """The weekly summary of a district as a printable page (A4, office style)."""
    user = _allowed(request, "maintenance.view")
    if not isinstance(user, PageUser):
        return user
    lang = request_lang(request)
    t = messages(lang)
    settings: Settings = request.app.state.settings
    ctx: ServiceContext = request.app.state.ctx
    districts = _districts(request, user)
    try:
        district_id = int(request.query_params.get("district_id") or districts[0]["id"])
        day = (
            date.fromisoformat(request.query_params.get("day") or "")
            if request.query_params.get("day")
            else in_zone(ctx.now(), settings.timezone).date()
        )
    except (ValueError, IndexError):
        district_id, day = 0, in_zone(ctx.now(), settings.timezone).date()
    summary, problem = None, None
    if district_id not in {d["id"] for d in districts}:
        problem = t["mw_no_district"]
    else:
        lists: Checklists = request.app.state.checklists
        db: Database = request.app.state.db
        start, end = weekly.week_bounds(day, settings.timezone)
        with db.session() as session:
            try:
                summary = weekly.weekly_summary(
                    session,
                    lists,
                    district_id,
                    day,
                    tz=settings.timezone,
                    lang=lang,
                    patrol_rows=patrol_summary_rows(
                        session, district_id, start, end, settings=settings
                    ),
                )
            except InvalidRequestError as exc:
                problem = exc.text(lang)
    return render(
        request,
        "maintenance-weekly",
        user,
        summary=summary,
        problem=problem,
        districts=districts,
        district_id=district_id,
        day=day.isoformat(),
        today=local_date(ctx.now(), lang, settings.timezone),
        no_patrol_source=weekly.MESSAGES.message("weekly.no_patrol_source").render(lang),
        no_patrol_records=weekly.MESSAGES.message("weekly.no_patrol_records").render(lang),
        no_inspections=weekly.MESSAGES.message("weekly.no_inspections").render(lang),
        period_line=weekly.MESSAGES.message("weekly.period", period=summary["period"]).render(lang)
        if summary
        else "",
    )
