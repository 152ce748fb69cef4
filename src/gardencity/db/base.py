"""The declarative base every domain's tables are built on (one schema, one migration chain).

Each domain owns its models — :mod:`gardencity.auth.models` (the organisation and who may log
in), :mod:`gardencity.campaign.models` (cases and what the campaign decides),
:mod:`gardencity.inspection.models`, :mod:`gardencity.jobs.models` — and all of them derive from
:class:`Base`; :mod:`gardencity.db.registry` names them for Alembic and the backup.
Geometries are WGS 84 longitude/latitude (:class:`gardencity.db.types.Geometry`); every
timestamp is UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import JSON, Float
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gardencity.db.types import UtcDateTime

__all__ = ["Base", "BoundingBox"]


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
