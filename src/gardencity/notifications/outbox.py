"""The transactional outbox: notifications are written in the same transaction as the event
they tell about, so a committed event always has its messages and a rolled-back one none.

:class:`Notifier` is the campaign's event listener (``ServiceContext.listener``): the case
service calls :meth:`Notifier.case_event` once for every event it appends, the ranking
:meth:`Notifier.flags_computed`. The scheduler calls :meth:`Notifier.notify_case` for
reminders, with a ``dedupe`` key that makes a second run (or a second server) add nothing.
Delivery happens later, in :mod:`gardencity.notifications.delivery`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from gardencity.campaign import lookup
from gardencity.campaign.config import CampaignConfig
from gardencity.campaign.context import Clock
from gardencity.campaign.models import Case, CaseEvent, FlagAward
from gardencity.notifications.audiences import Reach, Target, reach_of_case, targets
from gardencity.notifications.config import NotificationConfig
from gardencity.notifications.directory import Directory
from gardencity.notifications.events import ACTION_EVENTS, RESIDENT_EVENTS
from gardencity.notifications.models import Notification, ResidentSubscription

__all__ = ["Notifier", "case_payload", "due_at", "insert_once"]

WAKE_KEY = "gardencity_notifications_wake"


def due_at(config: NotificationConfig, channel: str, event: str, now: datetime) -> datetime:
    """When a new message on ``channel`` about ``event`` should leave: after the batching
    window, and not before the quiet hours end."""
    at = now
    batched = channel in config.batching.channels and event not in {"digest", "flags_computed"}
    if batched and config.batching.window_seconds > 0:
        at = now + timedelta(seconds=config.batching.window_seconds)
    local = at.astimezone(config.zone)
    minute = local.hour * 60 + local.minute
    if config.quiet_hours.holds(channel, event, minute):
        wait = config.quiet_hours.minutes_left(minute)
        at = (
            (local + timedelta(minutes=wait)).replace(second=0, microsecond=0).astimezone(at.tzinfo)
        )
    return at


def place_of(case: Case) -> dict[str, Any]:
    """Where the case is, for the message to say in its language: the address, else the grid
    cell, else the coordinates (WGS 84)."""
    return {
        "address": case.address,
        "grid_code": case.grid_code,
        "lonlat": f"{case.lat:.5f}, {case.lon:.5f}",
    }


def case_payload(
    session: Session, campaign: CampaignConfig, case: Case, event: str
) -> dict[str, Any]:
    """A snapshot of what staff messages say about ``case`` — nothing personal in it."""
    directory = Directory.of(session)
    unit_name = directory.unit_name.get(case.unit_id) if case.unit_id else None
    unit_name_en = directory.unit_name_en.get(case.unit_id) if case.unit_id else None
    return {
        "event": event,
        "case": {
            "id": case.id,
            "reference": case.reference,
            "category": case.category,
            "category_zh": lookup.category_label(campaign, case.category, "zh"),
            "category_en": lookup.category_label(campaign, case.category, "en"),
            "status": case.status,
            "place": place_of(case),
            "unit_id": case.unit_id,
            "unit_name": unit_name,
            "unit_name_en": unit_name_en,
            "deadline_at": case.deadline_at.isoformat() if case.deadline_at else None,
            "created_at": case.created_at.isoformat(),
            "source": case.source,
        },
    }


class Notifier:
    """Writes the notifications of campaign events into the outbox (same transaction)."""

    def __init__(self, config: NotificationConfig, campaign: CampaignConfig, clock: Clock) -> None:
        self.config = config
        self.campaign = campaign
        self.clock = clock
        self.wake: Callable[[], None] | None = None  # set by the runtime: deliver soon

    # --- the campaign's listener protocol ------------------------------------------------
    def case_event(self, session: Session, case: Case, case_event: CaseEvent) -> None:
        """A case event was appended (not yet flushed): queue the messages its rules ask for."""
        name = ACTION_EVENTS.get(case_event.action)
        if name is None or not self.config.rules.get(name):
            return
        with session.no_autoflush:  # the case service flushes (and checks versions) itself
            data = case_event.data or {}
            detail: dict[str, Any] = {}
            escalated_to = None
            if name == "escalated":
                escalated_to = data.get("to_unit_id")
                detail = {"level": data.get("level"), "hours_overdue": data.get("hours_overdue")}
                if escalated_to is not None:
                    directory = Directory.of(session)
                    detail["escalated_to"] = directory.unit_name.get(escalated_to)
                    detail["escalated_to_en"] = directory.unit_name_en.get(escalated_to)
            reason = case_event.reason if name in {"sent_back", "reopened", "commented"} else None
            self.notify_case(
                session,
                case,
                name,
                case_event=case_event,
                detail=detail,
                reason=reason,
                escalated_to=escalated_to,
            )

    def flags_computed(self, session: Session, awards: Sequence[FlagAward]) -> None:
        """Red and black flags were computed: every ranked unit hears the standings."""
        from gardencity.notifications.announcements import flag_notifications

        flag_notifications(self, session, awards)

    # --- queueing ------------------------------------------------------------------------
    def notify_case(
        self,
        session: Session,
        case: Case,
        event: str,
        *,
        case_event: CaseEvent | None = None,
        detail: dict[str, Any] | None = None,
        reason: str | None = None,
        escalated_to: int | None = None,
        dedupe: str | None = None,
    ) -> int:
        """Queue the messages the rules give ``event`` on ``case``; the number queued."""
        sends = self.config.rules.get(event, ())
        if not sends:
            return 0
        reaches: list[tuple[Any, str, Reach]] = [
            (send, audience, reach_of_case(session, audience, case, escalated_to))
            for send in sends
            for audience in send.to
        ]
        found = targets(session, event, reaches)
        if not found:
            return 0
        payload = case_payload(session, self.campaign, case, event)
        if detail:
            payload["detail"] = {k: v for k, v in detail.items() if v is not None}
        if reason:
            payload["reason"] = reason
        tokens = self._stop_tokens(session, found)
        rows = []
        roles = Directory.of(session).role
        for target in found:
            body = dict(payload)
            # the resident (or the Open311 client speaking for them) hears plain words; a
            # patrol who filed the case is staff and reads the staff message
            resident = target.audience == "reporter" and (
                target.user_id is None or roles.get(target.user_id) == "resident"
            )
            if resident:
                if event not in RESIDENT_EVENTS:
                    continue
                body = {"event": event, "case": payload["case"], "resident": True}
                if target.subscription_id is not None:
                    body["stop_token"] = tokens[target.subscription_id]
            rows.append((target, body))
        return self.enqueue(
            session, event, rows, case_id=case.id, case_event=case_event, dedupe=dedupe
        )

    def enqueue(
        self,
        session: Session,
        event: str,
        rows: Iterable[tuple[Target, dict[str, Any]]],
        *,
        case_id: int | None = None,
        case_event: CaseEvent | None = None,
        dedupe: str | None = None,
    ) -> int:
        """Write one outbox row per target. With ``dedupe`` a row whose key exists already
        is skipped (a scheduled message is queued once however often its job runs)."""
        now = self.clock()
        count = 0
        for target, payload in rows:
            values = {
                "event": event,
                "channel": target.channel,
                "channel_id": target.channel_id,
                "user_id": target.user_id,
                "unit_id": target.unit_id,
                "subscription_id": target.subscription_id,
                "case_id": case_id,
                "audience": target.audience,
                "payload": payload,
                "status": "sent" if target.channel == "inbox" else "pending",
                "attempts": 0,
                "next_attempt_at": now
                if target.channel == "inbox"
                else due_at(self.config, target.channel, event, now),
                "created_at": now,
                "sent_at": now if target.channel == "inbox" else None,
            }
            if dedupe is None:
                row = Notification(**values)
                if case_event is not None:
                    row.case_event = case_event
                session.add(row)
                count += 1
            else:
                values["dedupe_key"] = f"{dedupe}|{target.key}"[:200]
                count += insert_once(session, Notification, values, ["dedupe_key"])
        if count:
            self._wake_after_commit(session)
        return count

    def _stop_tokens(self, session: Session, found: list[Target]) -> dict[int, str]:
        ids = [t.subscription_id for t in found if t.subscription_id is not None]
        if not ids:
            return {}
        rows = session.execute(
            select(ResidentSubscription.id, ResidentSubscription.stop_token).where(
                ResidentSubscription.id.in_(ids)
            )
        ).all()
        return {int(i): str(token) for i, token in rows}

    def _wake_after_commit(self, session: Session) -> None:
        if self.wake is not None:
            session.info[WAKE_KEY] = self.wake


def insert_once(session: Session, model: Any, values: dict[str, Any], keys: list[str]) -> bool:
    """INSERT … ON CONFLICT (``keys``) DO NOTHING, on SQLite and PostgreSQL; whether a row
    was inserted (read from RETURNING: a driver's rowcount is not reliable here)."""
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    primary = next(iter(model.__table__.primary_key.columns))
    statement = (
        make(model).values(**values).on_conflict_do_nothing(index_elements=keys).returning(primary)
    )
    return session.execute(statement).first() is not None


@sa_event.listens_for(Session, "after_commit")
def _wake_delivery(session: Session) -> None:
    wake = session.info.pop(WAKE_KEY, None)
    if wake is not None:
        wake()


@sa_event.listens_for(Session, "after_rollback")
def _forget_wake(session: Session) -> None:
    session.info.pop(WAKE_KEY, None)
