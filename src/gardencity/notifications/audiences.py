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

from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.permissions import UnitTree
from gardencity.campaign.models import Case, CaseEvent
from gardencity.notifications.config import Send
from gardencity.notifications.directory import Directory
from gardencity.notifications.models import ResidentSubscription

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


def _district(directory: Directory, chain: Sequence[int]) -> int | None:
    return next((u for u in chain if directory.unit_kind.get(u) == "district"), None)


def reach_of_case(
    session: Session, audience: str, case: Case, escalated_to: int | None = None
) -> Reach:
    """What ``audience`` stands for when the event is about ``case``."""
    directory = Directory.of(session)
    reach = Reach()
    chain = UnitTree.from_session(session).ancestors(case.unit_id) if case.unit_id else []
    if audience.startswith("group:"):
        reach.groups.add(audience.split(":", 1)[1])
    elif audience == "unit" and case.unit_id is not None:
        reach.users = directory.users([case.unit_id], UNIT_STAFF)
        reach.units.add(case.unit_id)
    elif audience == "district":
        district = _district(directory, chain)
        if district is not None:
            reach.users = directory.users([district], ("coordinator",))
            reach.units.add(district)
    elif audience == "leader":
        leaders = {uid for unit in chain for uid in directory.leaders.get(unit, ())}
        if case.leader_id is not None and case.leader_id in directory.role:
            leaders.add(case.leader_id)
        reach.users = {uid: directory.unit_of.get(uid) for uid in sorted(leaders)}
    elif audience == "inspector":
        reach.users = directory.users(chain, ("inspector",))
    elif audience == "reporter":
        rows = session.execute(
            select(ResidentSubscription.id, ResidentSubscription.channel).where(
                ResidentSubscription.case_id == case.id,
                ResidentSubscription.stopped_at.is_(None),
            )
        ).all()
        reach.subscriptions = {int(sub): str(kind) for sub, kind in rows}
        reach.groups.update(_open311_clients(session, directory, case))
        if case.reporter_id is not None and case.reporter_id in directory.role:
            reach.users = {case.reporter_id: directory.unit_of.get(case.reporter_id)}
    elif audience == "escalation_unit" and escalated_to is not None:
        reach.users = directory.users([escalated_to], (*UNIT_STAFF, "admin"))
        reach.units.add(escalated_to)
    elif audience == "office":
        reach.users = {
            u: directory.unit_of.get(u) for u, r in directory.role.items() if r == "admin"
        }
        reach.groups.add("office")
    return reach


def open311_group(api_key_id: int) -> str:
    """The group whose channels reach the Open311 client application ``api_key_id``."""
    return f"open311-{api_key_id}"


def _open311_clients(session: Session, directory: Directory, case: Case) -> set[str]:
    """The groups of the Open311 client that filed ``case`` (it hears what its resident
    hears); the filing event names the client."""
    if case.source != "resident" or not directory.api_keys:
        return set()
    data = session.scalar(
        select(CaseEvent.data).where(CaseEvent.case_id == case.id, CaseEvent.action == "file")
    )
    client = data.get("client") if isinstance(data, dict) else None
    return {open311_group(k) for k in directory.api_keys.get(str(client), [])} if client else set()


def targets(
    session: Session, event: str, reaches: Iterable[tuple[Send, str, Reach]]
) -> list[Target]:
    """Every destination the rules' sends reach, each once (inbox first, then channels)."""
    found: dict[str, Target] = {}
    channels = Directory.of(session).channels
    for send, audience, reach in reaches:
        for uid, unit in sorted(reach.users.items()):
            if "inbox" in send.via:
                target = Target("inbox", audience, user_id=uid, unit_id=unit)
                found.setdefault(target.key, target)
        for channel in channels:
            if channel.kind not in send.via or not channel.wants(event):
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
