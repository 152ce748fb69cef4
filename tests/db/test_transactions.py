"""Transactions (db/engine.py): readers take no lock, writers queue for the write lock and
never fail to get it while they wait, a writer that waits too long is a 503, and SQLite
commits survive a power cut (synchronous=FULL)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from gardencity.auth.models import User
from gardencity.campaign import service
from gardencity.campaign.models import Case
from gardencity.campaign.schemas import CaseIn
from gardencity.db import engine
from gardencity.db.engine import open_database
from tests._campaign import CampaignEnv, campaign_fixture


def _file(db: Any, ctx: Any, username: str = "patrol1", **fields: Any) -> int:
    with db.session() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        body = CaseIn(category="bare_soil", lon=117.003, lat=34.331, **fields)
        return service.file_case(session, ctx, user, body).id


def test_a_session_that_has_read_does_not_hold_back_a_writer(campaign: CampaignEnv) -> None:
    db, ctx = campaign.app.state.db, campaign.app.state.ctx
    with db.sessions() as reader:
        assert reader.scalars(select(User)).all()  # read, and stay open
        started = time.monotonic()
        _file(db, ctx)  # the broken engine: waited the 30 s busy time-out, then "locked"
        assert time.monotonic() - started < 10
        assert reader.scalars(select(User)).all()


def test_a_session_can_write_after_others_committed_since_it_read(
    campaign: CampaignEnv,
) -> None:
    """No read lock to upgrade: writing never fails with SQLITE_BUSY(_SNAPSHOT)."""
    db, ctx = campaign.app.state.db, campaign.app.state.ctx
    with db.sessions() as first:
        patrol = first.scalars(select(User).where(User.username == "patrol1")).one()
        before = first.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
        other = _file(db, ctx, "patrol2")
        mine = service.file_case(
            first, ctx, patrol, CaseIn(category="weeds", lon=117.003, lat=34.331)
        )
        first.commit()
    assert (before or 0) < other < mine.id


def test_concurrent_writers_all_get_their_turn(campaign: CampaignEnv) -> None:
    db, ctx = campaign.app.state.db, campaign.app.state.ctx
    errors: list[BaseException] = []
    filed: list[int] = []

    def writer() -> None:
        try:
            for _ in range(3):
                filed.append(_file(db, ctx))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(set(filed)) == 24


def test_requests_that_only_read_never_take_the_write_lock(
    seeded_templates: dict[str, Any], tmp_path: Path
) -> None:
    with campaign_fixture("sqlite", seeded_templates, tmp_path) as campaign:
        case = campaign.file("patrol1", category="weeds")
        admin = campaign.headers("admin")
        statements: list[str] = []
        engine_ = campaign.app.state.db.engine
        record = lambda _c, _cur, sql, *_: statements.append(sql)  # noqa: E731
        event.listen(engine_, "before_cursor_execute", record)
        try:
            for path in (
                "/api/v1/cases",
                f"/api/v1/cases/{case['id']}",
                "/api/v1/stats/cases",
                "/api/v1/cases.geojson",
                f"/api/v1/public/cases/{case['reference']}",
                "/api/v1/public/cases.geojson",
                "/open311/v2/requests.json",
                "/api/v1/runs",
                "/",
                "/cases",
            ):
                response = campaign.client.get(path, headers=admin)
                assert response.status_code == 200, (path, response.text)
        finally:
            event.remove(engine_, "before_cursor_execute", record)
        assert statements, "the requests read nothing?"
        assert not [s for s in statements if s.upper().startswith(("BEGIN", "INSERT", "UPDATE"))]
        # …and a write still takes it, once, at its first write
        statements.clear()
        event.listen(engine_, "before_cursor_execute", record)
        try:
            filed = campaign.file("patrol1")
        finally:
            event.remove(engine_, "before_cursor_execute", record)
        begins = [s for s in statements if s.upper().startswith("BEGIN")]
        assert begins == ["BEGIN IMMEDIATE"], statements
        assert filed["status"] == "filed"


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_S", 1.0, raising=False)  # (30 s before)
    return 1.0


def test_a_writer_waiting_too_long_for_another_process_gets_a_503(
    seeded_templates: dict[str, Any], tmp_path: Path, short_busy_timeout: float
) -> None:
    """The job worker or the command line holds the write lock: a clear 'retry', not a 500."""
    with campaign_fixture("sqlite", seeded_templates, tmp_path) as campaign:
        headers = campaign.headers("patrol1")
        other = sqlite3.connect(campaign.url.removeprefix("sqlite:///"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            response = campaign.client.post(
                "/api/v1/cases",
                json={"category": "bare_soil", "lon": 117.003, "lat": 34.331},
                headers=headers,
            )
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "database_busy"
        assert "请稍后重试" in response.json()["error"]["message"]
        assert response.headers["retry-after"] == "5"
        again = campaign.client.get("/api/v1/cases", headers=headers)
        assert again.status_code == 200


def test_a_writer_queued_behind_a_stuck_writer_of_its_process_gets_a_503(
    seeded_templates: dict[str, Any], tmp_path: Path, short_busy_timeout: float
) -> None:
    with campaign_fixture("sqlite", seeded_templates, tmp_path) as campaign:
        headers = campaign.headers("patrol1")
        db, ctx = campaign.app.state.db, campaign.app.state.ctx
        with db.sessions() as stuck:
            patrol = stuck.scalars(select(User).where(User.username == "patrol1")).one()
            service.file_case(
                stuck, ctx, patrol, CaseIn(category="weeds", lon=117.003, lat=34.331)
            )  # written, not committed: holds the write lock
            response = campaign.client.post(
                "/api/v1/cases",
                json={"category": "bare_soil", "lon": 117.003, "lat": 34.331},
                headers=headers,
            )
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "database_busy"
        after = campaign.client.post(
            "/api/v1/cases",
            json={"category": "bare_soil", "lon": 117.003, "lat": 34.331},
            headers=headers,
        )
        assert after.status_code == 201, after.text


def test_sqlite_commits_are_synced_to_disk(tmp_path: Path) -> None:
    """WAL with synchronous=FULL: an acknowledged commit survives a power cut (NORMAL, the
    old setting, survives only a crash of the process)."""
    db = open_database(f"sqlite:///{tmp_path / 'campaign.db'}")
    try:
        with db.sessions() as session:
            assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        with db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA synchronous")).scalar() == 2
    finally:
        db.dispose()


def test_a_backup_reads_one_moment_and_holds_back_no_writer(campaign: CampaignEnv) -> None:
    from gardencity.db.engine import read_snapshot

    db, ctx = campaign.app.state.db, campaign.app.state.ctx
    count = select(func.count()).select_from(Case)
    with read_snapshot(db.engine) as snapshot:
        before = snapshot.execute(count).scalar()
        started = time.monotonic()
        _file(db, ctx)  # the broken engine: "database is locked" after 30 s
        assert time.monotonic() - started < 10
        assert snapshot.execute(count).scalar() == before  # still the same moment
    with db.sessions() as session:
        assert session.execute(count).scalar() == (before or 0) + 1


def test_requests_in_flight_keep_their_connections_open_for_the_next_ones(
    campaign: CampaignEnv,
) -> None:
    """The pool keeps a connection per request thread: a second burst of concurrent
    requests opens no new connection (on PostgreSQL a new server process each; the old
    pool of 10 (PostgreSQL) or 20 (SQLite) closed the rest after each burst)."""
    db = campaign.app.state.db
    opened = []
    event.listen(db.engine, "connect", lambda *_: opened.append(1))
    threads = 24
    barrier = threading.Barrier(threads)

    def request() -> None:
        with db.sessions() as session:
            session.scalars(select(User).limit(1)).all()
            barrier.wait(timeout=30)  # all of them in flight at once

    for burst in range(2):
        workers = [threading.Thread(target=request) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if burst == 0:
            first = len(opened)
    assert len(opened) == first, "the second burst opened connections again"
    assert engine.POOL_SIZE > engine.REQUEST_THREADS
