"""Load run of the campaign server on PostgreSQL: mixed reads and writes on loopback.

    python -m benchmarks.campaign_load [--connections 16] [--seconds 40] [--workers 4]

Starts a throwaway PostgreSQL/PostGIS server, seeds an organisation and 300 cases, runs
uvicorn (``--workers``) and wrk (``benchmarks/campaign_load.lua``: list, read, Open311,
public map, file a case, comment with optimistic locking) against it, and records throughput,
p50/p99 and the status codes in benchmarks/results/campaign_load.json. wrk (Debian package
``wrk``, installed by ``make bench``) is written in C, so the load generator takes little of
the two cores the server and PostgreSQL share.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "campaign_load.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(url: str, files: Path) -> dict[str, str]:
    sys.path.insert(0, str(REPO))
    from fastapi.testclient import TestClient
    from tests._campaign import two_districts

    from gardencity.app import create_app
    from gardencity.campaign.config import load_campaign_config
    from gardencity.campaign.context import ServiceContext
    from gardencity.campaign.seed import seed_organisation
    from gardencity.db.engine import open_database
    from gardencity.settings import Settings
    from gardencity.storage.files import FileStore

    db = open_database(url)
    ctx = ServiceContext(load_campaign_config(), FileStore(files))
    with db.session() as session:
        seed_organisation(session, ctx, two_districts(), password="load-test-1", cell_m=500)
    db.dispose()
    app = create_app(Settings(database_url=url, files_dir=files))
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/auth/tokens",
            headers={
                "Authorization": "Bearer "
                + client.post(
                    "/api/v1/auth/login", data={"username": "admin", "password": "load-test-1"}
                ).json()["access_token"]
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        lon, lat = 117.003, 34.33
        ids = []
        for i in range(300):
            response = client.post(
                "/api/v1/cases",
                json={
                    "category": "weeds",
                    "lon": lon + (i % 20) * 0.001,
                    "lat": lat + (i // 20) * 0.0005,
                },
                headers=headers,
            )
            ids.append(str(response.json()["id"]))
    app.state.db.dispose()
    return {"GC_TOKEN": token, "GC_CASES": ",".join(ids), "GC_LON": str(lon), "GC_LAT": str(lat)}


def _tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of ``root`` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    stats: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        stats[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, 0.0)
        todo.extend(children.get(pid, []))
    return total


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def _wait_until_idle(root: int, timeout_s: float = 60) -> None:
    """Wait until the process tree under ``root`` uses under 5 % of a core for half a second
    (uvicorn answers once its first worker is up; the others may still be importing)."""
    deadline = time.monotonic() + timeout_s
    before = _tree_cpu_seconds(root)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = _tree_cpu_seconds(root)
        if now - before < 0.025:
            return
        before = now


def _errors(by_status: dict[str, int]) -> int:
    """Responses that are failures: any 5xx, and any 4xx except a comment's lost race (409)."""
    failed = 0
    for key, n in by_status.items():
        op, code = key.rsplit(" ", 1)
        lost_race = op == "comment" and code == "409"
        if code.startswith("5") or (code.startswith("4") and not lost_race):
            failed += n
    return failed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is not installed. Fix: apt-get install wrk (make bench does it).")
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        os.chmod(tmp_path, 0o755)
        pg_dir = tmp_path / "pg"
        server = subprocess.run(
            [str(REPO / "scripts" / "pg-test-server"), "start", str(pg_dir), "auto"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        try:
            admin = server.replace("postgresql+psycopg://", "postgresql://") + "postgres"
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("CREATE DATABASE load TEMPLATE gardencity_template")
            url = server + "load"
            files = tmp_path / "files"
            env = os.environ | _seed(url, files)
            port = _free_port()
            uvicorn = subprocess.Popen(
                [
                    str(bin_dir / "uvicorn"),
                    "--factory",
                    "gardencity.app:app_from_env",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(args.workers),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                env=env
                | {
                    "GARDENCITY_DATABASE_URL": url,
                    "GARDENCITY_FILES_DIR": str(files),
                    "GARDENCITY_PUBLIC_READS_PER_MINUTE": "1000000",
                },
            )
            try:
                for _ in range(100):
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                        break
                    except OSError:
                        time.sleep(0.2)
                _wait_until_idle(uvicorn.pid)  # every worker started, not just the first
                postmaster = int((pg_dir / "data" / "postmaster.pid").read_text().split()[0])
                cpu_before = (_tree_cpu_seconds(uvicorn.pid), _tree_cpu_seconds(postmaster))
                run = subprocess.run(
                    [
                        wrk,
                        "--threads",  # one connection per thread keeps request and
                        str(args.connections),  # response paired in the script
                        "--connections",
                        str(args.connections),
                        "--duration",
                        f"{args.seconds}s",
                        "--timeout",
                        "10s",
                        "--script",
                        str(REPO / "benchmarks" / "campaign_load.lua"),
                        f"http://127.0.0.1:{port}",
                    ],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                cpu_after = (_tree_cpu_seconds(uvicorn.pid), _tree_cpu_seconds(postmaster))
            finally:
                uvicorn.terminate()
                uvicorn.wait(timeout=30)
        finally:
            subprocess.run(
                [str(REPO / "scripts" / "pg-test-server"), "stop", str(pg_dir)], check=False
            )
    found = re.search(r"^RESULT (\{.*\})$", run.stdout, re.MULTILINE)
    if found is None:
        sys.exit(f"wrk printed no result:\n{run.stdout}\n{run.stderr}")
    raw = json.loads(found.group(1))
    by_status = dict(sorted(raw["by_status"].items()))
    seconds = raw["duration_us"] / 1e6
    result = {
        "machine": {
            "cores": os.cpu_count(),
            "cpu": _cpu_model(),
            "python": platform.python_version(),
        },
        "setup": {
            "database": "PostgreSQL 15 + PostGIS (loopback)",
            "load_generator": "wrk 4 (one thread per connection), benchmarks/campaign_load.lua",
            "uvicorn_workers": args.workers,
            "connections": args.connections,
            "seconds": args.seconds,
            "cases_seeded": 300,
        },
        "requests": raw["requests"],
        "failures": _errors(by_status) + raw["socket_errors"],
        "throughput_rps": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p90_ms": round(raw["p90_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "cpu_ms_per_request": {
            "server": round(1000 * (cpu_after[0] - cpu_before[0]) / raw["requests"], 2),
            "postgresql": round(1000 * (cpu_after[1] - cpu_before[1]) / raw["requests"], 2),
        },
        "by_operation_and_status": by_status,
        "target": {"throughput_rps": 300, "p99_ms": 200, "failures": 0},
    }
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(
        json.dumps(
            {
                k: result[k]
                for k in (
                    "requests",
                    "failures",
                    "throughput_rps",
                    "p50_ms",
                    "p99_ms",
                    "cpu_ms_per_request",
                )
            }
        )
    )


if __name__ == "__main__":
    main()
