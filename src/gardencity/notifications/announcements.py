"""The messages that are not about one case event: due-soon and overdue reminders, each
leader's daily digest of their contact points, and the red and black flag announcement.

The scheduler runs :func:`reminders` and :func:`leader_digests`; each queues its messages
with a dedupe key (the case and its deadline, the leader and the day), so running a job
twice — a restarted server, two servers — queues nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gardencity.auth.models import LeaderAssignment, Unit, User
from gardencity.auth.permissions import UnitTree
from gardencity.campaign import lookup
from gardencity.campaign.models import Attachment, Case, FlagAward
from gardencity.campaign.service import CLOCK_RUNNING
from gardencity.campaign.states import OPEN_STATES
from gardencity.notifications.audiences import Reach, Target, targets
from gardencity.notifications.directory import Directory
from gardencity.notifications.outbox import place_of

if TYPE_CHECKING:
    from gardencity.notifications.outbox import Notifier

__all__ = ["flag_notifications", "leader_digests", "reminders"]

RUNNING = sorted(CLOCK_RUNNING)


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def reminders(notifier: Notifier, session: Session, now: datetime) -> dict[str, int]:
    """Queue a due-soon reminder for every running case whose deadline is near, and an
    overdue notice for every case past it — once per case and deadline."""
    window = timedelta(hours=notifier.config.due_soon_hours)
    cases = session.scalars(
        select(Case)
        .where(
            Case.status.in_(RUNNING), Case.deadline_at.is_not(None), Case.deadline_at < now + window
        )
        .order_by(Case.deadline_at, Case.id)
    ).all()
    done = _reminded(session, [c.id for c in cases])
    counts = {"due_soon": 0, "overdue": 0}
    for case in cases:
        assert case.deadline_at is not None
        overdue = case.deadline_at <= now
        event = "overdue" if overdue else "due_soon"
        key = f"{event}:{case.id}:{case.deadline_at:%Y%m%dT%H%M%S}"
        if key in done:
            continue
        if not overdue and case.dispatched_at and case.deadline_at - case.dispatched_at <= window:
            continue  # the dispatch message itself said the deadline was this close
        detail = (
            {"hours_overdue": _hours(now - case.deadline_at)}
            if overdue
            else {"hours_left": _hours(case.deadline_at - now)}
        )
        counts[event] += notifier.notify_case(session, case, event, detail=detail, dedupe=key)
    return counts


def _reminded(session: Session, case_ids: list[int]) -> set[str]:
    """Dedupe keys (without their target part) of the reminders already queued."""
    from gardencity.notifications.models import Notification

    if not case_ids:
        return set()
    keys = session.scalars(
        select(Notification.dedupe_key).where(
            Notification.case_id.in_(case_ids),
            Notification.event.in_(("due_soon", "overdue")),
            Notification.dedupe_key.is_not(None),
        )
    ).all()
    return {str(k).split("|", 1)[0] for k in keys}


def leader_digests(notifier: Notifier, session: Session, now: datetime) -> int:
    """Queue each leader's digest of their contact points: open, overdue and new cases and
    the most overdue ones with their photos. Once per leader and local day."""
    sends = [s for s in notifier.config.rules.get("digest", ()) if "leader" in s.to]
    if not sends:
        return 0
    points: dict[int, set[int]] = defaultdict(set)
    for user_id, unit_id in session.execute(
        select(LeaderAssignment.user_id, LeaderAssignment.unit_id)
        .join(User, User.id == LeaderAssignment.user_id)
        .where(User.is_active.is_(True))
    ).all():
        points[int(user_id)].add(int(unit_id))
    if not points:
        return 0
    tree = UnitTree.from_session(session)
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    names_en = dict(session.execute(select(Unit.id, Unit.name_en)).all())
    local = now.astimezone(notifier.config.zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    count = 0
    for leader, units in sorted(points.items()):
        scope = sorted(set().union(*(tree.subtree(u) for u in units)))
        digest = _digest(session, notifier, scope, now, midnight, names, names_en)
        digest["units"] = [names.get(u, str(u)) for u in sorted(units)]
        digest["units_en"] = [names_en.get(u) for u in sorted(units)]
        reach = Reach(users={leader: None})
        found = targets(session, "digest", [(send, "leader", reach) for send in sends])
        rows = [(t, {"event": "digest", "digest": digest}) for t in found]
        count += notifier.enqueue(session, "digest", rows, dedupe=f"digest:{local:%Y%m%d}:{leader}")
    return count


def _digest(
    session: Session,
    notifier: Notifier,
    scope: list[int],
    now: datetime,
    midnight: datetime,
    names: dict[int, str],
    names_en: dict[int, str | None],
) -> dict[str, Any]:
    in_scope = Case.unit_id.in_(scope)
    open_states = sorted(OPEN_STATES)
    late = (Case.status.in_(RUNNING), Case.deadline_at < now)
    count = func.count(Case.id)
    open_count = session.scalar(select(count).where(in_scope, Case.status.in_(open_states)))
    overdue = session.scalar(select(count).where(in_scope, *late))
    new = session.scalar(select(count).where(in_scope, Case.created_at >= midnight))
    worst = session.scalars(
        select(Case)
        .where(in_scope, *late)
        .order_by(Case.deadline_at, Case.id)
        .limit(notifier.config.digest_cases)
    ).all()
    photos: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if worst:
        for attachment in session.scalars(
            select(Attachment)
            .where(
                Attachment.case_id.in_([c.id for c in worst]),
                Attachment.role == "before",
                Attachment.media_type.like("image/%"),
            )
            .order_by(Attachment.id)
        ):
            if attachment.case_id is not None and len(photos[attachment.case_id]) < 2:
                photos[attachment.case_id].append(
                    {
                        "id": attachment.id,
                        "sha256": attachment.sha256,
                        "media_type": attachment.media_type,
                    }
                )
    campaign = notifier.campaign
    return {
        "open": int(open_count or 0),
        "overdue": int(overdue or 0),
        "new": int(new or 0),
        "worst": [
            {
                "case_id": c.id,
                "reference": c.reference,
                "category_zh": lookup.category_label(campaign, c.category, "zh"),
                "category_en": lookup.category_label(campaign, c.category, "en"),
                "place": place_of(c),
                "unit_name": names.get(c.unit_id) if c.unit_id else None,
                "unit_name_en": names_en.get(c.unit_id) if c.unit_id else None,
                "hours_overdue": _hours(now - c.deadline_at) if c.deadline_at else None,
                "photos": photos.get(c.id, []),
            }
            for c in worst
        ],
    }


def flag_notifications(notifier: Notifier, session: Session, awards: Sequence[FlagAward]) -> int:
    """Tell every ranked unit its score, rank and flag, and who holds the red and black
    flags of its level; a named group (e.g. the campaign office) gets the whole board."""
    sends = notifier.config.rules.get("flags_computed", ())
    if not sends or not awards:
        return 0
    directory = Directory.of(session)
    names = {a.unit_id: directory.unit_name.get(a.unit_id, str(a.unit_id)) for a in awards}
    rows_by_level: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for award in sorted(awards, key=lambda a: (a.level, a.rank or 10**6, a.unit_id)):
        rows_by_level[award.level].append(
            {
                "unit_id": award.unit_id,
                "name": names.get(award.unit_id, str(award.unit_id)),
                "name_en": directory.unit_name_en.get(award.unit_id),
                "score": award.score,
                "rank": award.rank,
                "flag": award.flag,
            }
        )
    first = awards[0]
    base = {
        "start": first.period_start.isoformat(),
        "end": first.period_end.isoformat(),
        "min_cases": notifier.campaign.ranking.min_cases,
    }
    staff = directory.users(set(names), ("officer", "coordinator"))
    rows: list[tuple[Target, dict[str, Any]]] = []
    for board in rows_by_level.values():
        ranked = sum(1 for r in board if r["rank"] is not None)
        flagged = [r for r in board if r["flag"]]
        for row in board:
            unit = row["unit_id"]
            shown = [row] + [r for r in flagged if r["unit_id"] != unit]
            reach = Reach(users={u: unit for u, v in staff.items() if v == unit}, units={unit})
            payload = {
                "event": "flags_computed",
                "flags": base | {"ranked": ranked, "units": shown},
            }
            sends_for_units = [(s, "every_unit", reach) for s in sends if "every_unit" in s.to]
            rows.extend((t, payload) for t in targets(session, "flags_computed", sends_for_units))
        groups = [
            (s, a, Reach(groups={a.split(":", 1)[1]}))
            for s in sends
            for a in s.to
            if a.startswith("group:")
        ]
        if groups:
            payload = {
                "event": "flags_computed",
                "flags": base | {"ranked": ranked, "units": board},
            }
            rows.extend((t, payload) for t in targets(session, "flags_computed", groups))
    return notifier.enqueue(session, "flags_computed", rows)
