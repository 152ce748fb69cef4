"""The worker pool that runs assessments outside the HTTP request (one process, spawned)."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from gardencity.jobs.runs import execute_run

__all__ = ["JobRunner"]


class JobRunner:
    """Starts the worker process on first use; ``shutdown`` stops it with the server."""

    def __init__(self, database_url: str, workspace: Path, *, workers: int = 1) -> None:
        self.database_url = database_url
        self.workspace = Path(workspace)
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self.futures: dict[int, Future[None]] = {}

    def submit(self, run_id: int) -> Future[None]:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self._workers, mp_context=multiprocessing.get_context("spawn")
                )
            future = self._pool.submit(execute_run, self.database_url, run_id, str(self.workspace))
            self.futures[run_id] = future
            return future

    def worker_pids(self) -> list[int]:
        """The worker processes now running (none before the first job)."""
        with self._lock:
            if self._pool is None:
                return []
            processes = getattr(self._pool, "_processes", None) or {}
            return [int(p.pid) for p in processes.values() if p.pid is not None]

    def shutdown(self) -> None:
        """Stop with the server: queued jobs are cancelled and a running one is killed (its
        run is marked interrupted when the server starts again), so that stopping the
        server never waits for an assessment to finish."""
        with self._lock:
            if self._pool is None:
                return
            processes = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            for process in processes:
                process.join(timeout=10)
            self._pool = None
