"""What the campaign service needs besides a database session: configuration, clock, files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gardencity.campaign.config import CampaignConfig
    from gardencity.storage.files import FileStore

__all__ = ["Clock", "ManualClock", "ServiceContext", "system_clock"]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class ManualClock:
    """A clock that moves only when told to (tests, rehearsals of escalation)."""

    current: datetime = field(default_factory=system_clock)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@dataclass
class ServiceContext:
    config: CampaignConfig
    files: FileStore
    clock: Clock = system_clock

    def now(self) -> datetime:
        return self.clock()
