"""What the notifications cost and deliver, on the embedded SQLite database.

    python -m benchmarks.notifications [--actions 120] [--messages 400]

1. **Outbox overhead**: the time of a workflow action (dispatch, then accept) through the
   API with the notifier writing its rows in the same transaction, and without it, measured
   in alternating batches side by side (a ratio is what a shared machine can tell).
2. **Delivery throughput**: signed webhook messages per second from one delivery worker to
   a local receiver on loopback.

Records benchmarks/results/notifications.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "notifications.json"


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


def _app(folder: Path) -> Any:
    sys.path.insert(0, str(REPO))
    from tests._campaign import PASSWORD, two_districts

    from gardencity.app import create_app
    from gardencity.campaign.config import load_campaign_config
    from gardencity.campaign.context import ServiceContext
    from gardencity.campaign.seed import seed_organisation
    from gardencity.db.engine import open_database
    from gardencity.settings import Settings
    from gardencity.storage.files import FileStore

    url = f"sqlite:///{folder / 'campaign.db'}"
    db = open_database(url)
    ctx = ServiceContext(load_campaign_config(), FileStore(folder / "files"))
    with db.session() as session:
        seed = seed_organisation(session, ctx, two_districts(), password=PASSWORD, cell_m=1000)
    db.dispose()
    app = create_app(Settings(database_url=url, files_dir=folder / "files"), background=False)
    return app, seed, PASSWORD


def _login(client: Any, username: str, password: str) -> dict[str, str]:
    token = client.post(
        "/api/v1/auth/login", data={"username": username, "password": password}
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _actions(client: Any, heads: dict[str, dict[str, str]], unit: int, count: int) -> list[float]:
    """Seconds per action (dispatch and accept) for ``count`` new cases."""
    times = []
    for _ in range(count):
        case = client.post(
            "/api/v1/cases",
            json={"category": "bare_soil", "lon": 117.00326, "lat": 34.330299},
            headers=heads["patrol1"],
        ).json()
        start = time.perf_counter()
        dispatched = client.post(
            f"/api/v1/cases/{case['id']}/actions/dispatch",
            json={"version": case["version"], "unit_id": unit},
            headers=heads["coord1"],
        ).json()
        client.post(
            f"/api/v1/cases/{case['id']}/actions/accept",
            json={"version": dispatched["version"]},
            headers=heads["officer11"],
        )
        times.append((time.perf_counter() - start) / 2)
    return times


def outbox_overhead(app: Any, seed: Any, password: str, actions: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    ctx = app.state.ctx
    notifier = ctx.listener
    with_rows: list[float] = []
    without: list[float] = []
    with TestClient(app) as client:
        heads = {u: _login(client, u, password) for u in ("patrol1", "coord1", "officer11")}
        _actions(client, heads, seed.units["d1s1"], 10)  # warm up
        for batch in range(actions // 20):
            ctx.listener = notifier if batch % 2 == 0 else None
            target = with_rows if batch % 2 == 0 else without
            target += _actions(client, heads, seed.units["d1s1"], 20)
        ctx.listener = notifier
    on, off = statistics.median(with_rows), statistics.median(without)
    return {
        "actions_each": len(with_rows),
        "median_ms_with_outbox": round(on * 1000, 2),
        "median_ms_without": round(off * 1000, 2),
        "ratio": round(on / off, 3),
    }


def delivery_throughput(app: Any, messages: int) -> dict[str, Any]:
    from gardencity.notifications.models import Notification, NotificationChannel

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    now = app.state.ctx.now()
    with app.state.db.session() as session:
        channel = NotificationChannel(
            kind="webhook",
            name="bench",
            group_code="bench",
            settings={
                "url": f"http://127.0.0.1:{server.server_address[1]}/hook",
                "secret": "benchmark-secret-0123",
            },
            created_at=now,
            updated_at=now,
        )
        session.add(channel)
        session.flush()
        payload = {"event": "dispatched", "case": {"id": 1, "reference": "GC1", "category": "x"}}
        session.add_all(
            Notification(
                event="dispatched",
                channel="webhook",
                channel_id=channel.id,
                audience="group:bench",
                payload=payload,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            for _ in range(messages)
        )
    worker = app.state.notifications.worker
    start = time.perf_counter()
    while worker.run_once(limit=50):
        pass
    seconds = time.perf_counter() - start
    server.shutdown()
    return {
        "messages": messages,
        "seconds": round(seconds, 2),
        "per_second": round(messages / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=120)
    parser.add_argument("--messages", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, seed, password = _app(Path(folder))
        overhead = outbox_overhead(app, seed, password, args.actions)
        delivery = delivery_throughput(app, args.messages)
        app.state.notifications.stop()
        app.state.db.dispose()
    result = {
        "database": "SQLite (embedded), TestClient in process",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "provisional": "measured on a shared 2-core machine while other work ran",
        "outbox_overhead": overhead,
        "delivery": delivery,
    }
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
