"""The threads a block of code starts, heard as each begins to run."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def threads_started() -> Iterator[list[str]]:
    """The names of the threads started in the block (each heard as it begins to run)."""
    names: list[str] = []

    def heard(*_: object) -> None:
        names.append(threading.current_thread().name)
        sys.setprofile(None)

    threading.setprofile(heard)
    try:
        yield names
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
