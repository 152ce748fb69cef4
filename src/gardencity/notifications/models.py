"""Tables of the notifications: where messages go, the outbox (which is also every user's
inbox), residents' opt-ins and the scheduler's lease and runs.

They live on the campaign's declarative ``Base`` (one schema, one migration chain, revision
``0008``); :mod:`gardencity.db.registry` names this module so that every table is registered.

* :class:`NotificationChannel` — one configured destination: a unit's WeCom / DingTalk /
  Feishu group robot or mailbox, a named group's robot (``group_code``), a person's own
  e-mail, SMS number or robot, or a city system's signed webhook.
* :class:`Notification` — one message for one recipient on one channel, written in the same
  transaction as the event it tells about (the transactional outbox). The delivery worker
  claims due rows, sends them and records the provider's answer; ``channel == "inbox"`` rows
  are the users' in-app inbox and need no delivery.
* :class:`ResidentSubscription` — a reporter who asked to be told about their report, with
  the secret of their "stop messages" link.
* :class:`SchedulerLease`, :class:`SchedulerRun` — which server process runs the scheduled
  jobs now, and each job's slots already run (unique, so a slot runs once).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gardencity.campaign.models import CaseEvent
from gardencity.db.base import Base

__all__ = [
    "Notification",
    "NotificationChannel",
    "ResidentSubscription",
    "SchedulerLease",
    "SchedulerRun",
]


class NotificationChannel(Base):
    """A configured destination of messages, owned by a unit, a named group or a person.

    ``settings`` holds what the channel kind needs (webhook URL, signing secret, e-mail
    addresses …); secrets never leave the server in API answers.
    """

    __tablename__ = "notification_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    group_code: Mapped[str | None] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Notification(Base):
    """One message to one recipient on one channel (outbox row and inbox entry).

    ``status``: ``pending`` (due at ``next_attempt_at``), ``sending`` (claimed by a worker
    until ``lease_until``), ``sent``, ``failed`` (gave up: ``last_error`` is the provider's
    answer) or ``stopped`` (the resident stopped messages before it left). Inbox rows are
    ``sent`` at once and carry ``read_at``.
    """

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification_channels.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident_subscriptions.id"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    case_event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"))
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]

    case_event: Mapped[CaseEvent | None] = relationship()


# the worker's question: which rows are due (pending, or claimed by a worker that died)
Index("ix_notifications_due", Notification.status, Notification.next_attempt_at)
# the inbox's question: a user's newest rows, and the unread count
Index("ix_notifications_inbox", Notification.user_id, Notification.channel, Notification.read_at)


class ResidentSubscription(Base):
    """A reporter's opt-in to hear about their report (by e-mail or SMS).

    ``stop_token`` is the secret of the "stop messages" link sent with every message;
    ``stopped_at`` set means no more messages go to ``address``.
    """

    __tablename__ = "resident_subscriptions"
    __table_args__ = (UniqueConstraint("case_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(200))
    stop_token: Mapped[str] = mapped_column(String(64), unique=True)
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]


class SchedulerLease(Base):
    """Who runs the scheduled jobs: one holder per ``name`` until ``expires_at``."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]


class SchedulerRun(Base):
    """One run of a scheduled job for one slot (its cron time); unique, so it runs once."""

    __tablename__ = "scheduler_runs"
    __table_args__ = (UniqueConstraint("job", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(32))
    slot: Mapped[datetime]
    holder: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
