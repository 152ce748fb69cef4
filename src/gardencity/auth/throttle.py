"""Rate limits and the log-in lock-out, counted once for all server processes.

Every process of ``gardencity serve --workers N`` counts in the same place, so a limit means
the same with one process as with eight, and no extra server is needed:

* on PostgreSQL, two unlogged tables of the campaign database (``rate_counters`` and
  ``login_failures``, migration 0007);
* on SQLite, the same two tables in a side file beside the database (``campaign.db`` →
  ``campaign.limits.db``), so that counting never waits for the case database's write lock.

A limit is a sliding one-minute window, estimated from the hits of the current minute and of
the previous one weighted by the part of it still inside the window. Refused hits count too:
a client that keeps hammering stays refused.

The lock-out is per account name (known or not, so that it does not tell which names exist):
after ``lockout_after`` failed log-ins in a row the name is locked for 30 s, then twice as
long after each further failure, up to ``lockout_max_s``. A successful log-in clears it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, case, create_engine, delete, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from gardencity.auth.models import LoginFailure, RateCounter
from gardencity.db.base import Base
from gardencity.errors import RateLimitedError
from gardencity.messages import Catalogue

__all__ = ["FIRST_LOCK_S", "AccountLockedError", "RateLimiter", "limits_file"]
MESSAGES = Catalogue(__package__)

WINDOW_S = 60
FIRST_LOCK_S = 30.0
FAILURE_MEMORY_S = 24 * 3600  # failures older than this are forgotten
_CLEAN_EVERY = 200  # delete stale rows on about one call in this many


class AccountLockedError(RateLimitedError):
    """Too many failed log-ins for one account: locked for a while."""

    code = "account_locked"


def limits_file(database_url: str) -> str | None:
    """The side file that holds the counters of a SQLite database (None: not SQLite).

    >>> limits_file("sqlite:////srv/city/campaign/campaign.db")
    '/srv/city/campaign/campaign.limits.db'
    >>> limits_file("postgresql+psycopg://gc@db/city") is None
    True
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        return ":memory:"
    path = Path(url.database)
    return str(path.with_name(f"{path.stem}.limits.db"))


def _sqlite_side_engine(path: str) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}", connect_args={"timeout": 10, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # "begin" below issues BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=OFF")  # counters may be lost on power loss
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _immediate(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    Base.metadata.create_all(
        engine,
        tables=[Base.metadata.tables["rate_counters"], Base.metadata.tables["login_failures"]],
    )
    return engine


class RateLimiter:
    """Shared rate limits (``check``) and the per-account log-in lock-out."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lockout_after: int = 5,
        lockout_max_s: float = 900.0,
        owns_engine: bool = False,
    ) -> None:
        self._engine = engine
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._clock = clock
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self.lockout_after = lockout_after
        self.lockout_max_s = lockout_max_s
        self._owns_engine = owns_engine

    @classmethod
    def for_database(cls, database_url: str, engine: Engine, **options: Any) -> RateLimiter:
        """The limiter of the campaign database at ``database_url`` (whose ``engine`` is
        used on PostgreSQL; SQLite gets its side file)."""
        side = limits_file(database_url)
        if side is None:
            return cls(engine, **options)
        return cls(_sqlite_side_engine(side), owns_engine=True, **options)

    def dispose(self) -> None:
        if self._owns_engine:
            self._engine.dispose()

    def _now(self) -> float:
        now: datetime = self._clock()
        return now.timestamp()

    def check(self, bucket: str, client: str, per_minute: int) -> None:
        """Count one hit of ``client`` on ``bucket``; RateLimitedError when the last minute
        already holds ``per_minute`` of them."""
        now = self._now()
        minute = int(now // WINDOW_S)
        key = {"bucket": bucket[:32], "client": client[:200]}
        insert = self._insert(RateCounter).values(**key, minute=minute, hits=1)
        upsert = insert.on_conflict_do_update(
            index_elements=["bucket", "client", "minute"],
            set_={"hits": RateCounter.hits + 1},
        ).returning(RateCounter.hits)
        previous_hits = (
            select(RateCounter.hits)
            .where(
                RateCounter.bucket == key["bucket"],
                RateCounter.client == key["client"],
                RateCounter.minute == minute - 1,
            )
            .scalar_subquery()
        )
        clean = random.randrange(_CLEAN_EVERY) == 0
        if self._engine.dialect.name == "postgresql":
            # one statement in autocommit: a single round trip instead of four
            hit = upsert.cte("hit")
            with self._autocommit.connect() as connection:
                row = connection.execute(select(hit.c.hits, previous_hits)).one()
                current, previous = int(row[0]), row[1]
                if clean:
                    connection.execute(delete(RateCounter).where(RateCounter.minute < minute - 1))
        else:
            with self._engine.begin() as connection:
                current = int(connection.execute(upsert).scalar_one())
                previous = connection.execute(select(previous_hits)).scalar()
                if clean:
                    connection.execute(delete(RateCounter).where(RateCounter.minute < minute - 1))
        elapsed = now - minute * WINDOW_S
        earlier = (previous or 0) * (1 - elapsed / WINDOW_S)
        if earlier + current - 1 < per_minute:
            return
        # the estimate falls below the limit once the previous minute has slid out, or at
        # the latest when this minute has
        wait = WINDOW_S - elapsed if current - 1 < per_minute else 2 * WINDOW_S - elapsed
        retry = max(1, math.ceil(wait))
        raise RateLimitedError(
            MESSAGES.message("too_many_requests", per_minute=per_minute, retry=retry),
            retry_after_s=retry,
        )

    def refuse_if_locked(self, account: str) -> None:
        """RateLimitedError while ``account`` is locked out after failed log-ins."""
        with self._engine.connect() as connection:
            until = connection.execute(
                select(LoginFailure.locked_until).where(LoginFailure.account == account[:200])
            ).scalar()
        wait = (until or 0.0) - self._now()
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise AccountLockedError(
                MESSAGES.message("account_locked", retry=retry),
                retry_after_s=retry,
            )

    def record_failure(self, account: str) -> float:
        """Count a failed log-in of ``account``; returns the seconds it is now locked (0: not)."""
        now = self._now()
        t = LoginFailure
        insert = self._insert(LoginFailure).values(
            account=account[:200], failures=1, last_failure=now, locked_until=0.0
        )
        upsert = insert.on_conflict_do_update(
            index_elements=["account"],
            set_={
                "failures": case(
                    (t.last_failure < now - FAILURE_MEMORY_S, 1), else_=t.failures + 1
                ),
                "last_failure": now,
            },
        ).returning(t.failures)
        with self._engine.begin() as connection:
            failures = int(connection.execute(upsert).scalar_one())
            lock = self.lock_seconds(failures)
            if lock:
                connection.execute(
                    update(LoginFailure)
                    .where(t.account == account[:200])
                    .values(locked_until=now + lock)
                )
            if random.randrange(_CLEAN_EVERY) == 0:
                connection.execute(
                    delete(LoginFailure).where(t.last_failure < now - FAILURE_MEMORY_S)
                )
        return lock

    def lock_seconds(self, failures: int) -> float:
        """How long an account is locked after ``failures`` failed log-ins in a row.

        >>> limiter = RateLimiter.__new__(RateLimiter)
        >>> limiter.lockout_after, limiter.lockout_max_s = 5, 900.0
        >>> [limiter.lock_seconds(n) for n in (4, 5, 6, 7, 12)]
        [0.0, 30.0, 60.0, 120.0, 900.0]
        """
        if failures < self.lockout_after:
            return 0.0
        doublings = min(failures - self.lockout_after, 30)
        return float(min(FIRST_LOCK_S * 2**doublings, self.lockout_max_s))

    def record_success(self, account: str) -> None:
        """A successful log-in clears the account's failures."""
        with self._engine.begin() as connection:
            connection.execute(delete(LoginFailure).where(LoginFailure.account == account))
