"""The background work of a server process: the delivery worker and the scheduler, each in
a thread, started and stopped with the app (``create_app(…, background=True)``).

The delivery thread sleeps ``delivery.poll_seconds`` between passes unless this process has
just committed a notification (then it wakes at once); the scheduler thread ticks every
``schedule.tick_seconds``. Both read the service context's clock, so a test's manual clock
drives them as it drives the case service.
"""

from __future__ import annotations

import logging
import threading

from gardencity.campaign.context import ServiceContext
from gardencity.db.engine import Database
from gardencity.notifications.delivery import DeliveryWorker, worker_name
from gardencity.notifications.outbox import Notifier
from gardencity.notifications.scheduler import Scheduler

__all__ = ["NotificationRuntime"]

log = logging.getLogger("gardencity.notifications")


class NotificationRuntime:
    """The delivery worker and the scheduler of one server process."""

    def __init__(
        self,
        db: Database,
        ctx: ServiceContext,
        notifier: Notifier,
        *,
        city_name: str,
        city_name_en: str = "",
    ) -> None:
        self.name = worker_name()
        self.notifier = notifier
        self.worker = DeliveryWorker(
            db,
            notifier.config,
            ctx.files,
            ctx.clock,
            city_name=city_name,
            city_name_en=city_name_en,
            name=self.name,
        )
        self.scheduler = Scheduler(db, ctx, notifier, holder=self.name)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        notifier.wake = self._wake.set

    def wake(self) -> None:
        """Deliver soon (something was queued or retried)."""
        self._wake.set()

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._deliver_loop, name="gc-delivery", daemon=True),
            threading.Thread(target=self._schedule_loop, name="gc-scheduler", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 15) -> None:
        """Stop both threads (a send in progress finishes first) and give up the lease."""
        was_running = self.running
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []
        if was_running:
            try:
                self.scheduler.release()
            except Exception:  # the database may already be gone at shutdown
                log.warning("could not release the scheduler lease", exc_info=True)
        self.worker.close()

    def _deliver_loop(self) -> None:
        poll = self.notifier.config.delivery.poll_seconds
        while not self._stop.is_set():
            try:
                handled = self.worker.run_once()
            except Exception:
                log.exception("notification delivery pass failed")
                handled = 0
            if handled == 0:
                self._wake.wait(poll)
                self._wake.clear()

    def _schedule_loop(self) -> None:
        tick = self.notifier.config.schedule.tick_seconds
        while not self._stop.is_set():
            try:
                self.scheduler.tick()
            except Exception:
                log.exception("scheduler tick failed")
            self._stop.wait(tick)
