"""Units, users, leaders' contact points, grids, Open311 api_keys and the audit log."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import pyogrio
from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry import mapping
from sqlalchemy import select

from gardencity.api.deps import Ctx, CurrentUser, DbSession, Lang, PathId
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.auth.models import ApiKey, AuditEntry, Grid, LeaderAssignment, Unit, User
from gardencity.auth.permissions import authorize
from gardencity.auth.unit_names import unit_label
from gardencity.campaign import organisation as org
from gardencity.campaign.schemas import DbId
from gardencity.errors import InvalidRequestError
from gardencity.messages import Catalogue
from gardencity.text import CleanInput

router = APIRouter(prefix="/api/v1", tags=["organisation"], responses=ERROR_RESPONSES)
MESSAGES = Catalogue(__package__)


class UnitOut(BaseModel):
    """A unit: its Chinese ``name``, its English ``name_en`` (none: not given) and
    ``label``, the name a reader of the request's language sees."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    name_en: str | None
    label: str = ""
    kind: str
    parent_id: int | None

    @classmethod
    def of(cls, unit: Unit, lang: str) -> UnitOut:
        """``unit`` as a reader of ``lang`` sees it."""
        out = cls.model_validate(unit)
        out.label = unit_label(unit.name, unit.name_en, lang)
        return out


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    is_active: bool


class LeaderIn(CleanInput):
    model_config = ConfigDict(extra="forbid")
    user_id: DbId
    unit_id: DbId


class LeaderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    user_id: int
    unit_id: int


class ApiKeyIn(CleanInput):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    is_active: bool
    created_at: datetime


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: str | None
    detail: dict[str, Any]


@router.get("/units", operation_id="list_units")
def list_units(session: DbSession, user: CurrentUser, lang: Lang) -> list[UnitOut]:
    """The organisation tree, flat (parent_id links), each unit's ``label`` in the reader's
    language."""
    authorize(user, "unit.view")
    rows = session.scalars(select(Unit).order_by(Unit.id)).all()
    return [UnitOut.of(u, lang) for u in rows]


@router.post("/units", operation_id="create_unit", status_code=201)
def create_unit(
    session: DbSession, ctx: Ctx, user: CurrentUser, body: org.UnitIn, lang: Lang
) -> UnitOut:
    """A new unit, with its Chinese name and, optionally, its English name."""
    authorize(user, "unit.manage")
    unit = org.create_unit(session, ctx, user, body)
    session.commit()
    return UnitOut.of(unit, lang)


@router.patch("/units/{unit_id}", operation_id="update_unit")
def update_unit(
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    unit_id: PathId,
    body: org.UnitPatch,
    lang: Lang,
) -> UnitOut:
    """Rename a unit: its Chinese name, or its English name (null removes it)."""
    unit = org.update_unit(session, ctx, user, unit_id, body)
    session.commit()
    return UnitOut.of(unit, lang)


@router.get("/users", operation_id="list_users")
def list_users(session: DbSession, user: CurrentUser) -> list[UserOut]:
    authorize(user, "user.view")
    rows = session.scalars(select(User).order_by(User.id)).all()
    return [UserOut.model_validate(u) for u in rows]


@router.post("/users", operation_id="create_user", status_code=201)
def create_user(session: DbSession, ctx: Ctx, user: CurrentUser, body: org.UserIn) -> UserOut:
    authorize(user, "user.manage")
    created = org.create_user(session, ctx, user, body)
    session.commit()
    return UserOut.model_validate(created)


@router.patch("/users/{user_id}", operation_id="update_user")
def update_user(
    session: DbSession, ctx: Ctx, user: CurrentUser, user_id: PathId, body: org.UserPatch
) -> UserOut:
    updated = org.update_user(session, ctx, user, user_id, body)
    session.commit()
    return UserOut.model_validate(updated)


@router.get("/leaders", operation_id="list_leader_assignments")
def list_leaders(session: DbSession, user: CurrentUser) -> list[LeaderOut]:
    """包挂: which leader answers for which unit."""
    authorize(user, "unit.view")
    rows = session.scalars(select(LeaderAssignment).order_by(LeaderAssignment.id)).all()
    return [LeaderOut.model_validate(r) for r in rows]


@router.post("/leaders", operation_id="assign_leader", status_code=201)
def assign_leader(session: DbSession, ctx: Ctx, user: CurrentUser, body: LeaderIn) -> LeaderOut:
    authorize(user, "leader.manage")
    row = org.assign_leader(session, ctx, user, body.user_id, body.unit_id)
    session.commit()
    return LeaderOut.model_validate(row)


@router.get("/grids.geojson", operation_id="list_grids_geojson")
def list_grids(session: DbSession, user: CurrentUser) -> dict[str, Any]:
    """The grid cells as a GeoJSON FeatureCollection (WGS 84)."""
    authorize(user, "grid.view")
    rows = session.scalars(select(Grid).order_by(Grid.code)).all()
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": g.id,
                "geometry": mapping(g.geometry),
                "properties": {"code": g.code, "name": g.name, "unit_id": g.unit_id},
            }
            for g in rows
        ],
    }


@router.post("/grids/import", operation_id="import_grids")
def import_grids(
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="GeoPackage with the grid cells")],
    layer: Annotated[str | None, Form(max_length=100)] = None,
    code_column: Annotated[str, Form(max_length=64)] = "code",
) -> dict[str, Any]:
    """Replace the grid from a GeoPackage after checking it tiles without gaps or overlaps;
    nothing changes when a check fails."""
    authorize(user, "grid.manage")
    content = file.file.read(200_000_001)
    if len(content) > 200_000_000:
        raise InvalidRequestError(MESSAGES.message("grid_too_large"))
    if not content.startswith(b"SQLite format 3\x00"):
        raise InvalidRequestError(MESSAGES.message("grid_not_gpkg"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "grids.gpkg"
        path.write_bytes(content)
        try:
            gdf = pyogrio.read_dataframe(path, layer=layer)
        except Exception as exc:
            raise InvalidRequestError(MESSAGES.message("grid_unreadable", detail=exc)) from exc
    result = org.import_grids(session, ctx, user, gdf, code_column=code_column)
    session.commit()
    return result


@router.post("/api-keys", operation_id="create_api_key", status_code=201)
def create_api_key(
    session: DbSession, ctx: Ctx, user: CurrentUser, body: ApiKeyIn
) -> dict[str, str | int]:
    """A new Open311 api_key for a client application; shown once."""
    authorize(user, "api_key.manage")
    key, row = org.create_api_key(session, ctx, user, body.name)
    session.commit()
    return {"api_key": key, "name": body.name, "id": row.id}


@router.get("/api-keys", operation_id="list_api_keys")
def list_api_keys(session: DbSession, user: CurrentUser) -> list[ApiKeyOut]:
    """The Open311 api_keys (never the keys themselves), newest first; revoked ones too."""
    authorize(user, "api_key.manage")
    rows = session.scalars(select(ApiKey).order_by(ApiKey.id.desc())).all()
    return [ApiKeyOut.model_validate(r) for r in rows]


@router.delete("/api-keys/{key_id}", operation_id="revoke_api_key", status_code=204)
def revoke_api_key(session: DbSession, ctx: Ctx, user: CurrentUser, key_id: PathId) -> None:
    """Revoke an Open311 api_key: its client application can no longer file requests."""
    org.revoke_api_key(session, ctx, user, key_id)
    session.commit()


@router.get("/audit", operation_id="list_audit_log")
def list_audit(
    session: DbSession,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditOut]:
    """The newest administrative actions first."""
    authorize(user, "audit.view")
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).all()
    return [AuditOut.model_validate(r) for r in rows]
