"""Who is who, for the notifications: active users by unit and role, leaders' contact
points, unit names and kinds, the active channels and the Open311 clients — read once per
process and organisation stamp (:mod:`gardencity.auth.org_stamp`), so that telling an
event's recipients costs no query while the organisation stands still.

Every change to these (users, units, leaders, API keys, channels) writes the audit log,
which moves the stamp; a change made by another server process is seen once this process
reads the stamp again (at the latest after ``Settings.auth_cache_seconds``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.models import ApiKey, LeaderAssignment, Unit, User
from gardencity.auth.org_stamp import organisation_stamp
from gardencity.notifications.models import NotificationChannel

__all__ = ["ChannelRow", "Directory"]

_CACHE: dict[tuple[Any, ...], Directory] = {}


@dataclass(frozen=True)
class ChannelRow:
    id: int
    kind: str
    unit_id: int | None
    group_code: str | None
    user_id: int | None
    events: tuple[str, ...]

    def wants(self, event: str) -> bool:
        """A channel may be limited to some events (``settings.events``)."""
        return not self.events or event in self.events


@dataclass
class Directory:
    role: dict[int, str] = field(default_factory=dict)  # active users only
    unit_of: dict[int, int | None] = field(default_factory=dict)
    staff: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))  # unit -> users
    leaders: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # unit -> users
    points: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # leader -> units
    unit_name: dict[int, str] = field(default_factory=dict)
    unit_name_en: dict[int, str | None] = field(default_factory=dict)  # none: romanised
    unit_kind: dict[int, str] = field(default_factory=dict)
    channels: list[ChannelRow] = field(default_factory=list)
    api_keys: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, session: Session) -> Directory:
        """The directory as ``session`` sees the organisation (cached per stamp)."""
        stamp = organisation_stamp(session)
        found = _CACHE.get(stamp)
        if found is None:
            found = cls.load(session)
            _CACHE.clear()
            _CACHE[stamp] = found
        return found

    @classmethod
    def load(cls, session: Session) -> Directory:
        directory = cls()
        for uid, role, unit in session.execute(
            select(User.id, User.role, User.unit_id).where(User.is_active.is_(True))
        ):
            directory.role[uid] = str(role)
            directory.unit_of[uid] = unit
            if unit is not None:
                directory.staff[unit].append(uid)
        for uid, unit in session.execute(
            select(LeaderAssignment.user_id, LeaderAssignment.unit_id)
        ):
            if uid in directory.role:
                directory.leaders[unit].add(uid)
                directory.points[uid].add(unit)
        for uid, name, name_en, kind in session.execute(
            select(Unit.id, Unit.name, Unit.name_en, Unit.kind)
        ):
            directory.unit_name[uid], directory.unit_kind[uid] = str(name), str(kind)
            directory.unit_name_en[uid] = name_en
        for channel in session.scalars(
            select(NotificationChannel)
            .where(NotificationChannel.is_active.is_(True))
            .order_by(NotificationChannel.id)
        ):
            events = tuple((channel.settings or {}).get("events") or ())
            directory.channels.append(
                ChannelRow(
                    channel.id,
                    channel.kind,
                    channel.unit_id,
                    channel.group_code,
                    channel.user_id,
                    events,
                )
            )
        for key_id, name in session.execute(
            select(ApiKey.id, ApiKey.name).where(ApiKey.is_active.is_(True))
        ):
            directory.api_keys[str(name)].append(int(key_id))
        return directory

    def users(self, units: list[int] | set[int], roles: tuple[str, ...]) -> dict[int, int | None]:
        """Active users of ``units`` with one of ``roles`` (user id -> unit id)."""
        return {
            uid: unit
            for unit in units
            for uid in self.staff.get(unit, [])
            if self.role.get(uid) in roles
        }
