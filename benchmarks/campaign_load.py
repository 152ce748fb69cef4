"""Load run of the campaign server on PostgreSQL: mixed reads and writes on loopback.

    python -m benchmarks.campaign_load [--users 60] [--seconds 40] [--workers 2]

Starts a throwaway PostgreSQL/PostGIS server, seeds an organisation and 300 cases, runs
uvicorn (``--workers``) and locust (headless, FastHttpUser) against it, and records
throughput, p50/p99 and failures in benchmarks/results/campaign_load.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
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

    from gardencity.api.app import create_app
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
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
                    "gardencity.api.app:app_from_env",
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
                prefix = tmp_path / "locust"
                subprocess.run(
                    [
                        str(bin_dir / "locust"),
                        "-f",
                        str(REPO / "benchmarks" / "locustfile.py"),
                        "--headless",
                        "-u",
                        str(args.users),
                        "-r",
                        str(args.users),
                        "-t",
                        f"{args.seconds}s",
                        "--host",
                        f"http://127.0.0.1:{port}",
                        "--csv",
                        str(prefix),
                        "--only-summary",
                        "--loglevel",
                        "WARNING",
                    ],
                    env=env,
                    check=False,
                )
                with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
                    rows = list(csv.DictReader(handle))
            finally:
                uvicorn.terminate()
                uvicorn.wait(timeout=30)
        finally:
            subprocess.run(
                [str(REPO / "scripts" / "pg-test-server"), "stop", str(pg_dir)], check=False
            )
    total = next(r for r in rows if r["Name"] == "Aggregated")
    result = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "setup": {
            "database": "PostgreSQL 15 + PostGIS (loopback)",
            "uvicorn_workers": args.workers,
            "locust_users": args.users,
            "seconds": args.seconds,
            "cases_seeded": 300,
        },
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "throughput_rps": round(float(total["Requests/s"]), 1),
        "p50_ms": float(total["50%"]),
        "p99_ms": float(total["99%"]),
        "per_endpoint": {
            r["Type"] + " " + r["Name"]: {
                "requests": int(r["Request Count"]),
                "p50_ms": float(r["50%"]),
                "p99_ms": float(r["99%"]),
                "failures": int(r["Failure Count"]),
            }
            for r in rows
            if r["Name"] != "Aggregated"
        },
    }
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(
        json.dumps(
            {k: result[k] for k in ("requests", "failures", "throughput_rps", "p50_ms", "p99_ms")}
        )
    )


if __name__ == "__main__":
    main()
