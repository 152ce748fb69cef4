"""Who hears of an event: the recipients of a rule, resolved from the organisation.

A rule names audiences (``unit``, ``district``, ``leader`` …, see ``data/notifications.yaml``)
and channel kinds. An audience stands for people (their in-app inbox and their own
channels), units (the units' group channels), named groups (``group:<code>``) and residents
who opted in (``reporter``). :func:`targets` turns them into one :class:`Target` per
destination, each destination once however many audiences lead to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gardencity.auth.permissions import UnitTree
from gardencity.campaign.models import ApiKey, Case, CaseEvent, LeaderAssignment, Unit, User
from gardencity.notifications.config import Send
from gardencity.notifications.models import NotificationChannel, ResidentSubscription

__all__ = ["Reach", "Target", "open311_group", "reach_of_case", "targets"]

UNIT_STAFF = ("officer", "coordinator")


@dataclass(frozen=True)
class Target:
    """One destination: a user's inbox, a configured channel, or a resident's address."""

    channel: str
    audience: str
    user_id: int | None = None
    channel_id: int | None = None
    subscription_id: int | None = None
    unit_id: int | None = None

    @property
    def key(self) -> str:
        if self.channel_id is not None:
            return f"c{self.channel_id}"
        if self.subscription_id is not None:
            return f"s{self.subscription_id}"
        return f"u{self.user_id}:{self.channel}"


@dataclass
class Reach:
    """What one audience stands for: people, units with group channels, groups, residents."""

    users: dict[int, int | None] = field(default_factory=dict)  # user id -> their unit
    units: set[int] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    subscriptions: dict[int, str] = field(default_factory=dict)  # id -> email or sms


def _chain(session: Session, unit_id: int | None) -> list[int]:
    if unit_id is None:
        return []
    return UnitTree.from_session(session).ancestors(unit_id)


def _users(session: Session, *conditions: object) -> dict[int, int | None]:
    rows = session.execute(
        select(User.id, User.unit_id).where(User.is_active.is_(True), *conditions)  # type: ignore[arg-type]
    ).all()
    return {int(uid): unit for uid, unit in rows}


def _district(session: Session, chain: Sequence[int]) -> int | None:
    if not chain:
        return None
    kinds = dict(session.execute(select(Unit.id, Unit.kind).where(Unit.id.in_(chain))).all())
    return next((u for u in chain if kinds.get(u) == "district"), None)


def reach_of_case(
    session: Session, audience: str, case: Case, escalated_to: int | None = None
) -> Reach:
    """What ``audience`` stands for when the event is about ``case``."""
    reach = Reach()
    chain = _chain(session, case.unit_id)
    if audience.startswith("group:"):
        reach.groups.add(audience.split(":", 1)[1])
    elif audience == "unit" and case.unit_id is not None:
        reach.users = _users(session, User.unit_id == case.unit_id, User.role.in_(UNIT_STAFF))
        reach.units.add(case.unit_id)
    elif audience == "district":
        district = _district(session, chain)
        if district is not None:
            reach.users = _users(session, User.unit_id == district, User.role == "coordinator")
            reach.units.add(district)
    elif audience == "leader":
        leaders = set(
            session.scalars(
                select(LeaderAssignment.user_id).where(LeaderAssignment.unit_id.in_(chain))
            ).all()
        )
        if case.leader_id is not None:
            leaders.add(case.leader_id)
        if leaders:
            reach.users = _users(session, User.id.in_(sorted(leaders)))
    elif audience == "inspector" and chain:
        reach.users = _users(session, User.unit_id.in_(chain), User.role == "inspector")
    elif audience == "reporter":
        rows = session.execute(
            select(ResidentSubscription.id, ResidentSubscription.channel).where(
                ResidentSubscription.case_id == case.id,
                ResidentSubscription.stopped_at.is_(None),
            )
        ).all()
        reach.subscriptions = {int(sub): str(kind) for sub, kind in rows}
        reach.groups.update(_open311_clients(session, case))
        if case.reporter_id is not None:
            reach.users = _users(session, User.id == case.reporter_id)
    elif audience == "escalation_unit" and escalated_to is not None:
        staff = (*UNIT_STAFF, "admin")
        reach.users = _users(session, User.unit_id == escalated_to, User.role.in_(staff))
        reach.units.add(escalated_to)
    elif audience == "office":
        reach.users = _users(session, User.role == "admin")
        reach.groups.add("office")
    return reach


def open311_group(api_key_id: int) -> str:
    """The group whose channels reach the Open311 client application ``api_key_id``."""
    return f"open311-{api_key_id}"


def _open311_clients(session: Session, case: Case) -> set[str]:
    """The groups of the Open311 client that filed ``case`` (it hears what its resident
    hears); the filing event names the client."""
    data = session.scalar(
        select(CaseEvent.data).where(CaseEvent.case_id == case.id, CaseEvent.action == "file")
    )
    client = (data or {}).get("client") if isinstance(data, dict) else None
    if not client:
        return set()
    keys = session.scalars(
        select(ApiKey.id).where(ApiKey.name == str(client), ApiKey.is_active.is_(True))
    ).all()
    return {open311_group(int(k)) for k in keys}


def targets(
    session: Session, event: str, reaches: Iterable[tuple[Send, str, Reach]]
) -> list[Target]:
    """Every destination the rules' sends reach, each once (inbox first, then channels)."""
    found: dict[str, Target] = {}
    sends = list(reaches)
    users = {uid for _, _, r in sends for uid in r.users}
    units = {u for _, _, r in sends for u in r.units}
    groups = {g for _, _, r in sends for g in r.groups}
    channels = _channels(session, users, units, groups)
    for send, audience, reach in sends:
        for uid, unit in sorted(reach.users.items()):
            if "inbox" in send.via:
                target = Target("inbox", audience, user_id=uid, unit_id=unit)
                found.setdefault(target.key, target)
        for channel in channels:
            if channel.kind not in send.via or not _wants(channel, event):
                continue
            if (
                channel.user_id in reach.users
                or channel.unit_id in reach.units
                or channel.group_code in reach.groups
            ):
                target = Target(
                    channel.kind,
                    audience,
                    user_id=channel.user_id,
                    channel_id=channel.id,
                    unit_id=channel.unit_id,
                )
                found.setdefault(target.key, target)
        for sub_id, kind in sorted(reach.subscriptions.items()):
            if kind in send.via:
                target = Target(kind, audience, subscription_id=sub_id)
                found.setdefault(target.key, target)
    return list(found.values())


def _wants(channel: NotificationChannel, event: str) -> bool:
    """A channel may be limited to some events (``settings.events``)."""
    chosen = (channel.settings or {}).get("events")
    return not chosen or event in chosen


def _channels(
    session: Session, users: set[int], units: set[int], groups: set[str]
) -> list[NotificationChannel]:
    if not (users or units or groups):
        return []
    owners = []
    if users:
        owners.append(NotificationChannel.user_id.in_(sorted(users)))
    if units:
        owners.append(NotificationChannel.unit_id.in_(sorted(units)))
    if groups:
        owners.append(NotificationChannel.group_code.in_(sorted(groups)))
    return list(
        session.scalars(
            select(NotificationChannel)
            .where(NotificationChannel.is_active.is_(True), or_(*owners))
            .order_by(NotificationChannel.id)
        ).all()
    )
