"""The delivery worker: claim due outbox rows, send them, record the provider's answer.

A claim is one conditional ``UPDATE … RETURNING`` (``pending`` and due, or ``sending`` with
an expired lease → ``sending`` with this worker's lease), so two workers never claim the same
row; sending happens outside any transaction; the result is written only while the claim is
still this worker's. A worker killed after its claim leaves the row ``sending`` until the
lease expires, then another worker (or the restarted one) sends it. A failure is retried
with doubling back-off until ``delivery.max_attempts``; then the row is ``failed`` and the
admin page shows the provider's words. Rows for the same destination that are due together
(see ``batching``) leave as one message.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from gardencity.auth.models import User
from gardencity.campaign.context import Clock
from gardencity.db.engine import Database
from gardencity.notifications.channels import PLUGINS, DeliveryError, Outgoing, Photo
from gardencity.notifications.channels.base import failure
from gardencity.notifications.config import NotificationConfig
from gardencity.notifications.models import (
    Notification,
    NotificationChannel,
    ResidentSubscription,
)
from gardencity.notifications.render import Message, batch, photo_label, render
from gardencity.storage.files import FileStore

__all__ = ["DeliveryWorker", "worker_name"]

log = logging.getLogger("gardencity.notifications")
N = Notification
SUMMARIES = frozenset({"digest", "flags_computed"})  # reports in their own right: never merged


def worker_name() -> str:
    """This process's name in claims and leases: host, process id and a random part."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class _Group:
    rows: list[Notification]
    channel: NotificationChannel | None = None
    subscription: ResidentSubscription | None = None
    user: User | None = None
    problems: list[str] = field(default_factory=list)


def due_condition(now: datetime) -> Any:
    """Rows a worker may claim at ``now``."""
    return or_(
        and_(N.status == "pending", N.next_attempt_at <= now),
        and_(N.status == "sending", N.lease_until < now),
    )


class DeliveryWorker:
    """Sends what is due; :meth:`run_once` is one pass (the runtime loops over it)."""

    def __init__(
        self,
        db: Database,
        config: NotificationConfig,
        files: FileStore | None,
        clock: Clock,
        *,
        city_name: str,
        city_name_en: str = "",
        name: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.files = files
        self.clock = clock
        self.city_name = city_name
        self.city_name_en = city_name_en
        self.name = name or worker_name()
        self._http = http

    @property
    def http(self) -> httpx.Client:
        """The HTTP client (opened again after :meth:`close`, e.g. a restarted app)."""
        if self._http is None or self._http.is_closed:
            self._http = httpx.Client(timeout=self.config.delivery.timeout_seconds)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def run_once(self, limit: int = 50) -> int:
        """Claim up to ``limit`` due rows and deliver them; the number of rows handled."""
        claimed = self.claim(limit)
        if not claimed:
            return 0
        for group in self._groups(claimed):
            self._deliver(group)
        return len(claimed)

    def claim(self, limit: int) -> list[int]:
        now = self.clock()
        lease = now + timedelta(seconds=self.config.delivery.lease_seconds)
        with self.db.session() as session:
            due = (
                select(N.id)
                .where(due_condition(now), N.channel != "inbox")
                .order_by(N.next_attempt_at, N.id)
                .limit(limit)
            )
            ids = list(session.scalars(due).all())
            if not ids:
                return []
            claimed = session.scalars(
                update(N)
                .where(N.id.in_(ids), due_condition(now))
                .values(
                    status="sending",
                    claimed_by=self.name,
                    lease_until=lease,
                    attempts=N.attempts + 1,
                )
                .returning(N.id)
            ).all()
        return sorted(int(i) for i in claimed)

    def _groups(self, ids: list[int]) -> list[_Group]:
        with self.db.session() as session:
            rows = list(session.scalars(select(N).where(N.id.in_(ids)).order_by(N.id)).all())
            channels = _by_id(session, NotificationChannel, {r.channel_id for r in rows})
            subscriptions = _by_id(session, ResidentSubscription, {r.subscription_id for r in rows})
            users = _by_id(session, User, {r.user_id for r in rows})
            session.expunge_all()
        grouped: dict[tuple[Any, ...], list[_Group]] = defaultdict(list)
        batchable = set(self.config.batching.channels)
        for row in rows:
            if row.channel in batchable and row.event not in SUMMARIES:
                key: tuple[Any, ...] = (
                    row.channel,
                    row.channel_id,
                    row.subscription_id,
                    row.user_id,
                )
            else:
                key = ("single", row.id)
            groups = grouped[key]
            if not groups or len(groups[-1].rows) >= self.config.batching.max_items:
                groups.append(
                    _Group(
                        [],
                        channels.get(row.channel_id) if row.channel_id else None,
                        subscriptions.get(row.subscription_id) if row.subscription_id else None,
                        users.get(row.user_id) if row.user_id else None,
                    )
                )
            groups[-1].rows.append(row)
        return [group for groups in grouped.values() for group in groups]

    def _deliver(self, group: _Group) -> None:
        try:
            outgoing = self._outgoing(group)
        except DeliveryError as exc:
            self._record(group.rows, error=exc.stored(), retry=exc.retry)
            return
        if outgoing is None:  # the resident stopped messages
            self._record(group.rows, stopped=True)
            return
        plugin = PLUGINS[group.rows[0].channel]
        try:
            answer = plugin.send(outgoing, self.http)
        except DeliveryError as exc:
            log.warning("delivery %s failed: %s", [r.id for r in group.rows], exc)
            self._record(group.rows, error=exc.stored(), retry=exc.retry)
            return
        except Exception as exc:  # a plugin bug must not stop the worker
            log.exception("delivery %s crashed", [r.id for r in group.rows])
            self._record(group.rows, error=f"{type(exc).__name__}: {exc}", retry=True)
            return
        log.info("delivered %s via %s: %s", [r.id for r in group.rows], plugin.kind, answer)
        self._record(group.rows)

    def _outgoing(self, group: _Group) -> Outgoing | None:
        first = group.rows[0]
        settings: dict[str, Any] = {}
        address = None
        lang: str = self.config.language
        resident = first.subscription_id is not None
        if first.channel_id is not None or (first.channel != "inbox" and not resident):
            channel = group.channel
            if channel is None or not channel.is_active:
                raise failure("channel_gone", retry=False)
            settings = dict(channel.settings or {})
            if group.user is not None:
                address = group.user.email if channel.kind == "email" else group.user.phone
        if resident:
            subscription = group.subscription
            if subscription is None or subscription.stopped_at is not None:
                return None
            address, lang = subscription.address, subscription.lang
        payloads = [self._with_links(dict(r.payload)) for r in group.rows]
        messages: list[Message] = [
            render(p, lang, self.config, resident=bool(p.get("resident"))) for p in payloads
        ]
        return Outgoing(
            message=batch(messages, lang),
            settings=settings,
            config=self.config,
            city_name=self.city_name,
            city_name_en=self.city_name_en,
            ids=[r.id for r in group.rows],
            payloads=payloads,
            now=self.clock(),
            address=address,
            resident=resident,
            photos=self._photos(payloads) if first.channel == "email" else [],
        )

    def _with_links(self, payload: dict[str, Any]) -> dict[str, Any]:
        token = payload.get("stop_token")
        if token:
            payload["stop_url"] = self.config.link(f"n/stop/{token}")
        return payload

    def _photos(self, payloads: list[dict[str, Any]]) -> list[Photo]:
        """The digest's photos, read from the file store, to travel inline in the e-mail."""
        if self.files is None:
            return []
        found = []
        for payload in payloads:
            for item in (payload.get("digest") or {}).get("worst", []):
                for n, photo in enumerate(item.get("photos", []), start=1):
                    if not self.files.exists(photo["sha256"]):
                        continue
                    with self.files.open(photo["sha256"]) as handle:
                        content = handle.read()
                    label = photo_label(item["reference"], n, self.config.language)
                    found.append(Photo(label, content, photo["media_type"]))
        return found

    def _record(
        self,
        rows: list[Notification],
        *,
        error: str | None = None,
        retry: bool = False,
        stopped: bool = False,
    ) -> None:
        now = self.clock()
        delivery = self.config.delivery
        with self.db.session() as session:
            for row in rows:
                mine = (N.id == row.id, N.claimed_by == self.name, N.status == "sending")
                if stopped:
                    values: dict[str, Any] = {"status": "stopped", "lease_until": None}
                elif error is None:
                    values = {
                        "status": "sent",
                        "sent_at": now,
                        "last_error": None,
                        "lease_until": None,
                    }
                elif retry and row.attempts < delivery.max_attempts:
                    wait = timedelta(seconds=delivery.retry_after(row.attempts))
                    values = {
                        "status": "pending",
                        "next_attempt_at": now + wait,
                        "last_error": error[:2000],
                        "lease_until": None,
                    }
                else:
                    values = {"status": "failed", "last_error": error[:2000], "lease_until": None}
                session.execute(update(N).where(*mine).values(**values))


def _by_id(session: Session, model: Any, ids: set[int | None]) -> dict[int, Any]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(wanted)))}
