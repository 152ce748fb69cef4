"""Engines and sessions for the embedded SQLite default and for PostgreSQL/PostGIS.

One setting selects the backend: a SQLAlchemy URL (``sqlite:///…/campaign.db`` or
``postgresql+psycopg://user@host/db``). :func:`open_database` creates the engine, brings the
schema to the newest migration and returns a :class:`Database` with a session factory.

Transactions (the concurrency model; docs/architecture.md, "Concurrency"):

* A session **reads outside any transaction**: each statement sees the latest commit
  (PostgreSQL's READ COMMITTED, which the code was written for; on SQLite the statement's own
  WAL snapshot). A reader takes no lock, never waits for a writer and holds nothing between
  its statements, so closing it does no I/O.
* Its **first write** (a flush, an INSERT/UPDATE/DELETE, a ``SELECT … FOR UPDATE``) opens the
  write transaction, which commit or rollback ends. On SQLite that is ``BEGIN IMMEDIATE``: the
  database's single write lock, taken up front so that the transaction can never fail to
  upgrade a read lock; writers of this process queue for it first come first served
  (:class:`WriteGate`: woken in turn, no polling), writers of other processes (the job worker,
  the command line) through ``busy_timeout``. On PostgreSQL it is ``BEGIN`` (row locks, MVCC).
* Plain engine connections (migrations, restore) begin ``IMMEDIATE`` on SQLite;
  :func:`read_snapshot` is one consistent view for a long read (backup) that locks nothing.
* SQLite runs WAL with ``synchronous=FULL``: the WAL is synced at every commit, so an
  acknowledged write survives a power cut (``NORMAL`` survives only a crash of the process;
  benchmarks/office_load.py measures the difference).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from gardencity.errors import DatabaseBusyError, DatabaseError
from gardencity.messages import Catalogue

__all__ = [
    "BUSY_TIMEOUT_S",
    "POOL_SIZE",
    "REQUEST_THREADS",
    "Database",
    "WriteGate",
    "holds_write_transaction",
    "make_engine",
    "open_database",
    "read_snapshot",
]
MESSAGES = Catalogue(__package__)

BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for the write lock before giving up (HTTP 503, "retry")."""

REQUEST_THREADS = 40
"""The server's request threads (anyio's thread pool, set by gardencity.app); each holds at
most one connection of the pool."""
POOL_SIZE = REQUEST_THREADS + 4
"""Connections an engine keeps open: one per request thread plus the server's own threads
(notification delivery, the scheduler). A connection beyond the pool's size is closed when it
is returned, so a pool smaller than the peak of requests in flight opens and closes a
connection for most of them (on PostgreSQL a new server process each time: measured in
benchmarks/office_load.py). The pool opens them only as needed."""
POOL_OVERFLOW = 10
"""Connections beyond ``POOL_SIZE`` when the job runner or a command borrows the engine."""

SQLITE_SYNCHRONOUS = "FULL"
"""FULL: durable on power loss. (benchmarks/office_load.py sets NORMAL for its comparison.)"""

_ON_DEMAND = "gardencity_write_on_demand"  # execution option of the sessions' engine
_SNAPSHOT = "gardencity_snapshot"  # execution option of read_snapshot()
_WRITING = "gardencity_writing"  # session.info key: a write transaction is open


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings each backend needs (WAL and foreign keys on SQLite)."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise DatabaseError(MESSAGES.message("not_a_url", url=url)) from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs.setdefault("pool_size", POOL_SIZE)
            kwargs.setdefault("max_overflow", POOL_OVERFLOW)
        engine = create_engine(
            parsed,
            connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", POOL_OVERFLOW)
        # No ping before each checkout (a round trip per request, a fifth of the server's
        # throughput in benchmarks/campaign_load.py). A connection the server dropped fails
        # its request once; SQLAlchemy then discards the whole pool and the API answers 503
        # "retry" (api/errors.py), and the retry gets a fresh connection.
        kwargs.setdefault("pool_pre_ping", False)
        kwargs.setdefault("pool_recycle", 1800)
        return create_engine(parsed, **kwargs)
    raise DatabaseError(MESSAGES.message("unsupported_database", backend=parsed.get_backend_name()))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # no implicit BEGIN: we issue BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    options = connection.get_execution_options()
    if options.get(_ON_DEMAND):
        return  # a session: statements run on their own until its first write
    if options.get(_SNAPSHOT):
        connection.exec_driver_sql("BEGIN")  # deferred: a WAL snapshot at the first read
        return
    # Take the write lock at BEGIN so that two writers queue instead of failing with "locked".
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see one moment of the database and lock nothing (SQLite:
    a deferred transaction's WAL snapshot; PostgreSQL: REPEATABLE READ, read only)."""
    if engine.dialect.name == "sqlite":
        options: dict[str, Any] = {_SNAPSHOT: True}
    else:
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with engine.connect() as connection, connection.execution_options(**options).begin():
        yield connection


class WriteGate:
    """One writer at a time in this process, first come first served.

    SQLite's busy handler polls with growing sleeps (up to 100 ms), so under load a writer
    that has waited longest can lose the lock to newcomers again and again; here waiting
    writers queue and the next one is woken the moment the lock is free. The gate is held
    from ``BEGIN IMMEDIATE`` until the connection goes back to the pool (after its commit or
    rollback); ``owner`` is that connection's ``info`` dictionary.
    """

    def __init__(self, timeout_s: float | None = None) -> None:
        self.timeout_s = BUSY_TIMEOUT_S if timeout_s is None else timeout_s
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._owner: object | None = None

    def enter(self, owner: object) -> None:
        with self._mutex:
            if self._owner is None and not self._waiting:
                self._owner = owner
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        handed_over = turn.acquire(timeout=self.timeout_s)
        with self._mutex:
            if not handed_over and turn in self._waiting:
                self._waiting.remove(turn)
                raise DatabaseBusyError(
                    MESSAGES.message("busy", seconds=f"{self.timeout_s:.0f}"), retry_after_s=5
                )
            self._owner = owner  # handed over by leave()

    def leave(self, owner: object) -> None:
        with self._mutex:
            if self._owner is not owner:
                return
            self._owner = None
            if self._waiting:
                self._owner = _HANDING_OVER
                self._waiting.popleft().release()


_HANDING_OVER = object()  # the gate is taken by a woken waiter that has not run yet


def _begin_writes(gate: WriteGate | None, session: Session) -> None:
    """Open the session's write transaction (see the module docstring) unless it is open."""
    if session.info.get(_WRITING):
        return
    connection = session.connection()
    if not connection.get_execution_options().get(_ON_DEMAND):
        return  # bound to a connection with a transaction of its own
    session.info[_WRITING] = True
    if gate is None:
        connection.exec_driver_sql("BEGIN")
        return
    gate.enter(connection.info)
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        gate.leave(connection.info)
        raise


def holds_write_transaction(session: Session) -> bool:
    """Whether closing ``session`` has to roll back a write (I/O); else it does none."""
    return bool(session.info.get(_WRITING))


def _sessions(engine: Engine) -> sessionmaker[Session]:
    sqlite = engine.dialect.name == "sqlite"
    options: dict[str, Any] = {_ON_DEMAND: True}
    if not sqlite:
        options["isolation_level"] = "AUTOCOMMIT"  # no BEGIN/ROLLBACK round trips for reads
    factory = sessionmaker(engine.execution_options(**options), expire_on_commit=False)
    gate = WriteGate() if sqlite else None

    def before_flush(session: Session, _context: Any, _instances: Any) -> None:
        _begin_writes(gate, session)

    def on_execute(state: ORMExecuteState) -> None:
        statement: Any = state.statement
        if (
            state.is_insert
            or state.is_update
            or state.is_delete
            or (state.is_select and getattr(statement, "_for_update_arg", None) is not None)
        ):
            _begin_writes(gate, state.session)

    def after_end(session: Session, transaction: Any) -> None:
        if transaction.parent is None:
            session.info.pop(_WRITING, None)

    event.listen(factory, "before_flush", before_flush)
    event.listen(factory, "do_orm_execute", on_execute)
    event.listen(factory, "after_transaction_end", after_end)
    if gate is not None:
        for name in ("checkin", "invalidate"):
            event.listen(engine, name, lambda _dbapi, record, *_: gate.leave(record.info))
    return factory


@dataclass
class Database:
    """An engine plus its session factory (sessions as the module docstring describes)."""

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
    return Database(engine, _sessions(engine))
