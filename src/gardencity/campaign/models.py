"""The campaign's tables (SQLAlchemy 2 ORM).

The organisation (units, users, leaders' contact points, grids), cases with their
append-only event log and attachments, spot checks, red and black flags, targets and their
progress reports, API credentials and the admin audit log. Geometries are WGS 84
longitude/latitude (:class:`gardencity.db.types.Geometry`); every timestamp is UTC.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from gardencity.db.types import Geometry, UtcDateTime

__all__ = [
    "ApiKey",
    "AssessmentRun",
    "Attachment",
    "AuditEntry",
    "AuthToken",
    "Base",
    "Case",
    "CaseEvent",
    "FlagAward",
    "Grid",
    "LeaderAssignment",
    "SpotCheck",
    "Target",
    "TargetReport",
    "Unit",
    "User",
]


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON()}  # noqa: RUF012


class BoundingBox:
    """Bounding-box columns kept in step with ``geometry``; SQLite's R*Tree indexes them."""

    minx: Mapped[float | None] = mapped_column(Float)
    miny: Mapped[float | None] = mapped_column(Float)
    maxx: Mapped[float | None] = mapped_column(Float)
    maxy: Mapped[float | None] = mapped_column(Float)

    def set_bounds(self, geometry: BaseGeometry | None) -> None:
        if geometry is None or geometry.is_empty:
            self.minx = self.miny = self.maxx = self.maxy = None
        else:
            self.minx, self.miny, self.maxx, self.maxy = (float(v) for v in geometry.bounds)


class Unit(Base):
    """An organisational unit: city, district, street, community, department or a
    responsible unit such as a park management office or a residential compound."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
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


class Case(BoundingBox, Base):
    """案卷: one problem, from filing to verified closure; its history is in ``events``."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(32), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(32), index=True)
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    geometry: Mapped[BaseGeometry] = mapped_column(Geometry(), deferred=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    grid_code: Mapped[str | None] = mapped_column(String(64), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    routing_reason: Mapped[str | None] = mapped_column(Text)
    site_kind: Mapped[str | None] = mapped_column(String(32))
    site_ref: Mapped[str | None] = mapped_column(String(200))
    indicator_id: Mapped[str | None] = mapped_column(String(64), index=True)
    action_code: Mapped[str | None] = mapped_column(String(64), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_email: Mapped[str | None] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(40))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    sent_back_count: Mapped[int] = mapped_column(Integer, default=0)
    deadline_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="case", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id])

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


Index("ix_cases_unit_status", Case.unit_id, Case.status)
Index("ix_cases_created_at_id", Case.created_at, Case.id)  # the case list's order


class CaseEvent(Base):
    """One appended line of a case's history: who did what, when, from which state to which.

    ``public`` says the event's ``reason`` is a reply to the reporter, shown on the public
    timeline and in Open311 ``status_notes``. Staff comments and reasons are internal unless
    the writer deliberately replies; the public sees status changes without their reasons
    (:mod:`gardencity.campaign.privacy`).
    """

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    public: Mapped[bool] = mapped_column(default=False)

    case: Mapped[Case] = relationship(back_populates="events")


def new_public_id() -> str:
    """An identifier that cannot be guessed or enumerated (128 random bits)."""
    return secrets.token_urlsafe(16)


class Attachment(Base):
    """A photo or document of a case, kept in the content-addressed file store.

    ``public``: shown with the public view of its case (the photo a resident sent with the
    report, or one staff chose to show), served anonymously under ``public_id`` — never
    under the sequential ``id``. ``metadata_stripped`` is false only for photos stored
    before metadata was stripped on upload (migration 0006); they are cleaned whenever
    served (:mod:`gardencity.campaign.media`).
    """

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str | None] = mapped_column(String(200))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    public: Mapped[bool] = mapped_column(default=False)
    metadata_stripped: Mapped[bool] = mapped_column(default=True)

    case: Mapped[Case | None] = relationship(back_populates="attachments")


class SpotCheck(Base):
    """An inspector's spot-check score (0–100) of a unit, used by the ranking."""

    __tablename__ = "spot_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    score: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(index=True)


class FlagAward(Base):
    """One unit's score, rank and flag (red, black or none) for one period; kept as history."""

    __tablename__ = "flag_awards"
    __table_args__ = (UniqueConstraint("period", "period_start", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[datetime] = mapped_column(index=True)
    period_end: Mapped[datetime]
    level: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    flag: Mapped[str | None] = mapped_column(String(8))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime]


class Target(Base):
    """A target the city assigns to a district for one campaign action and metric."""

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("unit_id", "action_code", "metric", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    action_code: Mapped[str] = mapped_column(String(64))
    action_name: Mapped[str | None] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(64))
    target_value: Mapped[float] = mapped_column(Float)
    year: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class TargetReport(Base):
    """A district's progress report against a target, with evidence."""

    __tablename__ = "target_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"), index=True)
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime]


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


class AssessmentRun(Base):
    """One assessment of the workspace (or a what-if variant of it), run as a job.

    Its outputs (scorecard.json, diagnostics.gpkg, report.html) live in the workspace under
    ``runs/<id>/``; ``values`` keeps each indicator's city value for the trend chart.
    """

    __tablename__ = "assessment_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="assessment")
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(200), default="")
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    edits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)


# the inspection tables share this Base (one schema, one migration chain)
from gardencity.inspection import models as _inspection_models  # noqa: E402

del _inspection_models
