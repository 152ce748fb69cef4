"""Engines and sessions for the embedded SQLite default and for PostgreSQL/PostGIS.

One setting selects the backend: a SQLAlchemy URL (``sqlite:///…/campaign.db`` or
``postgresql+psycopg://user@host/db``). :func:`open_database` creates the engine, brings the
schema to the newest migration and returns a :class:`Database` with a session factory.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from gardencity.errors import DatabaseError

__all__ = ["Database", "make_engine", "open_database"]


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings each backend needs (WAL and foreign keys on SQLite)."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise DatabaseError(
            f"'{url}' is not a database URL. Fix: use sqlite:///path/campaign.db or "
            "postgresql+psycopg://user@host:port/database."
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        # No ping before each checkout (a round trip per request, a fifth of the server's
        # throughput in benchmarks/campaign_load.py). A connection the server dropped fails
        # its request once; SQLAlchemy then discards the whole pool and the API answers 503
        # "retry" (api/errors.py), and the retry gets a fresh connection.
        kwargs.setdefault("pool_pre_ping", False)
        kwargs.setdefault("pool_recycle", 1800)
        return create_engine(parsed, **kwargs)
    raise DatabaseError(
        f"Unsupported database '{parsed.get_backend_name()}'. Fix: use SQLite (embedded) "
        "or PostgreSQL with PostGIS."
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN so two writers queue instead of failing with "locked".
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass
class Database:
    """An engine plus its session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, migrate: bool = True) -> Database:
    """Open (and by default migrate to the newest schema) the database at ``url``.

    Every domain's tables are loaded first (:func:`gardencity.db.registry.load_models`), so
    foreign keys between them resolve whichever models the caller imported."""
    from gardencity.db.migrate import upgrade
    from gardencity.db.registry import load_models

    load_models()
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return Database(engine, sessionmaker(engine, expire_on_commit=False))
