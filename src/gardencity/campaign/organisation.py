"""The organisation: units, users, leaders' contact points (包挂), grids, API keys, audit.

Every administrative change writes an :class:`~gardencity.auth.models.AuditEntry`.
"""

from __future__ import annotations

from typing import Any, Literal

import geopandas as gpd
from pydantic import ConfigDict, Field
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gardencity.auth.models import ApiKey, AuditEntry, Grid, LeaderAssignment, Unit, User
from gardencity.auth.passwords import check_password_policy, hash_password, hash_secret, new_secret
from gardencity.auth.permissions import UnitTree, authorize
from gardencity.auth.roles import Role, role_label
from gardencity.auth.sessions import revoke_user_tokens
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.grids import check_grid_tiling
from gardencity.campaign.schemas import DbId
from gardencity.errors import ConflictError, InvalidRequestError, NotFoundError
from gardencity.messages import Catalogue, Listing, Message
from gardencity.text import CleanInput

__all__ = [
    "UnitIn",
    "UnitPatch",
    "UserIn",
    "UserPatch",
    "assign_leader",
    "audit",
    "create_api_key",
    "create_unit",
    "create_user",
    "import_grids",
    "revoke_api_key",
    "update_unit",
    "update_user",
]
MESSAGES = Catalogue(__package__)

UnitKind = Literal["city", "district", "street", "community", "department", "responsible"]


class UnitIn(CleanInput):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=1, max_length=200)
    # the name English pages show; none: the Chinese name romanised
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    kind: UnitKind
    parent_id: DbId | None = None


class UnitPatch(CleanInput):
    """A unit's new names; a field left out stays as it is, a null English name is removed
    (English pages then show the Chinese name romanised)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)


class UserIn(CleanInput):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@\-]+$")
    display_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=200)
    role: Role
    unit_id: DbId | None = None
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)


class UserPatch(CleanInput):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    unit_id: DbId | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)


def audit(
    session: Session,
    ctx: ServiceContext,
    actor: User | None,
    action: str,
    obj: Any,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=ctx.now(),
            actor_id=actor.id if actor else None,
            action=action,
            object_type=type(obj).__tablename__ if hasattr(type(obj), "__tablename__") else "-",
            object_id=str(getattr(obj, "id", "")) or None,
            detail=detail or {},
        )
    )


def _flush_unique(session: Session, what: Message) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(MESSAGES.message("errors.already_exists", what=what)) from exc


def create_unit(session: Session, ctx: ServiceContext, actor: User | None, data: UnitIn) -> Unit:
    if actor is not None:
        authorize(actor, "unit.manage")
    if data.parent_id is not None and session.get(Unit, data.parent_id) is None:
        raise InvalidRequestError(
            MESSAGES.message("errors.parent_unit_missing", unit_id=data.parent_id)
        )
    unit = Unit(**data.model_dump(), created_at=ctx.now())
    session.add(unit)
    session.info.pop("unit_tree", None)
    _flush_unique(session, MESSAGES.message("errors.unit_code_taken", code=data.code))
    audit(session, ctx, actor, "unit.create", unit, data.model_dump())
    return unit


def update_unit(
    session: Session, ctx: ServiceContext, actor: User, unit_id: int, patch: UnitPatch
) -> Unit:
    """Rename unit ``unit_id`` (its Chinese and/or English name)."""
    authorize(actor, "unit.manage")
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFoundError(MESSAGES.message("unit_not_found", unit_id=unit_id))
    changes = patch.model_dump(exclude_unset=True)
    # null leaves the Chinese name as it is; it removes the English one
    changes = {k: v for k, v in changes.items() if v is not None or k == "name_en"}
    for key, value in changes.items():
        setattr(unit, key, value)
    session.flush()
    audit(session, ctx, actor, "unit.update", unit, {k: str(v) for k, v in changes.items()})
    return unit


def _check_user_unit(session: Session, role: Role, unit_id: int | None) -> None:
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise InvalidRequestError(MESSAGES.message("errors.unit_missing", unit_id=unit_id))
    if role in {Role.COORDINATOR, Role.OFFICER, Role.INSPECTOR} and unit_id is None:
        raise InvalidRequestError(MESSAGES.message("errors.role_needs_unit", role=role_label(role)))


def create_user(session: Session, ctx: ServiceContext, actor: User | None, data: UserIn) -> User:
    if actor is not None:
        authorize(actor, "user.manage")
    _check_user_unit(session, data.role, data.unit_id)
    check_password_policy(data.password, [data.username, data.display_name, data.email])
    values = data.model_dump(exclude={"password"})
    user = User(**values, password_hash=hash_password(data.password), created_at=ctx.now())
    session.add(user)
    _flush_unique(session, MESSAGES.message("errors.username_taken", username=data.username))
    audit(session, ctx, actor, "user.create", user, {**values, "role": data.role.value})
    return user


def update_user(
    session: Session, ctx: ServiceContext, actor: User, user_id: int, patch: UserPatch
) -> User:
    authorize(actor, "user.manage")
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(MESSAGES.message("errors.user_not_found", user_id=user_id))
    changes = patch.model_dump(exclude_unset=True, exclude={"password"})
    # null leaves a field as it is, except the unit, which a null removes
    changes = {k: v for k, v in changes.items() if v is not None or k == "unit_id"}
    role = Role(changes.get("role", user.role))
    _check_user_unit(session, role, changes.get("unit_id", user.unit_id))
    for key, value in changes.items():
        setattr(user, key, value)
    if patch.password:
        check_password_policy(patch.password, [user.username, user.display_name, user.email])
        user.password_hash = hash_password(patch.password)
        revoke_user_tokens(session, user.id)  # a reset ends every session and token
        changes["password"] = "(changed)"
    audit(session, ctx, actor, "user.update", user, {k: str(v) for k, v in changes.items()})
    return user


def assign_leader(
    session: Session, ctx: ServiceContext, actor: User | None, user_id: int, unit_id: int
) -> LeaderAssignment:
    """包挂: make leader ``user_id`` answer for the problems of unit ``unit_id``."""
    if actor is not None:
        authorize(actor, "leader.manage")
    leader = session.get(User, user_id)
    if leader is None or leader.role != Role.LEADER:
        raise InvalidRequestError(MESSAGES.message("errors.not_a_leader", user_id=user_id))
    if session.get(Unit, unit_id) is None:
        raise InvalidRequestError(MESSAGES.message("errors.unit_missing", unit_id=unit_id))
    assignment = LeaderAssignment(user_id=user_id, unit_id=unit_id)
    session.add(assignment)
    _flush_unique(
        session, MESSAGES.message("errors.leader_taken", user_id=user_id, unit_id=unit_id)
    )
    audit(
        session, ctx, actor, "leader.assign", assignment, {"user_id": user_id, "unit_id": unit_id}
    )
    return assignment


def import_grids(
    session: Session,
    ctx: ServiceContext,
    actor: User | None,
    grids: gpd.GeoDataFrame,
    *,
    code_column: str = "code",
    unit_code_column: str | None = "unit_code",
    name_column: str | None = "name",
) -> dict[str, Any]:
    """Replace the grid with ``grids`` after checking it tiles without gaps or overlaps.

    Nothing stored changes unless every check passes; the error lists every problem.
    """
    if actor is not None:
        authorize(actor, "grid.manage")
    report = check_grid_tiling(grids, code_column=code_column)
    if not report.ok:
        problems = Listing(tuple(report.problems), ("\n- ", "\n- "))
        raise InvalidRequestError(MESSAGES.message("grid_not_imported", problems=problems))
    units = dict(session.execute(select(Unit.code, Unit.id)).all())
    unknown: list[str] = []
    lonlat = report.grids.to_crs(4326) if hasattr(report, "grids") else grids.to_crs(4326)
    rows = []
    for _, row in lonlat.iterrows():
        unit_code = row.get(unit_code_column) if unit_code_column else None
        unit_id = units.get(str(unit_code)) if unit_code is not None else None
        if unit_code is not None and unit_id is None:
            unknown.append(str(unit_code))
        grid = Grid(
            code=str(row[code_column]),
            name=str(row[name_column]) if name_column and row.get(name_column) else None,
            unit_id=unit_id,
            geometry=row.geometry,
        )
        grid.set_bounds(row.geometry)
        rows.append(grid)
    if unknown:
        codes = sorted(set(unknown))[:20]
        raise InvalidRequestError(
            MESSAGES.message("errors.unknown_unit_codes", column=unit_code_column, codes=codes)
        )
    session.execute(delete(Grid))
    session.add_all(rows)
    session.flush()
    audit(session, ctx, actor, "grid.import", rows[0] if rows else Grid(), {"count": len(rows)})
    return {"imported": len(rows), "problems": [str(p) for p in report.problems]}


def create_api_key(
    session: Session, ctx: ServiceContext, actor: User | None, name: str
) -> tuple[str, ApiKey]:
    """A new Open311 api_key for a client application: the key (returned once) and its row."""
    if actor is not None:
        authorize(actor, "api_key.manage")
    secret = new_secret()
    key = ApiKey(key_hash=hash_secret(secret), name=name, created_at=ctx.now())
    session.add(key)
    session.flush()
    audit(session, ctx, actor, "api_key.create", key, {"name": name})
    return secret, key


def revoke_api_key(session: Session, ctx: ServiceContext, actor: User, key_id: int) -> None:
    """Revoke an Open311 api_key (kept, inactive, for the audit trail)."""
    authorize(actor, "api_key.manage")
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFoundError(MESSAGES.message("errors.api_key_not_found", key_id=key_id))
    key.is_active = False
    audit(session, ctx, actor, "api_key.revoke", key, {"name": key.name})


def unit_tree(session: Session) -> UnitTree:
    return UnitTree.from_session(session)
