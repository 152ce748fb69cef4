"""The case workflow as data: the fixed states and the allowed transitions.

Seven fixed state categories, after 数字城管 and the civic reporting systems; a city gives
them its own labels in the campaign configuration, never new states::

    filed ──dispatch──▶ dispatched ──accept──▶ in_progress ──submit──▶ submitted ──verify──▶ closed
      │                    ▲  │                    ▲                      │                  │
      │                    │  └──reassign──┐       └──────submit──── sent_back ◀──send_back──┘ │
    discard                └───────────────┴──────────────── reopen ◀────────────────────────────┘
      ▼
    discarded ──reopen──▶ filed

``escalate`` and ``comment`` append an event without changing the state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gardencity.auth.permissions import register_permissions
from gardencity.auth.roles import Role

__all__ = [
    "OPEN311_STATUS",
    "TRANSITIONS",
    "CaseStatus",
    "Transition",
    "actions_from",
]


class CaseStatus(StrEnum):
    FILED = "filed"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    SENT_BACK = "sent_back"
    CLOSED = "closed"
    DISCARDED = "discarded"


S = CaseStatus
R = Role
OPEN_STATES = frozenset({S.FILED, S.DISPATCHED, S.IN_PROGRESS, S.SUBMITTED, S.SENT_BACK})
OPEN311_STATUS = {s: ("closed" if s in {S.CLOSED, S.DISCARDED} else "open") for s in S}


@dataclass(frozen=True)
class Transition:
    """One workflow action: from which states, to which state, by which roles."""

    action: str
    sources: frozenset[CaseStatus]
    target: CaseStatus | None  # None: the state does not change
    roles: frozenset[Role]
    needs_reason: bool = False
    needs_after_photo: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "dispatch", frozenset({S.FILED}), S.DISPATCHED, frozenset({R.ADMIN, R.COORDINATOR})
        ),
        Transition(
            "reassign",
            frozenset({S.DISPATCHED, S.IN_PROGRESS, S.SENT_BACK}),
            S.DISPATCHED,
            frozenset({R.ADMIN, R.COORDINATOR}),
            needs_reason=True,
        ),
        Transition(
            "accept",
            frozenset({S.DISPATCHED}),
            S.IN_PROGRESS,
            frozenset({R.OFFICER, R.COORDINATOR}),
        ),
        Transition(
            "submit",
            frozenset({S.IN_PROGRESS, S.SENT_BACK}),
            S.SUBMITTED,
            frozenset({R.OFFICER, R.COORDINATOR}),
            needs_after_photo=True,
        ),
        Transition("verify", frozenset({S.SUBMITTED}), S.CLOSED, frozenset({R.INSPECTOR, R.ADMIN})),
        Transition(
            "send_back",
            frozenset({S.SUBMITTED}),
            S.SENT_BACK,
            frozenset({R.INSPECTOR, R.ADMIN}),
            needs_reason=True,
        ),
        Transition(
            "discard",
            frozenset({S.FILED}),
            S.DISCARDED,
            frozenset({R.ADMIN, R.COORDINATOR}),
            needs_reason=True,
        ),
        Transition(
            "reopen",
            frozenset({S.CLOSED, S.DISCARDED}),
            None,  # closed → dispatched (same unit), discarded → filed
            frozenset({R.ADMIN, R.COORDINATOR, R.INSPECTOR}),
            needs_reason=True,
        ),
        Transition(
            "comment",
            frozenset(S),
            None,
            frozenset({R.ADMIN, R.COORDINATOR, R.OFFICER, R.INSPECTOR, R.LEADER}),
            needs_reason=True,
        ),
    )
}
REOPEN_TARGET = {S.CLOSED: S.DISPATCHED, S.DISCARDED: S.FILED}


def target_of(transition: Transition, current: CaseStatus) -> CaseStatus:
    """The state a case is in after ``transition`` from ``current``."""
    if transition.action == "reopen":
        return REOPEN_TARGET[current]
    return transition.target or current


def actions_from(status: CaseStatus) -> list[str]:
    """The actions the workflow allows from ``status`` (before any role or scope check)."""
    return [a for a, t in TRANSITIONS.items() if status in t.sources]


# Each workflow action is a permission too (``case.dispatch`` …), decided with the others.
register_permissions({f"case.{action}": t.roles for action, t in TRANSITIONS.items()})
