"""The campaign's tables (SQLAlchemy 2 ORM).

Cases with their append-only event log and attachments, spot checks, red and black
flags, targets and their progress reports. They build on the organisation's tables
(:mod:`gardencity.auth.models`). Geometries are WGS 84 longitude/latitude
(:class:`gardencity.db.types.Geometry`); every timestamp is UTC.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gardencity.auth.models import Unit
from gardencity.db.base import Base, BoundingBox
from gardencity.db.types import Geometry

__all__ = [
    "Attachment",
    "Case",
    "CaseEvent",
    "FlagAward",
    "IdempotencyKey",
    "SpotCheck",
    "Target",
    "TargetReport",
]


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


class IdempotencyKey(Base):
    """A client's ``Idempotency-Key`` (a UUID it made) and what its first request created.

    A phone that files a case while the signal comes and goes sends the same request again
    with the same key; the unique pair (user, key) makes the second send find the first
    case (or photo) instead of creating another, even when both arrive at the same time.
    ``fingerprint`` (SHA-256 of the request) tells a repeat from another request that reuses
    the key. Keys belong to one user: another user's key never finds this record.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(36))
    operation: Mapped[str] = mapped_column(String(32))  # file_case, attach_file
    fingerprint: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    created_at: Mapped[datetime]


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
