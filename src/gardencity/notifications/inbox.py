"""Every user's inbox: their notifications (unread first in the count), the cases waiting
for *their* action, and the deadlines of the next 24 hours.

Notifications are the outbox rows of channel ``inbox`` (written with the event, so the
unread count moves the moment a case is dispatched). "My cases" follows the workflow table:
the states from which the user's role takes a working action (dispatch, accept, submit,
verify), within the user's scope; a leader's are the overdue cases of their contact points.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gardencity.auth.models import LeaderAssignment, Unit, User
from gardencity.auth.permissions import UnitTree, authorize
from gardencity.auth.unit_names import unit_label
from gardencity.campaign import lookup
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.models import Case
from gardencity.campaign.service import CLOCK_RUNNING, case_scope
from gardencity.campaign.states import TRANSITIONS
from gardencity.notifications.config import NotificationConfig
from gardencity.notifications.events import text
from gardencity.notifications.models import Notification
from gardencity.notifications.render import render

__all__ = ["InboxItem", "WorkCase", "inbox_items", "mark_read", "my_work", "unread_count"]

WORK_ACTIONS = ("dispatch", "accept", "submit", "verify")
N = Notification


class InboxItem(BaseModel):
    id: int
    event: str
    event_label: str
    title: str
    summary: str
    link: str | None
    case_id: int | None
    reference: str | None
    created_at: datetime
    read: bool


class WorkCase(BaseModel):
    id: int
    reference: str
    category_label: str
    status: str
    status_label: str
    unit_name: str | None
    deadline_at: datetime | None
    overdue: bool
    hours_left: float | None


def _mine(user: User) -> Any:
    return (N.user_id == user.id, N.channel == "inbox")


def unread_count(session: Session, user: User) -> int:
    authorize(user, "inbox.view")
    return int(
        session.scalar(select(func.count(N.id)).where(*_mine(user), N.read_at.is_(None))) or 0
    )


def _link(payload: dict[str, Any], user: User) -> str | None:
    event = payload.get("event")
    case = payload.get("case") or {}
    if payload.get("resident") or user.role == "resident":
        return f"/public?ref={case['reference']}" if case.get("reference") else None
    if event == "digest":
        return "/cases?overdue=true"
    if event == "flags_computed":
        return "/rankings"
    if event == "patrol_gap":
        return "/cockpit#patrol-gaps"
    return f"/cases/{case['id']}" if case.get("id") else None


def inbox_items(
    session: Session,
    user: User,
    config: NotificationConfig,
    lang: str,
    *,
    before: int | None = None,
    limit: int = 30,
) -> list[InboxItem]:
    """The user's newest notifications (older than id ``before`` for the next page)."""
    authorize(user, "inbox.view")
    query = select(N).where(*_mine(user))
    if before is not None:
        query = query.where(N.id < before)
    rows = session.scalars(query.order_by(N.id.desc()).limit(limit)).all()
    items = []
    for row in rows:
        payload = dict(row.payload or {})
        message = render(payload, lang, config, resident=bool(payload.get("resident")))
        if message.paragraph and not message.fields:
            summary = message.paragraph
        else:
            summary = " · ".join(value for _, value in message.fields[:5])
        case = payload.get("case") or {}
        items.append(
            InboxItem(
                id=row.id,
                event=row.event,
                event_label=text(f"event.{row.event}", lang),
                title=message.title,
                summary=summary,
                link=_link(payload, user),
                case_id=row.case_id,
                reference=case.get("reference"),
                created_at=row.created_at,
                read=row.read_at is not None,
            )
        )
    return items


def mark_read(session: Session, ctx: ServiceContext, user: User, ids: list[int] | None) -> int:
    """Mark the user's notifications ``ids`` (all if None) read; the unread count after."""
    authorize(user, "inbox.view")
    query = update(N).where(*_mine(user), N.read_at.is_(None))
    if ids is not None:
        query = query.where(N.id.in_(ids))
    session.execute(query.values(read_at=ctx.now()))
    return unread_count(session, user)


def _work_statuses(role: str) -> list[str]:
    return sorted(
        {
            state.value
            for action in WORK_ACTIONS
            for state in TRANSITIONS[action].sources
            if role in {str(r) for r in TRANSITIONS[action].roles}
        }
    )


def my_work(
    session: Session, ctx: ServiceContext, user: User, lang: str, *, limit: int = 50
) -> dict[str, Any]:
    """Cases waiting for the user's action, and the user's cases due within 24 hours
    (overdue ones first), each at most ``limit``, with their totals."""
    authorize(user, "inbox.view")
    tree = UnitTree.from_session(session)
    now = ctx.now()
    scope = case_scope(user, tree)
    running = Case.status.in_(sorted(CLOCK_RUNNING))
    if user.role == "leader":
        points = session.scalars(
            select(LeaderAssignment.unit_id).where(LeaderAssignment.user_id == user.id)
        ).all()
        units = sorted(set().union(*(tree.subtree(u) for u in points))) if points else []
        waiting: Any = Case.unit_id.in_(units) & running & (Case.deadline_at < now)
    else:
        waiting = scope & Case.status.in_(_work_statuses(user.role))
    due = scope & running & (Case.deadline_at < now + timedelta(hours=24))
    return {
        "action": _cases(session, ctx, waiting, now, lang, limit),
        "due_soon": _cases(session, ctx, due, now, lang, limit),
    }


def _cases(
    session: Session, ctx: ServiceContext, where: Any, now: datetime, lang: str, limit: int
) -> dict[str, Any]:
    total = session.scalar(select(func.count(Case.id)).where(where)) or 0
    rows = session.execute(
        select(Case, Unit.name, Unit.name_en)
        .outerjoin(Unit, Unit.id == Case.unit_id)
        .where(where)
        .order_by(Case.deadline_at.is_(None), Case.deadline_at, Case.id)
        .limit(limit)
    ).all()
    items = []
    for case, unit_name, unit_name_en in rows:
        running = case.status in CLOCK_RUNNING and case.deadline_at is not None
        left = (
            (case.deadline_at - now).total_seconds() / 3600
            if running and case.deadline_at
            else None
        )
        items.append(
            WorkCase(
                id=case.id,
                reference=case.reference,
                category_label=lookup.category_label(ctx.config, case.category, lang),
                status=case.status,
                status_label=lookup.status_label(ctx.config, case.status, lang),
                unit_name=unit_label(unit_name, unit_name_en, lang) if unit_name else None,
                deadline_at=case.deadline_at,
                overdue=left is not None and left < 0,
                hours_left=round(left, 1) if left is not None else None,
            )
        )
    return {"total": int(total), "items": items}
