"""The organisation's stamp: a tuple that changes whenever units, grids, leaders' contact
points or the audit log change, so that frames built from them (the unit tree for scope
checks, the routing frames) can be cached per process and rebuilt only when it moves.

Requests read the stamp in the same round trip as the user (see
:func:`gardencity.auth.sessions.user_for_token`); a session that writes any of these tables
forgets what it remembered, so it never decides with an outdated tree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ScalarSelect, event, func, select
from sqlalchemy.orm import Session, UOWTransaction

from gardencity.auth.models import AuditEntry, Grid, LeaderAssignment, Unit

__all__ = ["WATCHED_MODELS", "organisation_stamp", "remember_stamp", "stamp_columns"]

_KEY = "organisation_stamp"
WATCHED_MODELS = (Unit, Grid, LeaderAssignment, AuditEntry)
FORGET_ON_CHANGE = [_KEY, "unit_tree"]


def stamp_columns() -> list[ScalarSelect[Any]]:
    """Scalar subqueries whose values together make the stamp (count and max id per table)."""
    return [
        select(aggregate(model.id)).scalar_subquery()
        for model in WATCHED_MODELS
        for aggregate in (func.count, func.max)
    ]


def remember_stamp(session: Session, values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Keep ``values`` (read with :func:`stamp_columns`) as this session's stamp."""
    stamp = (id(session.get_bind()), *values)
    session.info[_KEY] = stamp
    return stamp


def organisation_stamp(session: Session) -> tuple[Any, ...]:
    """This session's stamp, read once (one query) unless a request already read it."""
    stamp = session.info.get(_KEY)
    if isinstance(stamp, tuple):
        return stamp
    return remember_stamp(session, tuple(session.execute(select(*stamp_columns())).one()))


@event.listens_for(Session, "after_flush")
def _forget_on_change(session: Session, _flush: UOWTransaction) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, WATCHED_MODELS) for obj in changed):
        for key in FORGET_ON_CHANGE:
            session.info.pop(key, None)
