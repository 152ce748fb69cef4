"""How many threads an assessment's work may use: two by default, fewer where it is given less.

A measure spreads its GEOS and numpy work over :func:`work_threads` threads (both release
the interpreter), and a few steps overlap with a helper thread of their own (the slow
validation checks while the indicators are computed, a file's next strip read while this
one is counted). A process that runs several assessments at once, one per core (a Dask
worker of a batch), gives each its share with :func:`using_threads`: with one thread, every
step runs in the caller's thread, one after the other, and no thread is started. The
pieces of work are cut the same way whatever the number of threads, so results do not
change.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

import numpy as np
import shapely

__all__ = [
    "THREADS_VARIABLE",
    "InlineExecutor",
    "helper_executor",
    "prepared_copies",
    "threads_set",
    "using_threads",
    "with_callers_threads",
    "work_pool",
    "work_threads",
]

P = ParamSpec("P")
G = TypeVar("G", shapely.Geometry, np.ndarray)
R = TypeVar("R")

#: environment variable: the threads a measure's work is spread over (default two), where
#: no run says otherwise (:func:`using_threads`)
THREADS_VARIABLE = "GARDENCITY_THREADS"
_THREADS: ContextVar[int | None] = ContextVar("gardencity_threads", default=None)


def work_threads() -> int:
    """The threads a measure's work is spread over: those of the run (:func:`using_threads`),
    else :data:`THREADS_VARIABLE`, else two.

    >>> work_threads() >= 1
    True
    >>> with using_threads(1):
    ...     work_threads()
    1
    """
    given = _set_threads()
    return 2 if given is None else given


def threads_set() -> bool:
    """Whether the number of threads is set, by the run (:func:`using_threads`) or by
    :data:`THREADS_VARIABLE`, rather than left to the default.

    >>> with using_threads(3):
    ...     threads_set()
    True
    """
    return _set_threads() is not None


def _set_threads() -> int | None:
    """The threads set by the run, else by :data:`THREADS_VARIABLE` (at least one); None
    where neither sets them."""
    given = _THREADS.get()
    if given is not None:
        return given
    value = os.environ.get(THREADS_VARIABLE, "").strip()
    return max(1, int(value)) if value.isdigit() else None


@contextmanager
def using_threads(threads: int | None) -> Iterator[None]:
    """Within the block, in this thread, the work uses ``threads`` threads (at least one;
    None leaves the setting as it is). Threads started meanwhile keep to the default, so
    with more than one thread the number is an upper bound for the caller's own work."""
    if threads is None:
        yield
        return
    token = _THREADS.set(max(1, int(threads)))
    try:
        yield
    finally:
        _THREADS.reset(token)


def with_callers_threads(function: Callable[P, R]) -> Callable[P, R]:
    """``function``, to be called in another process (sent pickled to an executor) with the
    threads set where it is made (:func:`using_threads`), which that process does not see.

    >>> with using_threads(1):
    ...     counted = with_callers_threads(work_threads)
    >>> counted()
    1
    """
    called = functools.partial(_with_threads, _THREADS.get(), function)
    return functools.update_wrapper(called, function)  # its name, as the function's


def _with_threads(
    threads: int | None, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs
) -> R:
    with using_threads(threads):
        return function(*args, **kwargs)


class InlineExecutor(Executor):
    """An executor that computes each call in the caller's thread when it is submitted.

    >>> InlineExecutor().submit(sum, [1, 2, 3]).result()
    6
    """

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        future: Future[R] = Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # raised where the result is asked for, as a thread's
            future.set_exception(error)
        return future


def helper_executor() -> Executor:
    """A thread of its own for a step that overlaps the caller's work, or, where the work
    has one thread (:func:`work_threads`), an executor computing it in the caller's thread
    at once. Shut it down (or use it as a context manager) as a thread pool."""
    return ThreadPoolExecutor(max_workers=1) if work_threads() > 1 else InlineExecutor()


def work_pool(threads: int | None = None) -> Executor:
    """Threads for a measure's pieces of work: ``threads`` of them (by default
    :func:`work_threads`), or, with one, an executor computing each piece in the caller's
    thread (no thread started). Use it as a context manager, as a thread pool."""
    count = work_threads() if threads is None else max(1, threads)
    return ThreadPoolExecutor(max_workers=count) if count > 1 else InlineExecutor()


def prepared_copies(geoms: G) -> G:
    """Copies of ``geoms`` (a geometry or an array; the same shapes, None kept), prepared for
    predicates, for the calling thread's step alone.

    A GEOS prepared geometry builds its indexes as it is first used and is not thread-safe
    (libgeos/geos#825). Prepared in place, the caller's geometries (a layer's zones or
    parcels) would keep it, and every later test of them, on whatever thread, would use it:
    copies keep it to this step, and their indexes (hundreds of MB for a city's parcels) go
    with them.

    >>> zone = shapely.box(0, 0, 1, 1)
    >>> copy = prepared_copies(zone)
    >>> bool(shapely.is_prepared(copy)), bool(shapely.is_prepared(zone)), copy.equals(zone)
    (True, False, True)
    """
    copies: G = shapely.set_srid(geoms, shapely.get_srid(geoms))
    shapely.prepare(copies)
    return copies
