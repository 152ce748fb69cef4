"""The patrols' tables (SQLAlchemy 2 ORM).

A team (巡查组) has a leader and members and is assigned zones (分片): one or more grid
cells, by their codes, for a range of days. Key sites (重点地段 / 重点单位) each have the
person who watches them. A patrol is one round of one user, made on the phone: its id is a
UUID the phone makes (so a patrol started without signal is the same patrol when it is sent),
its track the points the phone sampled, numbered from 0 (a point sent twice is stored once).
Geometries are WGS 84 longitude/latitude; every timestamp is UTC; zone days are the city's.
"""

from __future__ import annotations

from datetime import date, datetime

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gardencity.db.base import Base
from gardencity.db.types import Geometry

__all__ = [
    "KeySite",
    "Patrol",
    "PatrolCase",
    "PatrolCellCover",
    "PatrolCellDay",
    "PatrolCoverStale",
    "PatrolPoint",
    "PatrolTeam",
    "PatrolTeamMember",
    "PatrolZone",
    "PatrolZoneCell",
]


class PatrolTeam(Base):
    """巡查组: people who patrol together, with the leader who answers for their zones."""

    __tablename__ = "patrol_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]

    members: Mapped[list[PatrolTeamMember]] = relationship(
        back_populates="team", order_by="PatrolTeamMember.user_id", cascade="all, delete-orphan"
    )
    zones: Mapped[list[PatrolZone]] = relationship(
        back_populates="team", order_by="PatrolZone.start_date", cascade="all, delete-orphan"
    )


class PatrolTeamMember(Base):
    __tablename__ = "patrol_team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("patrol_teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    team: Mapped[PatrolTeam] = relationship(back_populates="members")


class PatrolZone(Base):
    """分片: the grid cells a team patrols from ``start_date`` to ``end_date`` (both included,
    days of the city's calendar: one day, a week …)."""

    __tablename__ = "patrol_zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("patrol_teams.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(index=True)
    end_date: Mapped[date] = mapped_column(index=True)
    created_at: Mapped[datetime]

    team: Mapped[PatrolTeam] = relationship(back_populates="zones")
    cells: Mapped[list[PatrolZoneCell]] = relationship(
        back_populates="zone", order_by="PatrolZoneCell.grid_code", cascade="all, delete-orphan"
    )


class PatrolZoneCell(Base):
    """One grid cell of a zone, by its code (a re-imported grid keeps its codes)."""

    __tablename__ = "patrol_zone_cells"
    __table_args__ = (UniqueConstraint("zone_id", "grid_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("patrol_zones.id"), index=True)
    grid_code: Mapped[str] = mapped_column(String(64), index=True)

    zone: Mapped[PatrolZone] = relationship(back_populates="cells")


class KeySite(Base):
    """重点地段 (``kind`` section) or 重点单位 (``kind`` unit): a place a named person watches
    until its problems are fixed; where it is: a geometry, or a grid cell, or both."""

    __tablename__ = "patrol_key_sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    geometry: Mapped[BaseGeometry | None] = mapped_column(Geometry())
    grid_code: Mapped[str | None] = mapped_column(String(64), index=True)
    watcher_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Patrol(Base):
    """One patrol of one user: started and stopped on the phone (phone times, UTC)."""

    __tablename__ = "patrols"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_teams.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class PatrolPoint(Base):
    """One sampled GPS position of a patrol's track; ``seq`` numbers them on the phone."""

    __tablename__ = "patrol_points"
    __table_args__ = (UniqueConstraint("patrol_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrols.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    accuracy: Mapped[float] = mapped_column(Float)  # metres (the phone's 68 % radius)


class PatrolCase(Base):
    """A case filed during a patrol (a case belongs to at most one patrol)."""

    __tablename__ = "patrol_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrols.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)


class PatrolCellCover(Base):
    """The part of one grid cell one patrol covered on one day of the city: a polygon in
    the grid's metric CRS (WKB), kept so that a late batch of points can be recomputed."""

    __tablename__ = "patrol_cell_covers"
    __table_args__ = (UniqueConstraint("patrol_id", "day", "grid_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrols.id"), index=True)
    day: Mapped[date] = mapped_column(index=True)
    grid_code: Mapped[str] = mapped_column(String(64))
    cover: Mapped[bytes] = mapped_column(LargeBinary)


class PatrolCellDay(Base):
    """The share (0–1) of a grid cell the day's patrols covered together."""

    __tablename__ = "patrol_cell_days"
    __table_args__ = (UniqueConstraint("day", "grid_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    grid_code: Mapped[str] = mapped_column(String(64), index=True)
    share: Mapped[float] = mapped_column(Float)


class PatrolCoverStale(Base):
    """A patrol's day whose cover must be computed again from all its points (a batch came
    after later ones); the coverage job clears it."""

    __tablename__ = "patrol_cover_stale"
    __table_args__ = (UniqueConstraint("patrol_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrols.id"), index=True)
    day: Mapped[date]
