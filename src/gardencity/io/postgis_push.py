"""Copy a workspace's GeoPackage into a PostGIS schema and make the workspace read from there.

Every layer of ``city.gpkg`` becomes the table ``schema.<layer>`` (replaced if present) with
its GeoPackage feature ids as primary key ``fid``, the geometry in column ``geom`` with the
layer's EPSG SRID, and a GiST spatial index. All tables are written in one transaction, so a
failure leaves the database as it was. Only then is ``city.toml`` rewritten (the old one kept
as ``city.toml.bak``) with a ``[storage]`` section; the GeoPackage stays in the folder.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import shapely
import tomli_w
from pyproj import CRS

from gardencity.errors import NoCrsError, WorkspaceError
from gardencity.io.config import load_config
from gardencity.io.crs import _no_crs_message
from gardencity.io.postgis import (
    _reason,
    connection_error,
    database_url,
    quote_ident,
    redact_url,
)
from gardencity.io.workspace import CONFIG_FILE, Workspace
from gardencity.messages import Catalogue

MESSAGES = Catalogue(__package__)

__all__ = ["PushReport", "PushedLayer", "push_to_postgis"]

GEOMETRY_COLUMN = "geom"
_TYPE_NAMES = {  # shapely.get_type_id -> PostGIS type modifier
    0: "Point",
    1: "LineString",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


@dataclass(frozen=True)
class PushedLayer:
    name: str
    features: int
    srid: int | None
    geometry_type: str | None


@dataclass(frozen=True)
class PushReport:
    url: str  # without password
    schema: str
    layers: tuple[PushedLayer, ...]
    config: Path
    backup: Path
    password_dropped: bool


@dataclass
class _Layer:
    name: str
    frame: pd.DataFrame
    geometry: np.ndarray[Any, Any] | None
    srid: int | None
    geometry_type: str | None


def push_to_postgis(
    workspace: str | os.PathLike[str],
    url: str,
    *,
    schema: str = "public",
    force: bool = False,
) -> PushReport:
    """Copy every layer of the workspace's ``city.gpkg`` into ``schema`` and switch city.toml.

    ``url`` is ``postgresql://USER@HOST:PORT/DATABASE`` (a password in it is used for the copy
    but never written to city.toml: give it to the assessment through PGPASSWORD or
    ~/.pgpass). A workspace that already reads from PostGIS is refused unless ``force``.
    """
    ws = Workspace.open(workspace)
    if ws.postgis is not None and not force:
        raise WorkspaceError(
            MESSAGES.message(
                "push_already_postgis",
                path=ws.path,
                where=ws.postgis.where,
                gpkg=ws.gpkg.name,
                config=CONFIG_FILE,
            )
        )
    if not ws.gpkg.exists():
        raise WorkspaceError(MESSAGES.message("push_no_gpkg", path=ws.path, gpkg=ws.gpkg.name))
    layers = [_read_layer(ws.gpkg, str(name)) for name in pyogrio.list_layers(ws.gpkg)[:, 0]]
    _write_tables(url, schema, layers)
    stored = database_url(url, driver="postgresql", password=False)
    backup = _rewrite_config(ws.path, stored, schema)
    return PushReport(
        url=stored,
        schema=schema,
        layers=tuple(PushedLayer(x.name, len(x.frame), x.srid, x.geometry_type) for x in layers),
        config=ws.path / CONFIG_FILE,
        backup=backup,
        password_dropped=database_url(url, password=False) != database_url(url),
    )


def _read_layer(gpkg: Path, name: str) -> _Layer:
    frame = pyogrio.read_dataframe(gpkg, layer=name, fid_as_index=True)
    if "geometry" not in frame.columns:  # an attribute table
        return _Layer(name, pd.DataFrame(frame), None, None, None)
    geoms = frame.geometry.to_numpy()
    present = ~shapely.is_missing(geoms)
    crs = frame.crs
    if crs is None and present.any():
        raise NoCrsError(_no_crs_message(name))
    srid = _epsg(CRS.from_user_input(crs), name) if crs is not None else 0
    kinds = set(shapely.get_type_id(geoms[present]).tolist())
    base = _TYPE_NAMES.get(kinds.pop(), "Geometry") if len(kinds) == 1 else "Geometry"
    with_z = shapely.has_z(geoms[present])
    kind: str | None = f"{base}Z" if with_z.any() else base
    if with_z.any() and not with_z.all():
        kind = None  # 2D and 3D rows: an unconstrained column (the SRID is read from the rows)
    attributes = pd.DataFrame(frame.drop(columns="geometry"))
    return _Layer(name, attributes, geoms, srid, kind)


def _epsg(crs: CRS, name: str) -> int:
    code = crs.to_epsg()
    if code is None or CRS.from_epsg(code) != crs:
        raise WorkspaceError(MESSAGES.message("push_crs_without_epsg", name=name, crs=crs.name))
    return code


def _write_tables(url: str, schema: str, layers: list[_Layer]) -> None:
    import psycopg

    try:
        conn = psycopg.connect(
            database_url(url, driver="postgresql"),
            connect_timeout=10,
            application_name="gardencity",
        )
    except psycopg.Error as exc:
        raise connection_error(exc, url) from None
    try:
        with conn.transaction(), conn.cursor() as cur:
            if (
                cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone()
                is None
            ):
                raise WorkspaceError(MESSAGES.message("push_postgis_missing", url=redact_url(url)))
            exists = "SELECT 1 FROM pg_namespace WHERE nspname = %s"
            if cur.execute(exists, (schema,)).fetchone() is None:  # CREATE needs more rights
                cur.execute(f"CREATE SCHEMA {quote_ident(schema)}")
            for layer in layers:
                _write_table(cur, schema, layer)
    except psycopg.Error as exc:
        raise WorkspaceError(
            MESSAGES.message("push_failed", schema=schema, url=redact_url(url), reason=_reason(exc))
        ) from None
    finally:
        conn.close()


def _write_table(cur: Any, schema: str, layer: _Layer) -> None:
    table = f"{quote_ident(schema)}.{quote_ident(layer.name)}"
    columns = [str(c) for c in layer.frame.columns]
    geom = GEOMETRY_COLUMN if GEOMETRY_COLUMN not in columns else "geom_"
    definitions = ["fid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"]
    definitions += [f"{quote_ident(c)} {_pg_type(layer.frame[c])}" for c in columns]
    if layer.geometry is not None:
        typmod = f"({layer.geometry_type}, {layer.srid})" if layer.geometry_type else ""
        definitions.append(f"{geom} geometry{typmod}")
    cur.execute(f"DROP TABLE IF EXISTS {table}")
    cur.execute(f"CREATE TABLE {table} ({', '.join(definitions)})")
    names = ["fid", *columns] + ([geom] if layer.geometry is not None else [])
    values: list[list[Any]] = [
        [int(f) for f in layer.frame.index],
        *(_python_values(layer.frame[c]) for c in columns),
    ]
    if layer.geometry is not None:
        ewkb = shapely.to_wkb(
            shapely.set_srid(layer.geometry, layer.srid or 0), hex=True, include_srid=True
        )
        values.append([None if g is None else str(g) for g in ewkb])
    copy_sql = f"COPY {table} ({', '.join(quote_ident(n) for n in names)}) FROM STDIN"
    with cur.copy(copy_sql) as copy:
        for row in zip(*values, strict=True):
            copy.write_row(row)
    cur.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'fid'), "
        f"GREATEST((SELECT max(fid) FROM {table}), 1))"
    )
    if layer.geometry is not None:
        cur.execute(f"CREATE INDEX ON {table} USING GIST ({geom})")
    cur.execute(f"ANALYZE {table}")
    count = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    if count != len(layer.frame):  # pragma: no cover - a broken server
        raise WorkspaceError(
            MESSAGES.message("push_rows_lost", table=table, count=count, total=len(layer.frame))
        )


def _pg_type(column: pd.Series) -> str:
    """The PostgreSQL type that holds a GeoPackage column's values unchanged."""
    kind = column.dtype.kind
    if kind == "b":
        return "boolean"
    if kind in "iu":
        return "bigint"
    if kind == "f":
        return "double precision"
    if kind == "M":
        return "timestamptz" if getattr(column.dtype, "tz", None) else "timestamp"
    present = [v for v in column if v is not None and not (isinstance(v, float) and np.isnan(v))]
    if present and all(isinstance(v, bool | np.bool_) for v in present):
        return "boolean"
    if present and all(isinstance(v, bytes) for v in present):
        return "bytea"
    return "text"


def _python_values(column: pd.Series) -> list[Any]:
    """Plain Python values for COPY; NaN / NaT become NULL, other objects their text."""
    kind = column.dtype.kind
    values = column.astype(object).where(column.notna(), None).tolist()
    if kind in "biufM" or _pg_type(column) in ("boolean", "bytea"):
        return values
    return [None if v is None else str(v) for v in values]


def _rewrite_config(root: Path, url: str, schema: str) -> Path:
    """Add (or replace) ``[storage]`` in city.toml, keeping the old file as a backup."""
    path = root / CONFIG_FILE
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    storage = {"storage": {"vector": url, "schema": schema}}
    if "storage" in data:
        new_text = tomli_w.dumps(data | storage)
    else:  # append, so the user's comments survive
        new_text = text.rstrip("\n") + "\n\n" + tomli_w.dumps(storage)
    tmp = root / f".{CONFIG_FILE}.tmp"
    tmp.write_text(new_text, encoding="utf-8")
    try:
        load_config(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    backup = _backup_path(root)
    shutil.copy2(path, backup)
    os.replace(tmp, path)
    return backup


def _backup_path(root: Path) -> Path:
    candidate = root / f"{CONFIG_FILE}.bak"
    n = 1
    while candidate.exists():
        candidate = root / f"{CONFIG_FILE}.bak.{n}"
        n += 1
    return candidate
