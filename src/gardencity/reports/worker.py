"""A second process that draws the report's maps while the caller goes on.

Writing a map's paths (:mod:`gardencity.reports.svg_maps`) holds the interpreter, so a
thread would not help. :class:`FigureWorker` forks one process when it is opened — early,
before the caller starts threads. It draws the district choropleths from the scorecard and
the layer maps from their prepared paths (:mod:`gardencity.reports.map_layers`) as soon as
what they show is computed; the figures are the ones the caller would have drawn. As its
:attr:`FigureWorker.executor`, it also computes measures handed over and writes the layers
of diagnostics.gpkg while the caller builds the next ones
(:mod:`gardencity.reports.geopackage`). Where no process can be forked (not Linux, or
inside a daemonic process) it draws nothing and the caller draws every figure.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, TypeVar

import geopandas as gpd

from gardencity.assessment.scorecard import Scorecard
from gardencity.reports.html import (
    FigureRequest,
    district_figures,
    draw_district_figure,
    draw_layer_maps,
)
from gardencity.reports.map_layers import MapPlan

__all__ = ["DistrictFigures", "FigureWorker", "TrackedExecutor", "busy"]

#: the district choropleths, each ``{"title", "html"}`` (SVG and its legend), and the bar
#: charts, each ``{"title", "svg"}`` (SVG markup)
DistrictFigures = tuple[list[dict[str, str]], list[dict[str, str]]]
Result = TypeVar("Result")


def _get_ready(parent: int) -> int:
    """The worker's process id, once it is ready. Ctrl-C is the command's to handle (it
    closes the worker), and a worker whose command was killed ends too, rather than wait
    for work forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with, args=(parent,), daemon=True).start()
    return os.getpid()


def _end_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


class TrackedExecutor(Executor):
    """``executor``, knowing how many of the calls submitted to it are not done yet: a
    caller can do small work itself rather than queue it behind them."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor
        self._lock = threading.Lock()
        self._outstanding = 0

    @property
    def outstanding(self) -> int:
        """How many calls submitted are not done yet (queued or being computed)."""
        return self._outstanding

    def submit(self, fn: Callable[..., Result], /, *args: Any, **kwargs: Any) -> Future[Result]:
        future = self._executor.submit(fn, *args, **kwargs)
        with self._lock:
            self._outstanding += 1
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future[Any]) -> None:
        with self._lock:
            self._outstanding -= 1

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait, cancel_futures=cancel_futures)


def busy(executor: Executor | None) -> bool:
    """Whether ``executor`` is known to have calls not done yet (a
    :class:`TrackedExecutor`'s)."""
    return isinstance(executor, TrackedExecutor) and executor.outstanding > 0


def _can_fork() -> bool:
    return (
        sys.platform == "linux"
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


class FigureWorker:
    """One forked process drawing the report's district figures (see the module).

    Use it as a context manager around the work that ends in writing the outputs, and pass
    it to :func:`gardencity.reports.write_outputs`."""

    def __init__(self) -> None:
        self._pool: TrackedExecutor | None = None
        self._ready: Future[int] | None = None
        if _can_fork():
            pool = TrackedExecutor(
                ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            )
            try:
                self._ready = pool.submit(_get_ready, os.getpid())
                self._pool = pool
            except OSError:  # no process to be had (a limit on processes, no memory)
                pool.shutdown(wait=False)

    @property
    def pid(self) -> int | None:
        """The worker's process id, once it is ready; None where no process was forked or
        it has died."""
        try:
            return None if self._ready is None else self._ready.result()
        except BrokenProcessPool:
            return None

    @property
    def executor(self) -> Executor | None:
        """The worker as an executor of other work (picklable functions of picklable
        arguments) while it waits for figures to draw (:func:`busy` tells whether it has
        work not done yet); None where no process was forked."""
        return self._pool

    def __enter__(self) -> FigureWorker:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def district_figures(
        self, scorecard: Scorecard, districts: gpd.GeoDataFrame, lang: str
    ) -> Callable[[], DistrictFigures]:
        """Start drawing the district figures; the function returned gives them (drawn
        here, if the worker cannot draw them)."""
        return self._later(district_figures, scorecard, districts, lang)

    def district_figure(self, request: FigureRequest) -> Callable[[], str]:
        """Start drawing one district figure; the function returned gives it (drawn here,
        if the worker cannot draw it)."""
        return self._later(draw_district_figure, request)

    def layer_maps(
        self, plans: list[MapPlan], again: Callable[[], list[MapPlan]] | None = None
    ) -> Callable[[], list[dict[str, str]]]:
        """Start drawing the prepared layer maps; the function returned gives them (drawn
        here, if the worker cannot draw them: from the plans ``again`` prepares anew where
        given, so that these plans are not kept meanwhile)."""
        if again is None:
            return self._later(draw_layer_maps, plans)
        return self._later(draw_layer_maps, plans, here=lambda: draw_layer_maps(again()))

    def _later(
        self,
        work: Callable[..., Result],
        *args: Any,
        here: Callable[[], Result] | None = None,
    ) -> Callable[[], Result]:
        """``work(*args)`` started on the worker; the function returned gives its result, or
        ``here()`` (by default ``work(*args)``) where the worker cannot give it."""
        future: Future[Result] | None = None
        if self._pool is not None:
            try:
                future = self._pool.submit(work, *args)
            except (BrokenProcessPool, RuntimeError, OSError):
                future = None
        instead = here if here is not None else functools.partial(work, *args)

        def result() -> Result:
            if future is not None:
                try:
                    return future.result()
                except BrokenProcessPool:  # the process died (killed, out of memory)
                    pass
            return instead()

        return result
