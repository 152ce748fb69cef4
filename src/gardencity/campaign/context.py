"""What the campaign service needs besides a database session: configuration, clock, files."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session, object_session

if TYPE_CHECKING:
    import pandas as pd

    from gardencity.campaign.config import CampaignConfig
    from gardencity.campaign.models import Case, CaseEvent, FlagAward
    from gardencity.storage.files import FileStore

__all__ = [
    "CampaignListener",
    "Clock",
    "ManualClock",
    "RankingInputs",
    "ServiceContext",
    "system_clock",
]

Clock = Callable[[], datetime]
#: the optional terms of the red and black flag ranking (maintenance score, patrol coverage),
#: Series by unit id, for a period (session, start, end); given by the packages above the
#: campaign when the app is put together
RankingInputs = Callable[[Session, datetime, datetime], "Mapping[str, pd.Series]"]


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


class CampaignListener(Protocol):
    """Hears of what the campaign records, inside the same transaction (the notifications'
    outbox: :class:`gardencity.notifications.outbox.Notifier`)."""

    def case_event(self, session: Session, case: Case, event: CaseEvent) -> None: ...

    def flags_computed(self, session: Session, awards: Sequence[FlagAward]) -> None: ...


@dataclass
class ServiceContext:
    config: CampaignConfig
    files: FileStore
    clock: Clock = system_clock
    listener: CampaignListener | None = None
    ranking_inputs: RankingInputs | None = None

    def now(self) -> datetime:
        return self.clock()

    def case_event(self, case: Case, event: CaseEvent) -> None:
        """An event was just appended to ``case`` (not yet flushed): tell the listener."""
        session = object_session(case)
        if self.listener is not None and session is not None:
            self.listener.case_event(session, case, event)

    def flags_computed(self, session: Session, awards: Sequence[FlagAward]) -> None:
        """Red and black flags were just computed: tell the listener."""
        if self.listener is not None:
            self.listener.flags_computed(session, awards)
