"""The built-in scheduler of ``gardencity serve``: escalation of overdue cases, due-soon and
overdue reminders, each leader's daily digest, the weekly red and black flag announcement
and the nightly housekeeping (messages older than ``retention_days``), at the cron times of
``notifications.schedule`` (in the city's time zone).

However many server processes run, a job runs once per slot:

1. a **lease** in the database (``scheduler_leases``: one holder until it expires) lets one
   process do the scheduling while the others wait; a holder that dies loses it after
   ``3 × tick_seconds``;
2. each run is a **row** (``scheduler_runs``, unique per job and slot) written in the same
   transaction as the job's work — a second process that got there anyway inserts nothing
   and skips, and a job that fails rolls its row back and runs again on the next tick.

Only the latest slot of each job runs, and only while it is younger than
``catch_up_hours`` (a server down over the weekend does not send last week's digests).
``gardencity escalate`` stays for cities that prefer cron or a systemd timer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from croniter import croniter
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from gardencity.campaign.context import ServiceContext
from gardencity.db.engine import Database
from gardencity.notifications.announcements import leader_digests, reminders
from gardencity.notifications.models import Notification, SchedulerLease, SchedulerRun
from gardencity.notifications.outbox import Notifier, insert_once

__all__ = ["Scheduler", "latest_slot"]

log = logging.getLogger("gardencity.notifications")
LEASE = "scheduler"


def latest_slot(cron: str, now: datetime, zone: Any) -> datetime:
    """The newest cron time at or before ``now`` (aware, in ``zone``).

    >>> from datetime import UTC
    >>> from zoneinfo import ZoneInfo
    >>> beijing = ZoneInfo("Asia/Shanghai")
    >>> latest_slot("0 8 * * *", datetime(2026, 5, 4, 0, 0, tzinfo=UTC), beijing).isoformat()
    '2026-05-04T08:00:00+08:00'
    >>> latest_slot("0 8 * * *", datetime(2026, 5, 3, 23, 59, tzinfo=UTC), beijing).isoformat()
    '2026-05-03T08:00:00+08:00'
    >>> latest_slot("0 8 * * *", datetime(2026, 5, 3, 23, 59, 59, tzinfo=UTC), beijing).isoformat()
    '2026-05-03T08:00:00+08:00'
    """
    local = now.astimezone(zone)
    slot: datetime = croniter(cron, local + timedelta(seconds=1)).get_prev(datetime)
    return slot


class Scheduler:
    """Runs the due jobs on each :meth:`tick`; the runtime calls it every ``tick_seconds``."""

    def __init__(self, db: Database, ctx: ServiceContext, notifier: Notifier, holder: str) -> None:
        self.db = db
        self.ctx = ctx
        self.notifier = notifier
        self.holder = holder
        schedule = notifier.config.schedule
        self.cron = schedule.jobs()
        self.lease = timedelta(seconds=3 * schedule.tick_seconds)
        self.catch_up = timedelta(hours=schedule.catch_up_hours)
        self.jobs: dict[str, Callable[[Session, datetime], dict[str, Any]]] = {
            "escalation": self._escalate,
            "reminders": self._reminders,
            "digest": self._digest,
            "flags": self._flags,
            "housekeeping": self._housekeeping,
        }

    def tick(self) -> list[str]:
        """Run every job whose latest slot has not run; the names of the jobs run."""
        now = self.ctx.now()
        if not self.cron or not self.hold_lease(now):
            return []
        ran = []
        for name, cron in self.cron.items():
            slot = latest_slot(cron, now, self.notifier.config.zone)
            if now - slot > self.catch_up:
                continue
            try:
                if self.run(name, slot, now):
                    ran.append(name)
            except Exception:
                log.exception("scheduled job %s (%s) failed; it runs again next tick", name, slot)
        return ran

    def hold_lease(self, now: datetime) -> bool:
        """Take or renew the scheduling lease; False if another live process holds it."""
        until = now + self.lease
        with self.db.session() as session:
            values = {"name": LEASE, "holder": self.holder, "expires_at": until}
            if insert_once(session, SchedulerLease, values, ["name"]):
                return True
            renewed = session.execute(
                update(SchedulerLease)
                .where(
                    SchedulerLease.name == LEASE,
                    (SchedulerLease.holder == self.holder) | (SchedulerLease.expires_at < now),
                )
                .values(holder=self.holder, expires_at=until)
                .returning(SchedulerLease.name)
            )
            return renewed.first() is not None

    def release(self) -> None:
        """Give the lease up (a stopping server), so another process takes over at once."""
        with self.db.session() as session:
            session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == LEASE, SchedulerLease.holder == self.holder)
                .values(expires_at=self.ctx.now() - timedelta(seconds=1))
            )

    def run(self, name: str, slot: datetime, now: datetime) -> bool:
        """Run job ``name`` for ``slot`` unless it ran already (one transaction)."""
        with self.db.session() as session:
            claimed = insert_once(
                session,
                SchedulerRun,
                {
                    "job": name,
                    "slot": slot,
                    "holder": self.holder,
                    "started_at": now,
                    "summary": {},
                },
                ["job", "slot"],
            )
            if not claimed:
                return False
            summary = self.jobs[name](session, slot)
            session.execute(
                update(SchedulerRun)
                .where(SchedulerRun.job == name, SchedulerRun.slot == slot)
                .values(finished_at=self.ctx.now(), summary=summary)
            )
        log.info("scheduled job %s for %s: %s", name, slot.isoformat(), summary)
        return True

    # --- the jobs --------------------------------------------------------------------------
    def _escalate(self, session: Session, slot: datetime) -> dict[str, Any]:
        from gardencity.campaign.service import escalate_overdue

        raised = escalate_overdue(session, self.ctx)
        return {"escalated": [c.reference for c in raised]}

    def _reminders(self, session: Session, slot: datetime) -> dict[str, Any]:
        return reminders(self.notifier, session, self.ctx.now())

    def _digest(self, session: Session, slot: datetime) -> dict[str, Any]:
        return {"queued": leader_digests(self.notifier, session, self.ctx.now())}

    def _flags(self, session: Session, slot: datetime) -> dict[str, Any]:
        from gardencity.campaign.flags import compute_flags

        awards = compute_flags(session, self.ctx, None, self.ctx.now())
        return {"units": len(awards), "flags": sum(1 for a in awards if a.flag)}

    def _housekeeping(self, session: Session, slot: datetime) -> dict[str, Any]:
        """Forget delivered messages, read inbox entries and runs older than the retention."""
        before = self.ctx.now() - timedelta(days=self.notifier.config.retention_days)
        old = Notification.created_at < before
        delivered = (Notification.channel != "inbox") & Notification.status.in_(
            ("sent", "stopped", "failed")
        )
        read = (Notification.channel == "inbox") & Notification.read_at.is_not(None)
        messages = session.execute(delete(Notification).where(old, delivered | read))
        runs = session.execute(delete(SchedulerRun).where(SchedulerRun.started_at < before))
        return {
            "messages": int(getattr(messages, "rowcount", 0) or 0),
            "runs": int(getattr(runs, "rowcount", 0) or 0),
        }
