"""The embedded SQLite default under concurrent use, through a real uvicorn server.

Readers never wait for writers, a writer waits its turn instead of failing with "database is
locked", and nothing blocks the event loop (health answers at once). The bounds are
generous on purpose (a loaded 2-core CI machine): the broken server took 30–60 s and
answered 500; timing targets belong to benchmarks/office_load.py.
"""

from __future__ import annotations

import io
import shutil
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from PIL import Image

from gardencity.app import create_app
from gardencity.settings import Settings
from tests._campaign import PASSWORD, build_seeded_template

SECONDS = 2.5  # of concurrent load per test, and every client makes at least ROUNDS requests
ROUNDS = 3
TIMEOUT = 20.0  # a request that takes this long has frozen
SLOW = 8.0  # no request may take longer (the broken server: 30–60 s, or a 500)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _photo(seed: int) -> bytes:
    """A real JPEG, different for every seed (so every upload stores a new file)."""
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (seed % 256, (seed // 256) % 256, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


@contextmanager
def _sqlite_server(seeded_templates: dict[str, Any], tmp_path: Path) -> Iterator[str]:
    """uvicorn on a copy of the seeded SQLite database (the default embedded backend)."""
    template, _ = build_seeded_template("sqlite", seeded_templates)
    copy = tmp_path / "campaign.db"
    shutil.copyfile(template.removeprefix("sqlite:///"), copy)
    settings = Settings(
        database_url=f"sqlite:///{copy}",
        files_dir=tmp_path / "files",
        public_reads_per_minute=1_000_000,
        public_writes_per_minute=1_000_000,
    )
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        app.state.db.dispose()


@dataclass
class _Load:
    """Clients that repeat one request each until the time is up (and at least ``ROUNDS``
    times); every answer recorded."""

    url: str
    statuses: Counter[str] = field(default_factory=Counter)
    slowest: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, clients: dict[str, Callable[[httpx.Client, int], httpx.Response]]) -> None:
        stop = time.monotonic() + SECONDS
        threads = [
            threading.Thread(target=self._client, args=(name, send, stop))
            for name, send in clients.items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _client(
        self, name: str, send: Callable[[httpx.Client, int], httpx.Response], stop: float
    ) -> None:
        kind = name.split(":")[0]
        with httpx.Client(base_url=self.url, timeout=TIMEOUT) as client:
            i = 0
            while time.monotonic() < stop or i < ROUNDS:
                started = time.monotonic()
                try:
                    response = send(client, i)
                    outcome = str(response.status_code)
                    if response.status_code >= 400:
                        self._fail(f"{kind} {response.status_code}: {response.text[:200]}")
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                    self._fail(f"{kind} {outcome}")
                took = time.monotonic() - started
                with self._lock:
                    self.statuses[f"{kind} {outcome}"] += 1
                    self.slowest[kind] = max(self.slowest.get(kind, 0.0), took)
                i += 1

    def _fail(self, message: str) -> None:
        with self._lock:
            self.failures.append(message)

    def check(self, expected: set[str]) -> None:
        summary = f"answers: {dict(self.statuses)}; slowest (s): {self.slowest}"
        assert not self.failures, f"{self.failures[:5]} … {summary}"
        assert expected <= {key.split()[0] for key in self.statuses}, summary
        assert max(self.slowest.values()) < SLOW, summary


def _token(client: httpx.Client, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _report(client: httpx.Client, i: int) -> httpx.Response:
    return client.post(
        "/api/v1/public/cases",
        data={"category": "weeds", "lon": "117.003", "lat": "34.331", "description": f"{i}"},
        files={"photo": (f"p{i}.jpg", _photo(i), "image/jpeg")},
    )


def test_public_readers_and_a_reporter_do_not_freeze_the_server(
    seeded_templates: dict[str, Any], tmp_path: Path
) -> None:
    with _sqlite_server(seeded_templates, tmp_path) as url:
        with httpx.Client(base_url=url, timeout=TIMEOUT) as client:
            first = _report(client, 10_000)
            assert first.status_code == 201, first.text
        reference = first.json()["reference"]
        load = _Load(url)

        def follow(client: httpx.Client, _: int) -> httpx.Response:
            return client.get(f"/api/v1/public/cases/{reference}")

        def health(client: httpx.Client, _: int) -> httpx.Response:
            response = client.get("/api/v1/health")
            time.sleep(0.02)
            return response

        load.run(
            {"reader:1": follow, "reader:2": follow, "reader:3": follow}
            | {"reporter": _report, "health": health}
        )
    load.check({"reader", "reporter", "health"})
    assert load.statuses["reporter 201"] >= ROUNDS, load.statuses


def test_staff_listing_cases_while_photos_upload_get_answers(
    seeded_templates: dict[str, Any], tmp_path: Path
) -> None:
    with _sqlite_server(seeded_templates, tmp_path) as url:
        with httpx.Client(base_url=url, timeout=TIMEOUT) as client:
            staff = {name: _token(client, name) for name in ("admin", "coord1", "park1")}
            case = client.post(
                "/api/v1/cases",
                json={"category": "weeds", "lon": 117.003, "lat": 34.331},
                headers=staff["admin"],
            )
            assert case.status_code == 201, case.text
        case_id = case.json()["id"]
        load = _Load(url)

        def lister(name: str) -> Callable[[httpx.Client, int], httpx.Response]:
            return lambda client, _: client.get("/api/v1/cases?per_page=50", headers=staff[name])

        def uploader(offset: int) -> Callable[[httpx.Client, int], httpx.Response]:
            return lambda client, i: client.post(
                f"/api/v1/cases/{case_id}/attachments",
                files={"file": ("p.jpg", _photo(offset + i), "image/jpeg")},
                data={"role": "before"},
                headers=staff["admin"],
            )

        def health(client: httpx.Client, _: int) -> httpx.Response:
            response = client.get("/api/v1/health")
            time.sleep(0.02)
            return response

        load.run(
            {f"list:{name}": lister(name) for name in staff}
            | {"upload:1": uploader(0), "upload:2": uploader(50_000), "health": health}
        )
    load.check({"list", "upload", "health"})
    assert load.statuses["upload 201"] >= 2 * ROUNDS, load.statuses
