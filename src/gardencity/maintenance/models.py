"""The maintenance tables: the sites kept, their inspections and each item's result.

They live on the shared declarative ``Base`` (one schema, one migration chain);
:mod:`gardencity.db.registry` names this module. Geometries are WGS 84 longitude/latitude;
every timestamp is UTC.
"""

from __future__ import annotations

from datetime import datetime

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gardencity.db.base import Base
from gardencity.db.types import Geometry

__all__ = ["InspectionItem", "MaintainedSite", "MaintenanceInspection"]


class MaintainedSite(Base):
    """A place someone maintains: a park, a road's green, a residential compound, a unit's
    courtyard or a greenway, with the unit that answers for it and its district."""

    __tablename__ = "maintained_sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    site_type: Mapped[str] = mapped_column(String(32), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    geometry: Mapped[BaseGeometry | None] = mapped_column(Geometry(), deferred=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]


class MaintenanceInspection(Base):
    """One inspector's scoring of one site against its type's check-list."""

    __tablename__ = "maintenance_inspections"
    __table_args__ = (UniqueConstraint("inspector_id", "client_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("maintained_sites.id"), index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    inspected_at: Mapped[datetime] = mapped_column(index=True)
    score: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    # the phone's Idempotency-Key and a digest of what it sent: a repeat is stored once
    client_key: Mapped[str | None] = mapped_column(String(36))
    fingerprint: Mapped[str | None] = mapped_column(String(64))

    items: Mapped[list[InspectionItem]] = relationship(
        back_populates="inspection", order_by="InspectionItem.id", cascade="all, delete-orphan"
    )


Index("ix_maintenance_site_time", MaintenanceInspection.site_id, MaintenanceInspection.inspected_at)


class InspectionItem(Base):
    """One check-list item's result (pass, fail or na) with the weight it had then, and for a
    failed item its photo and the case filed for it."""

    __tablename__ = "maintenance_inspection_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("maintenance_inspections.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(8))
    weight: Mapped[float] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))

    inspection: Mapped[MaintenanceInspection] = relationship(back_populates="items")
