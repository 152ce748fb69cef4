"""Photo cleaning in worker processes, so that a server's request threads keep the GIL.

Cleaning a phone photo (validation decode, lossless turn, re-encode, hashing) is CPU work
that holds the interpreter lock for part of its time; with a few uploads in flight, every
other request of the process waits behind it. :class:`PhotoPool` runs that work in a pool
of processes sized to the cores, started on the first photo (a server that receives none
starts none) and stopped with the server. The result is byte for byte what
:func:`gardencity.storage.images.clean_photo` gives in the calling process.

Workers are forked from a fork server that has the imaging modules loaded: starting them is
quick, and safe in a process that already runs threads. A worker that dies (a decoder
crashing on a hostile file, the out-of-memory killer) takes only its pool with it: the photo
is tried once more in a fresh pool, and refused with a clear message if that one dies too.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from gardencity.errors import InvalidRequestError
from gardencity.storage.images import MESSAGES, clean_photo

__all__ = ["PhotoPool", "cores"]

_PRELOAD = ["gardencity.storage.images", "PIL.Image", "PIL.ImageOps", "PIL.JpegImagePlugin"]


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class PhotoPool:
    """Processes that clean photos; ``clean`` blocks its calling thread until done."""

    def __init__(self, processes: int | None = None) -> None:
        self.processes = processes or cores()
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def clean(self, content: bytes, media_type: str) -> tuple[bytes, str, str]:
        """:func:`~gardencity.storage.images.clean_photo` run in a worker process
        (its InvalidRequestError, for a damaged or oversized photo, is raised here)."""
        for _ in range(2):
            pool = self._executor()
            try:
                return pool.submit(clean_photo, content, media_type).result()
            except BrokenProcessPool:
                self._discard(pool)
        raise InvalidRequestError(
            MESSAGES.message("photo_unreadable", detail="the decoder stopped on it")
        )

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(_PRELOAD)
                self._pool = ProcessPoolExecutor(self.processes, mp_context=context)
            return self._pool

    def worker_pids(self) -> list[int]:
        """The worker processes now running (none before the first photo)."""
        with self._lock:
            processes = getattr(self._pool, "_processes", None) or {}
            return [int(p.pid) for p in processes.values() if p.pid is not None]

    def shutdown(self) -> None:
        """Stop the workers (a photo being cleaned is finished first)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
