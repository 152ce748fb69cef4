"""Rate limits that hold: counted once for every server process, per client address and per
account, X-Forwarded-For believed only from trusted proxies, and a per-account log-in
lock-out that backs off."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from gardencity.app import create_app
from gardencity.settings import Settings
from tests._campaign import PASSWORD, CampaignEnv, build_seeded_template

REPO = Path(__file__).resolve().parents[2]


def _login(client: Any, username: str, password: str = PASSWORD, **headers: str) -> Any:
    response = client.post(
        "/api/v1/auth/login", data={"username": username, "password": password}, headers=headers
    )
    client.cookies.clear()
    return response


def test_an_account_is_locked_after_failed_logins_and_the_lock_backs_off(
    campaign: CampaignEnv,
) -> None:
    client = campaign.client
    for _ in range(4):
        assert _login(client, "coord1", "wrong-password").status_code == 401
    fifth = _login(client, "coord1", "wrong-password")
    assert fifth.status_code == 401  # the failure that locks the account
    locked = _login(client, "coord1")  # even the right password waits
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "account_locked"
    assert "锁定" in locked.json()["error"]["message"]
    assert 25 <= int(locked.headers["Retry-After"]) <= 30
    assert _login(client, "coord2").status_code == 200  # other accounts are not affected

    campaign.clock.advance(seconds=31)
    assert _login(client, "coord1", "wrong-again").status_code == 401
    again = _login(client, "coord1")
    assert again.status_code == 429
    assert 55 <= int(again.headers["Retry-After"]) <= 60  # twice as long

    campaign.clock.advance(seconds=61)
    assert _login(client, "coord1").status_code == 200
    assert _login(client, "coord1", "wrong-password").status_code == 401  # count restarted
    assert _login(client, "coord1").status_code == 200


def test_unknown_names_are_locked_like_real_ones(campaign: CampaignEnv) -> None:
    """The lock-out does not tell which user names exist."""
    answers = {}
    for name in ("coord1", "nobody-here"):
        for _ in range(5):
            _login(campaign.client, name, "wrong-password")
        response = _login(campaign.client, name, "wrong-password")
        answers[name] = (response.status_code, response.json()["error"]["code"])
    assert answers["coord1"] == answers["nobody-here"] == (429, "account_locked")


def test_limits_are_shared_by_every_server_process(campaign: CampaignEnv, tmp_path: Path) -> None:
    """Two apps on the same database (as two worker processes are) count the same hits: the
    limit is per client address and per account, not per process."""
    settings = Settings(database_url=campaign.url, files_dir=tmp_path / "f", logins_per_minute=4)
    apps = [create_app(settings, clock=campaign.clock) for _ in range(2)]
    try:
        with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
            codes = [_login(c, "coord1").status_code for c in (first, second, first, second)]
            assert codes == [200, 200, 200, 200]
            assert _login(first, "coord1").status_code == 429
            assert _login(second, "coord2").status_code == 429  # the same address
        with TestClient(apps[0], client=("10.0.0.9", 4000)) as elsewhere:
            # another address, but the same account: the per-account limit holds
            response = _login(elsewhere, "coord1")
            assert response.status_code == 429, response.text
            assert _login(elsewhere, "coord2").status_code == 200
    finally:
        for app in apps:
            app.state.limiter.dispose()
            app.state.db.dispose()


def test_forwarded_for_is_believed_only_from_trusted_proxies(
    campaign: CampaignEnv, tmp_path: Path
) -> None:
    def logins(behind_proxy: bool, peer: str) -> list[int]:
        settings = Settings(
            database_url=campaign.url,
            files_dir=tmp_path / "f",
            logins_per_minute=2,
            behind_proxy=behind_proxy,
            trusted_proxies="127.0.0.1,10.8.0.0/16",
        )
        app = create_app(settings, clock=campaign.clock)
        try:
            with TestClient(app, client=(peer, 5000)) as client:
                return [
                    _login(
                        client, f"nobody{i}", "x", **{"X-Forwarded-For": f"198.51.100.{i}"}
                    ).status_code
                    for i in range(4)
                ]
        finally:
            app.state.limiter.dispose()
            app.state.db.dispose()

    # not behind a proxy: the header is ignored and the peer's limit applies
    assert logins(False, "127.0.0.1") == [401, 401, 429, 429]
    campaign.clock.advance(minutes=3)
    # behind a trusted proxy: each forwarded client has its own limit
    assert logins(True, "10.8.3.4") == [401, 401, 401, 401]
    campaign.clock.advance(minutes=3)
    # a request straight from an untrusted address cannot claim to be someone else
    assert logins(True, "203.0.113.7") == [401, 401, 429, 429]


def test_gardencity_serve_ignores_forwarded_for_from_loopback(
    seeded_templates: dict[str, Any], tmp_path: Path
) -> None:
    """The real server (two worker processes): X-Forwarded-For from 127.0.0.1 does not get
    a fresh limit for each made-up address."""
    template, _ = build_seeded_template("sqlite", seeded_templates)
    database = tmp_path / "campaign.db"
    shutil.copyfile(template.removeprefix("sqlite:///"), database)
    port = _free_port()
    env = os.environ | {"GARDENCITY_LOGINS_PER_MINUTE": "4"}
    command = [sys.executable, "-m", "gardencity", "serve", "--database", f"sqlite:///{database}"]
    command += ["--files", str(tmp_path / "files"), "--port", str(port), "--workers", "2"]
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server, tmp_path / "server.log")
        codes = []
        for i in range(8):
            with httpx.Client(base_url=url, timeout=60) as client:  # a new connection each
                spoof = {"X-Forwarded-For": f"198.51.100.{i}"}
                codes.append(_login(client, f"nobody{i}", "x", **spoof).status_code)
        # 4 a minute (one more if the requests straddle two minutes: the window is estimated)
        assert set(codes) == {401, 429} and codes.count(401) <= 5, codes
        assert codes[-3:] == [429] * 3, codes
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{url}/api/v1/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the server did not start in 90 s"
        time.sleep(0.3)


def test_a_limit_slides_over_two_minutes_in_one_round_trip_on_postgresql(
    campaign: CampaignEnv, monkeypatch: Any
) -> None:
    """The estimate weighs the previous minute's hits (refused ones too); on PostgreSQL a
    check is one statement in autocommit (it was BEGIN, upsert, select, COMMIT)."""
    from datetime import UTC, datetime

    from sqlalchemy import event

    from gardencity.auth import throttle
    from gardencity.errors import RateLimitedError

    monkeypatch.setattr(throttle.random, "randrange", lambda _n: 1)  # no clean-up this time
    engine = campaign.app.state.db.engine
    minute = 30_000_000
    now = [float(60 * minute - 10)]  # 10 s before minute ``minute`` starts
    limiter = throttle.RateLimiter.for_database(
        campaign.url, engine, clock=lambda: datetime.fromtimestamp(now[0], UTC)
    )
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)

    def allowed() -> bool:
        try:
            limiter.check("slide-test", "10.1.2.3", 3)
        except RateLimitedError:
            return False
        return True

    try:
        assert [allowed() for _ in range(4)] == [True, True, True, False]
        now[0] = 60 * minute + 30.0  # half of the previous minute's 4 hits still count
        assert [allowed(), allowed()] == [True, False]
    finally:
        event.remove(engine, "before_cursor_execute", count)
        limiter.dispose()
    if engine.dialect.name == "postgresql":
        assert len(statements) == 6, statements
