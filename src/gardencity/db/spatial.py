"""Bounding-box filters that use each backend's spatial index."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, column, func, select, table

__all__ = ["BBox", "in_bbox"]

BBox = tuple[float, float, float, float]


def in_bbox(dialect: str, model: Any, bbox: BBox) -> ColumnElement[bool]:
    """A WHERE clause: rows of ``model`` whose geometry's box meets ``bbox`` (lon/lat).

    PostGIS: ``geometry && ST_MakeEnvelope(…)`` on the GiST index. SQLite: the row's id in
    the table's R*Tree, which the migrations keep in step through triggers.
    """
    minx, miny, maxx, maxy = bbox
    if dialect == "postgresql":
        envelope = func.ST_MakeEnvelope(minx, miny, maxx, maxy, 4326)
        return model.geometry.op("&&")(envelope)  # type: ignore[no-any-return]
    index = table(
        f"{model.__tablename__}_rtree",
        column("id"),
        column("minx"),
        column("maxx"),
        column("miny"),
        column("maxy"),
    )
    hits: Select[Any] = select(index.c.id).where(
        index.c.maxx >= minx, index.c.minx <= maxx, index.c.maxy >= miny, index.c.miny <= maxy
    )
    return model.id.in_(hits)  # type: ignore[no-any-return]
