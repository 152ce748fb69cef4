"""The organisation and who may act in it (SQLAlchemy 2 ORM).

Units (city, districts, streets, departments, responsible units) and the grid cells (网格)
that tile the city, users with their roles,
leaders' contact points (包挂), login sessions and API tokens, Open311 client keys and the
admin audit log. Geometries are WGS 84 longitude/latitude
(:class:`gardencity.db.types.Geometry`); every timestamp is UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gardencity.db.base import Base, BoundingBox
from gardencity.db.types import Geometry

__all__ = [
    "ApiKey",
    "AuditEntry",
    "AuthToken",
    "Grid",
    "LeaderAssignment",
    "LoginFailure",
    "RateCounter",
    "Unit",
    "User",
]


class Unit(Base):
    """An organisational unit: city, district, street, community, department or a
    responsible unit such as a park management office or a residential compound."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # the name English pages show; none: the Chinese name romanised (auth.unit_names)
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    area: Mapped[BaseGeometry | None] = mapped_column(Geometry())
    created_at: Mapped[datetime]

    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    unit: Mapped[Unit | None] = relationship()


class LeaderAssignment(Base):
    """包挂: a leader answers for the problems of a unit (a contact point)."""

    __tablename__ = "leader_assignments"
    __table_args__ = (UniqueConstraint("user_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)


class Grid(BoundingBox, Base):
    """网格: a closed polygon of the grid that tiles the city, with its code."""

    __tablename__ = "grids"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    geometry: Mapped[BaseGeometry] = mapped_column(Geometry())


class AuthToken(Base):
    """A login session (cookie) or an API token; only the SHA-256 of the secret is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str | None] = mapped_column(String(100))  # what an API token is for
    # the log-in session that created this API token: its logout revokes the token too
    session_id: Mapped[int | None] = mapped_column(ForeignKey("auth_tokens.id"), index=True)

    user: Mapped[User] = relationship()


class ApiKey(Base):
    """An Open311 api_key of a client application (resident app, hotline system)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class AuditEntry(Base):
    """审计日志: one administrative action (users, units, grids, settings, flags)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RateCounter(Base):
    """Hits of one client on one rate-limited route in one minute (gardencity.auth.throttle:
    in the campaign database on PostgreSQL, unlogged; in a side file on SQLite)."""

    __tablename__ = "rate_counters"

    bucket: Mapped[str] = mapped_column(String(32), primary_key=True)
    client: Mapped[str] = mapped_column(String(200), primary_key=True)
    minute: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hits: Mapped[int]


class LoginFailure(Base):
    """Failed log-ins in a row of one account name, and until when it is locked."""

    __tablename__ = "login_failures"

    account: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int]
    last_failure: Mapped[float]  # Unix time
    locked_until: Mapped[float]  # Unix time; 0 when not locked
