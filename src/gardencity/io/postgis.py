"""Vector layers in a PostgreSQL/PostGIS schema: the production home of a workspace's layers.

``city.toml`` says ``[storage] vector = "postgresql://user@host:5432/db"`` and ``schema``;
layer X is then table ``schema.X``. This module owns the connection (SQLAlchemy + psycopg,
needs the ``postgis`` extra) and applies the same CRS policy as :mod:`gardencity.io.vector`: a
geometry column without SRID is refused. Rows come back in primary-key order, so two reads of
one table give identical frames. No error message ever contains a password.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from gardencity.errors import (
    DataError,
    MissingLayerError,
    MixedCrsError,
    NoCrsError,
    WorkspaceError,
)
from gardencity.messages import Catalogue, Message

MESSAGES = Catalogue(__package__)

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.engine import URL

__all__ = ["PostgisStore", "connection_error", "database_url", "quote_ident", "redact_url"]

CONNECT_TIMEOUT_S = 10


def _sqlalchemy_url(url: str) -> URL:
    try:
        from sqlalchemy.engine import make_url
    except ImportError as exc:  # pragma: no cover - only without the extra
        raise WorkspaceError(MESSAGES.message("postgis_libraries_missing")) from exc
    try:
        return make_url(url)
    except Exception:
        raise WorkspaceError(MESSAGES.message("postgis_url_invalid")) from None


def database_url(url: str, *, driver: str = "postgresql+psycopg", password: bool = True) -> str:
    """``url`` with the given driver name (``postgresql`` for libpq), optionally without password.

    >>> database_url("postgres://gc:secret@db:5433/city", driver="postgresql", password=False)
    'postgresql://gc@db:5433/city'
    """
    parsed = _sqlalchemy_url(url).set(drivername=driver)
    if not password:
        parsed = parsed._replace(password=None)
    return parsed.render_as_string(hide_password=False)


def redact_url(url: str) -> str:
    """The URL as shown in messages: libpq form, never with the password.

    >>> redact_url("postgresql+psycopg://gc:secret@db/city")
    'postgresql://gc@db/city'
    """
    try:
        return database_url(url, driver="postgresql", password=False)
    except WorkspaceError:
        return "(unparseable database URL)"


def quote_ident(name: str) -> str:
    """A PostgreSQL identifier, quoted.

    >>> quote_ident('a"b')
    '"a""b"'
    """
    return '"' + name.replace('"', '""') + '"'


def _reason(exc: BaseException) -> str:
    """The database's own message on one line, ending with a full stop."""
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    return reason if reason.endswith((".", "?", "!")) else f"{reason}."


def connection_error(exc: BaseException, url: str) -> WorkspaceError:
    """A readable, password-free error for a failed connection, with how to fix it."""
    reason = _reason(exc)
    secret = _sqlalchemy_url(url).password
    if secret:
        reason = reason.replace(str(secret), "***")
    where = redact_url(url)
    if "does not exist" in reason and "database" in reason:
        fix = MESSAGES.message("pg_fix_create_database")
    elif "password" in reason or "authentication" in reason or "role" in reason:
        fix = MESSAGES.message("pg_fix_credentials")
    else:
        fix = MESSAGES.message("pg_fix_server")
    return WorkspaceError(
        MESSAGES.message("pg_cannot_connect", where=where, reason=reason, fix=fix)
    )


@dataclass(frozen=True)
class _Column:
    name: str
    type: str


class PostgisStore:
    """The tables of one schema, read as GeoDataFrames (see module docstring)."""

    def __init__(self, url: str, schema: str) -> None:
        self.url = url
        self.schema = schema
        self._engine: Engine | None = None
        self._tables: set[str] | None = None

    @property
    def where(self) -> Message:
        """``schema 'x' of postgresql://user@host/db`` (no password), for messages."""
        return MESSAGES.message("pg_where", schema=self.schema, url=redact_url(self.url))

    def engine(self) -> Engine:
        if self._engine is None:
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            self._engine = create_engine(
                database_url(self.url),
                poolclass=NullPool,
                connect_args={
                    "connect_timeout": CONNECT_TIMEOUT_S,
                    "application_name": "gardencity",
                },
            )
        return self._engine

    def _connect(self) -> Connection:
        from sqlalchemy.exc import DBAPIError

        try:
            return self.engine().connect()
        except DBAPIError as exc:
            raise connection_error(exc, self.url) from None

    def tables(self) -> set[str]:
        """Names of the tables and views in the schema (read once per store)."""
        from sqlalchemy.exc import DBAPIError

        if self._tables is None:
            try:
                with self._connect() as conn:
                    self._tables = _list_tables(conn, self.schema, self.where)
            except DBAPIError as exc:
                raise WorkspaceError(
                    MESSAGES.message("postgis_cannot_list", where=self.where, reason=_reason(exc))
                ) from None
        return self._tables

    def fingerprint(self, table: str) -> str | None:
        """A short digest of the table's row versions: it changes with every insert, update or
        delete (each writes new tuple ids). None for a view or a missing table."""
        from sqlalchemy import text

        if table not in self.tables():
            return None
        relation = f"{quote_ident(self.schema)}.{quote_ident(table)}"
        with self._connect() as conn:
            kind = conn.execute(
                text("SELECT relkind FROM pg_class WHERE oid = CAST(:rel AS regclass)"),
                {"rel": relation},
            ).scalar()
            if kind != "r":
                return None
            digest = conn.execute(
                text(
                    "SELECT md5(coalesce(string_agg(xmin::text || ctid::text, ',' "
                    f"ORDER BY ctid), '')) FROM {relation}"
                )
            ).scalar()
        return str(digest)[:16]

    def read(self, table: str, name: str, *, needs_geometry: bool = True) -> gpd.GeoDataFrame:
        """Table ``table`` as layer ``name``: primary-key order, geometry named ``geometry``."""
        from sqlalchemy.exc import DBAPIError

        qualified = f"{self.schema}.{table}"
        if table not in self.tables():
            present = sorted(self.tables()) or MESSAGES.message("none")
            raise MissingLayerError(
                MESSAGES.message(
                    "postgis_table_missing",
                    name=name,
                    table=qualified,
                    where=self.where,
                    present=present,
                )
            )
        try:
            with self._connect() as conn:
                return self._read(conn, table, name, needs_geometry)
        except DBAPIError as exc:
            raise DataError(
                MESSAGES.message(
                    "postgis_table_unreadable",
                    table=qualified,
                    where=self.where,
                    name=name,
                    reason=_reason(exc),
                )
            ) from None

    def _read(
        self, conn: Connection, table: str, name: str, needs_geometry: bool
    ) -> gpd.GeoDataFrame:
        from sqlalchemy import text

        qualified = f"{self.schema}.{table}"
        relation = f"{quote_ident(self.schema)}.{quote_ident(table)}"
        columns = [
            _Column(str(n), str(t))
            for n, t in conn.execute(
                text(
                    "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                    "WHERE a.attrelid = CAST(:rel AS regclass) AND a.attnum > 0 "
                    "AND NOT a.attisdropped ORDER BY a.attnum"
                ),
                {"rel": relation},
            )
        ]
        key = _primary_key(conn, relation)
        geometry = [c for c in columns if c.type.startswith("geometry")]
        if not geometry:
            if needs_geometry:
                raise DataError(
                    MESSAGES.message(
                        "postgis_no_geometry", table=qualified, where=self.where, name=name
                    )
                )
            frame = pd.read_sql(
                text(
                    f"SELECT {_select_list(columns, key)} FROM {relation}"
                    f"{_order_by(key, conn, relation)}"
                ),
                conn,
            )
            return gpd.GeoDataFrame(frame)
        geom = geometry[0]
        crs = _layer_crs(conn, relation, geom.name, qualified, name)
        alias = "geometry" if not any(c.name == "geometry" for c in columns) else geom.name
        others = [c for c in columns if c not in geometry]
        select = _select_list(others, key)
        sql = (
            f"SELECT {select + ', ' if select else ''}"
            f"ST_AsBinary({quote_ident(geom.name)}) AS {quote_ident(alias)} "
            f"FROM {relation}{_order_by(key, conn, relation)}"
        )
        dates = [c.name for c in others if c.type == "date" or c.type.startswith("timestamp")]
        gdf = gpd.read_postgis(text(sql), conn, geom_col=alias, crs=crs, parse_dates=dates)
        if crs is None and gdf.geometry.notna().any():  # pragma: no cover - refused above
            raise NoCrsError(_no_srid_message(qualified, geom.name, name))
        return gdf.reset_index(drop=True)


def _list_tables(conn: Connection, schema: str, where: Message) -> set[str]:
    from sqlalchemy import text

    found = conn.execute(
        text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}
    ).first()
    if found is None:
        raise WorkspaceError(MESSAGES.message("postgis_no_schema", schema=schema, where=where))
    postgis = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first()
    if postgis is None:
        raise WorkspaceError(MESSAGES.message("postgis_not_installed", where=where))
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
        ),
        {"s": schema},
    )
    return {str(r[0]) for r in rows}


def _primary_key(conn: Connection, relation: str) -> str | None:
    """The single-column primary key (the feature id, like a GeoPackage fid), if any."""
    from sqlalchemy import text

    keys = [
        str(r[0])
        for r in conn.execute(
            text(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = CAST(:rel AS regclass) "
                "AND i.indisprimary"
            ),
            {"rel": relation},
        )
    ]
    return keys[0] if len(keys) == 1 else None


def _select_list(columns: list[_Column], key: str | None) -> str:
    """Every attribute column except the feature id (a GeoPackage fid is not a field either)."""
    return ", ".join(quote_ident(c.name) for c in columns if c.name != key)


def _order_by(key: str | None, conn: Connection, relation: str) -> str:
    """Primary-key order; a table without one is read in storage order (ctid)."""
    from sqlalchemy import text

    if key is not None:
        return f" ORDER BY {quote_ident(key)}"
    kind = conn.execute(
        text("SELECT relkind FROM pg_class WHERE oid = CAST(:rel AS regclass)"), {"rel": relation}
    ).scalar()
    return " ORDER BY ctid" if kind == "r" else ""


def _layer_crs(
    conn: Connection, relation: str, column: str, qualified: str, name: str
) -> CRS | None:
    """The CRS of a geometry column: its declared SRID, else the one SRID its rows carry."""
    from sqlalchemy import text

    declared = conn.execute(
        text(
            "SELECT postgis_typmod_srid(a.atttypmod) FROM pg_attribute a "
            "WHERE a.attrelid = CAST(:rel AS regclass) AND a.attname = :col"
        ),
        {"rel": relation, "col": column},
    ).scalar()
    srids: list[Any] = [declared] if declared else []
    if not srids:
        col = quote_ident(column)
        srids = [
            r[0]
            for r in conn.execute(
                text(f"SELECT DISTINCT ST_SRID({col}) FROM {relation} WHERE {col} IS NOT NULL")
            )
        ]
    if not srids:
        return None  # no geometries: nothing to interpret
    if len(srids) > 1:
        raise MixedCrsError(
            MESSAGES.message(
                "postgis_mixed_srids",
                table=qualified,
                name=name,
                srids=sorted(srids),
                column=column,
            )
        )
    srid = int(srids[0])
    if srid == 0:
        raise NoCrsError(_no_srid_message(qualified, column, name))
    row = conn.execute(
        text("SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys WHERE srid = :srid"),
        {"srid": srid},
    ).first()
    if row is None:
        raise NoCrsError(
            MESSAGES.message("postgis_unknown_srid", table=qualified, name=name, srid=srid)
        )
    auth, code, wkt = row
    if str(auth or "").upper() == "EPSG" and code:
        return CRS.from_epsg(int(code))
    return CRS.from_wkt(str(wkt))


def _no_srid_message(qualified: str, column: str, name: str) -> str:
    schema, _, table = qualified.partition(".")
    return (
        f"Table {qualified} (layer '{name}') has no SRID on its geometry column {column}, so "
        f"its coordinates cannot be interpreted. Fix: declare the CRS the data was produced "
        f"in, e.g. `SELECT UpdateGeometrySRID('{schema}', '{table}', '{column}', 4548);` for "
        f"CGCS2000 Gauss-Krüger CM 117°E (4490 for CGCS2000 longitude/latitude). If the data "
        f"came from a Chinese web map (GCJ-02), set SRID 4326 and declare "
        f'coordinates = "gcj02" in [layers.{name}] of city.toml.'
    )
