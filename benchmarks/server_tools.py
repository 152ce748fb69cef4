"""What the server load benchmarks share: free ports, a throwaway PostgreSQL, a uvicorn
server process, CPU seconds of a process tree, the machine's description."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PG_SERVER = REPO / "scripts" / "pg-test-server"

__all__ = [
    "REPO",
    "free_port",
    "machine",
    "postgres_server",
    "tree_cpu_seconds",
    "uvicorn_server",
    "wait_until_idle",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree_cpu_seconds(root: int) -> float:
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


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {"cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version()}


def wait_until_idle(root: int, timeout_s: float = 60) -> None:
    """Wait until the process tree under ``root`` uses under 5 % of a core for half a second
    (uvicorn answers once its first worker is up; the others may still be importing)."""
    deadline = time.monotonic() + timeout_s
    before = tree_cpu_seconds(root)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = tree_cpu_seconds(root)
        if now - before < 0.025:
            return
        before = now


@contextmanager
def postgres_server(directory: Path, *, durable: bool = False) -> Iterator[tuple[str, int]]:
    """A throwaway PostgreSQL/PostGIS (scripts/pg-test-server): its URL (without database
    name) and the postmaster's pid. The test server runs without fsync; ``durable`` turns
    fsync, full-page writes and synchronous commit back on (a production setting)."""
    import psycopg

    url = subprocess.run(
        [str(PG_SERVER), "start", str(directory), "auto"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    try:
        if durable:
            admin = url.replace("postgresql+psycopg://", "postgresql://") + "postgres"
            with psycopg.connect(admin, autocommit=True) as conn:
                for setting in ("fsync", "full_page_writes", "synchronous_commit"):
                    conn.execute(f"ALTER SYSTEM SET {setting} = on")
                conn.execute("SELECT pg_reload_conf()")
        postmaster = int((directory / "data" / "postmaster.pid").read_text().split()[0])
        yield url, postmaster
    finally:
        subprocess.run([str(PG_SERVER), "stop", str(directory)], check=False)


@contextmanager
def uvicorn_server(
    env: dict[str, str], *, workers: int = 1, factory: str = "gardencity.app:app_from_env"
) -> Iterator[tuple[int, int]]:
    """uvicorn serving ``factory`` with GARDENCITY_* settings in ``env``: (port, pid), once
    every worker has started."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "uvicorn"),
            "--factory",
            factory,
            "--app-dir",
            str(REPO),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=os.environ | env,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("the server did not start (see its output above)") from None
                time.sleep(0.2)
        wait_until_idle(process.pid)  # every worker started, not just the first
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
