"""Column types that behave the same on SQLite and PostgreSQL/PostGIS.

* :class:`Geometry` holds a shapely geometry in WGS 84 longitude/latitude (EPSG:4326). On
  PostgreSQL it is a PostGIS ``geometry(Geometry,4326)`` column (GiST-indexed by the
  migrations); on SQLite it is WKB in a BLOB, indexed through an R*Tree over the row's
  bounding-box columns.
* :class:`UtcDateTime` always returns timezone-aware UTC datetimes, also from SQLite, which
  stores no offset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import DateTime, LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

__all__ = ["WGS84", "Geometry", "UtcDateTime"]

WGS84 = 4326


class _PostGISGeometry(UserDefinedType[Any]):
    cache_ok = True

    def get_col_spec(self, **_: Any) -> str:
        return f"geometry(Geometry,{WGS84})"


class Geometry(TypeDecorator[BaseGeometry]):
    """A shapely geometry in EPSG:4326, stored as PostGIS geometry or SQLite WKB."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_PostGISGeometry())
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: BaseGeometry | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return shapely.to_wkb(shapely.set_srid(value, WGS84), hex=True, include_srid=True)
        return shapely.to_wkb(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> BaseGeometry | None:
        if value is None:
            return None
        geometry = shapely.from_wkb(value)
        return shapely.set_srid(geometry, 0) if dialect.name == "postgresql" else geometry


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is stored in UTC and read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass a timezone-aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
