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

    def shutdown(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
