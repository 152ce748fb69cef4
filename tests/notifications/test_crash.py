"""A server killed (SIGKILL) between committing a dispatch and delivering its message: the
restarted server delivers it, once. Killed while sending: the message goes again after the
lease, with the same delivery id, so the receiver can drop the duplicate."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select

from gardencity.db.engine import open_database
from gardencity.notifications.models import Notification, NotificationChannel
from tests._campaign import PASSWORD, build_seeded_template
from tests.notifications._receivers import WEBHOOK_SECRET, Platforms, free_port

pytestmark = pytest.mark.slow


@contextmanager
def _server(database: str, files: Path, config: Path, log: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = os.environ | {"GARDENCITY_CAMPAIGN_CONFIG": str(config)}
    command = [sys.executable, "-m", "gardencity", "serve", "--database", database,
               "--files", str(files), "--port", str(port)]  # fmt: skip
    with log.open("a") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not start in 90 s"
            time.sleep(0.2)
        yield url, process.pid
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)


def _token(url: str, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{url}/api/v1/auth/login", data={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _dispatch(url: str, unit_id: int) -> None:
    lonlat = {"lon": 117.00326, "lat": 34.330299}  # inside 鼓楼区 of the test city
    case = httpx.post(f"{url}/api/v1/cases", json={"category": "bare_soil", **lonlat},
                      headers=_token(url, "patrol1")).json()  # fmt: skip
    response = httpx.post(
        f"{url}/api/v1/cases/{case['id']}/actions/dispatch",
        json={"version": case["version"], "unit_id": unit_id},
        headers=_token(url, "coord1"),
    )
    assert response.status_code == 200, response.text


def _rows(database: str, channel: str) -> list[Notification]:
    db = open_database(database)
    try:
        with db.session() as session:
            return list(
                session.scalars(select(Notification).where(Notification.channel == channel))
            )
    finally:
        db.dispose()


def test_a_message_committed_before_a_crash_arrives_after_restart_once(
    seeded_templates: dict[str, Any], tmp_path: Path, receivers: Platforms
) -> None:
    template, seed = build_seeded_template("sqlite", seeded_templates)
    copy = tmp_path / "campaign.db"
    shutil.copyfile(template.removeprefix("sqlite:///"), copy)
    database = f"sqlite:///{copy}"
    now = datetime.now(UTC)
    db = open_database(database)
    robot = {"webhook_url": f"{receivers.url}/wecom?key=robot-key-1"}
    hook = {"url": f"{receivers.url}/webhook", "secret": WEBHOOK_SECRET}
    with db.session() as session:
        session.add_all(
            [
                NotificationChannel(
                    kind="wecom",
                    name="鼓楼一街道工作群",
                    unit_id=seed.units["d1s1"],
                    settings=robot,
                    created_at=now,
                    updated_at=now,
                ),
                NotificationChannel(
                    kind="webhook",
                    name="数字城管",
                    group_code="city_systems",
                    settings=hook,
                    created_at=now,
                    updated_at=now,
                ),
            ]
        )
    db.dispose()
    config = tmp_path / "campaign.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "notifications": {
                    "quiet_hours": {"channels": []},
                    "batching": {"window_seconds": 4, "channels": ["wecom"]},
                    "delivery": {"poll_seconds": 0.2, "lease_seconds": 3},
                    "schedule": {
                        "escalation": None,
                        "reminders": None,
                        "digest": None,
                        "flags": None,
                    },
                }
            }
        ),
        "utf-8",
    )
    log, files = tmp_path / "server.log", tmp_path / "files"
    # the webhook's receiver takes its time with the first request: the server dies mid-send
    receivers.scripted["/webhook"] = [(200, {"slow": True})]
    original = receivers.answer

    def slow_first(request: Any) -> Any:
        answer = original(request)
        if answer == (200, {"slow": True}):
            time.sleep(60)
        return answer

    receivers.answer = slow_first  # type: ignore[method-assign]
    with _server(database, files, config, log) as (url, pid):
        _dispatch(url, seed.units["d1s1"])  # committed: the robot's message waits 4 s to batch
        receivers.wait_for("/webhook", 1)  # the webhook is being sent …
        os.kill(pid, signal.SIGKILL)  # … when the server dies
    assert receivers.received("/wecom") == []
    assert [r.status for r in _rows(database, "wecom")] == ["pending"]
    assert [r.status for r in _rows(database, "webhook")] == ["sending"]

    with _server(database, files, config, log):
        robot = receivers.wait_for("/wecom", 1, timeout=60)
        hooks = receivers.wait_for("/webhook", 2, timeout=60)  # after the dead worker's lease
        time.sleep(2)
    assert len(receivers.received("/wecom")) == 1  # once
    assert "案卷已派遣" in robot[0].json["markdown"]["content"]
    ids = {h.headers["x-gardencity-delivery"] for h in hooks}
    assert (
        len(receivers.received("/webhook")) == 2 and len(ids) == 1
    )  # same id: dropped as a repeat
    assert [(r.status, r.attempts) for r in _rows(database, "wecom")] == [("sent", 1)]
    assert [(r.status, r.attempts) for r in _rows(database, "webhook")] == [("sent", 2)]
