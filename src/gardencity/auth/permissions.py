"""Every permission decision, in one place, from the user's role and unit scope.

Two questions are asked of every request:

1. **Role** — may this role do this at all? :data:`PERMISSIONS` maps each permission name
   (``case.view``, ``case.verify``, ``grid.manage`` …) to the roles that hold it; the
   campaign adds its workflow actions (``case.dispatch`` …) from its transition table
   with :func:`register_permissions`.
2. **Scope** — on which records? Admins and leaders see the whole city. Coordinators,
   inspectors and unit officers see the cases of their own unit and the units below it (a
   district coordinator: the district; a unit officer: its unit). Residents see the cases
   they reported. A case outside the user's scope is reported as *not found*, so its
   existence does not leak.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from gardencity.auth.models import Unit, User
from gardencity.auth.org_stamp import organisation_stamp
from gardencity.auth.roles import Role, role_label
from gardencity.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from gardencity.messages import Catalogue

__all__ = [
    "PERMISSIONS",
    "STAFF",
    "ScopedRecord",
    "UnitTree",
    "allowed_actions",
    "authorize",
    "can_see_case",
    "register_permissions",
    "scope_clause",
]
MESSAGES = Catalogue(__package__)

R = Role
STAFF = frozenset({R.ADMIN, R.COORDINATOR, R.OFFICER, R.INSPECTOR, R.LEADER})
CITY_WIDE = frozenset({R.ADMIN, R.LEADER})

_TREES: dict[tuple[object, ...], UnitTree] = {}

PERMISSIONS: dict[str, frozenset[Role]] = {
    "case.view": STAFF | {R.RESIDENT},
    "case.file": STAFF | {R.RESIDENT},
    "case.attach": frozenset({R.ADMIN, R.COORDINATOR, R.OFFICER, R.INSPECTOR}),
    "case.export": frozenset({R.ADMIN, R.COORDINATOR, R.LEADER}),
    "case.escalate_overdue": frozenset({R.ADMIN}),
    "unit.view": STAFF,
    "unit.manage": frozenset({R.ADMIN}),
    "user.view": frozenset({R.ADMIN, R.COORDINATOR}),
    "user.manage": frozenset({R.ADMIN}),
    "leader.manage": frozenset({R.ADMIN}),
    "grid.view": STAFF,
    "grid.manage": frozenset({R.ADMIN}),
    "ranking.view": STAFF,
    "ranking.compute": frozenset({R.ADMIN}),
    "spot_check.create": frozenset({R.ADMIN, R.INSPECTOR}),
    "target.view": STAFF,
    "target.manage": frozenset({R.ADMIN}),
    "target.report": frozenset({R.ADMIN, R.COORDINATOR}),
    "audit.view": frozenset({R.ADMIN}),
    "api_key.manage": frozenset({R.ADMIN}),
    "backup.run": frozenset({R.ADMIN}),
    "assessment.view": STAFF,
    "brief.view": frozenset({R.ADMIN, R.COORDINATOR, R.LEADER, R.INSPECTOR}),
    "assessment.run": frozenset({R.ADMIN, R.COORDINATOR}),
    "survey.view": frozenset({R.ADMIN, R.COORDINATOR, R.LEADER}),
    "ledger.view": STAFF,
    "ledger.manage": frozenset({R.ADMIN, R.COORDINATOR}),
    "benchmark.view": frozenset({R.ADMIN, R.COORDINATOR, R.LEADER}),
    "benchmark.manage": frozenset({R.ADMIN}),
    "inbox.view": STAFF | {R.RESIDENT},
    "notification.manage": frozenset({R.ADMIN}),
}


def register_permissions(permissions: Mapping[str, frozenset[Role]]) -> None:
    """Add a domain's own permissions (the campaign's workflow actions) to :data:`PERMISSIONS`.

    A permission already held by other roles is refused: one name, one rule.
    """
    for name, roles in permissions.items():
        if PERMISSIONS.get(name, roles) != roles:
            raise ValueError(f"permission {name!r} is already registered with other roles")
    PERMISSIONS.update(permissions)


class ScopedRecord(Protocol):
    """What the scope check reads of a record (a case): its unit and who reported it."""

    @property
    def reference(self) -> str: ...

    @property
    def unit_id(self) -> int | None: ...

    @property
    def reporter_id(self) -> int | None: ...


@dataclass(frozen=True)
class UnitTree:
    """The organisation tree, for scope questions (loaded once per request)."""

    parent: dict[int, int | None]
    children: dict[int, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        children: dict[int, list[int]] = defaultdict(list)
        for unit, parent in self.parent.items():
            if parent is not None:
                children[parent].append(unit)
        object.__setattr__(self, "children", dict(children))

    @classmethod
    def from_session(cls, session: Session) -> UnitTree:
        """The tree as the session sees it: built once per process and organisation stamp
        (see :mod:`gardencity.auth.org_stamp`), remembered by the session."""
        cached = session.info.get("unit_tree")
        if isinstance(cached, UnitTree):
            return cached
        stamp = organisation_stamp(session)
        tree = _TREES.get(stamp)
        if tree is None:
            tree = cls(dict(session.execute(select(Unit.id, Unit.parent_id)).all()))
            _TREES.clear()
            _TREES[stamp] = tree
        session.info["unit_tree"] = tree
        return tree

    def subtree(self, unit_id: int) -> set[int]:
        """``unit_id`` and every unit below it."""
        found, todo = set(), [unit_id]
        while todo:
            unit = todo.pop()
            if unit not in found:
                found.add(unit)
                todo.extend(self.children.get(unit, ()))
        return found

    def ancestors(self, unit_id: int) -> list[int]:
        """``unit_id`` and the units above it, nearest first."""
        chain: list[int] = []
        current: int | None = unit_id
        while current is not None and current not in chain:
            chain.append(current)
            current = self.parent.get(current)
        return chain


def scope_units(user: User, tree: UnitTree) -> set[int] | None:
    """Units whose cases ``user`` may see; None means the whole city."""
    if user.role in CITY_WIDE:
        return None
    if user.role == R.RESIDENT or user.unit_id is None:
        return set()
    return tree.subtree(user.unit_id)


def can_see_case(user: User, case: ScopedRecord, tree: UnitTree) -> bool:
    if user.role == R.RESIDENT:
        return case.reporter_id == user.id
    units = scope_units(user, tree)
    return units is None or case.unit_id in units or case.reporter_id == user.id


def scope_clause(
    user: User, tree: UnitTree, *, unit_column: Any, reporter_column: Any
) -> ColumnElement[bool]:
    """A WHERE clause selecting the records (cases) ``user`` may see, given the columns that
    hold a record's unit and its reporter."""
    if user.role == R.RESIDENT:
        return reporter_column == user.id  # type: ignore[no-any-return]
    units = scope_units(user, tree)
    if units is None:
        return true()
    if not units:
        return false()
    return or_(unit_column.in_(sorted(units)), reporter_column == user.id)


def authorize(
    user: User | None,
    permission: str,
    *,
    case: ScopedRecord | None = None,
    unit_ids: Iterable[int | None] = (),
    tree: UnitTree | None = None,
) -> None:
    """Raise unless ``user`` holds ``permission`` on ``case`` / the units ``unit_ids``.

    Raises
    ------
    AuthenticationError
        No user (not logged in).
    NotFoundError
        The case is outside the user's scope.
    PermissionDeniedError
        The role does not hold the permission, or a unit is outside the user's scope.
    """
    if user is None or not user.is_active:
        raise AuthenticationError(MESSAGES.message("log_in_first"))
    roles = PERMISSIONS.get(permission)
    if roles is None:
        raise KeyError(f"unknown permission {permission!r}")
    if case is not None:
        if tree is None:
            raise ValueError("a UnitTree is needed to check a case's scope")
        if not can_see_case(user, case, tree):
            raise NotFoundError(MESSAGES.message("case_not_found", reference=case.reference))
    if user.role not in roles:
        raise PermissionDeniedError(
            MESSAGES.message(
                "role_not_allowed",
                role=role_label(user.role),
                permission=permission,
                allowed=[role_label(r) for r in sorted(roles)],
            )
        )
    units = [u for u in unit_ids if u is not None]
    if units:
        if tree is None:
            raise ValueError("a UnitTree is needed to check unit scope")
        scope = scope_units(user, tree)
        outside = [u for u in units if scope is not None and u not in scope]
        if outside:
            raise PermissionDeniedError(MESSAGES.message("units_outside_scope", units=outside))


def allowed_actions(
    user: User, case: ScopedRecord, tree: UnitTree, actions: Iterable[str]
) -> list[str]:
    """Of ``actions``, those ``user`` may perform on ``case`` (for the case page's buttons)."""
    out = []
    for action in actions:
        try:
            authorize(user, f"case.{action}", case=case, tree=tree)
        except (PermissionDeniedError, NotFoundError):
            continue
        out.append(action)
    return out
