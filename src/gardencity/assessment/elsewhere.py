"""Whole measures computed in another process while the caller computes the others.

On a small city, a measure of :data:`ELSEWHERE` is handed whole to the executor the
assessment is given (the command's figure worker, whose maps take it little time) when the
layers it reads are small (:data:`MAX_ROWS`: they are pickled there), and the validation's
check of the land-use parcels' coverage after the measures; there, after it counts the
canopy's classes, it computes them while a short-lived fork of this process computes the
service measures' intermediates and the caller the other measures. A measure's Series
comes back as a result already computed (:class:`ComputedMeasures`), the same Series the
caller would have computed, and the caller computes it itself only where the other
process could not (it died, or the measure failed there: the error is then raised here,
as it would have been). On a large city, the executor would keep their unions and the
layers be long to send: they are computed here.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import BrokenExecutor, Executor, Future
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from gardencity.assessment.inputs import AssessmentInputs
from gardencity.errors import GardenCityError
from gardencity.indicators.coverage import start_canopy_class_counts
from gardencity.indicators.service_start import start_service_coverage
from gardencity.io.threads import threads_set, using_threads, with_callers_threads
from gardencity.io.validate import land_use_parcels
from gardencity.io.validate_overlaps import land_use_off_coverage
from gardencity.standards.schema import IndicatorSpec
from gardencity.toolkit import forked_calls

__all__ = [
    "ELSEWHERE",
    "MAX_ROWS",
    "PROCESSES_BESIDE_FORKS",
    "ComputedMeasures",
    "Elsewhere",
    "measure_key",
    "start_elsewhere",
    "threads_beside_forks",
]

#: the measures worth handing over: slow on a small city, computed from a few vector layers
#: (their size tells the work), with no intermediate the diagnostic layers need
ELSEWHERE = ("green_space_ratio", "road_green_compliance", "greenway_service_coverage")
#: the most rows (over every layer the measure reads) of a measure handed over
MAX_ROWS = 100_000
#: the processes busy at once while measures are computed elsewhere: the caller, the
#: executor (the figure worker, computing the measures handed over) and the service
#: measures' fork
PROCESSES_BESIDE_FORKS = 3


def measure_key(spec: IndicatorSpec) -> str:
    """Same measure and same params (order of keys aside) give the same key."""
    return json.dumps([spec.measure, spec.params], sort_keys=True, default=repr)


class ComputedMeasures(dict[str, pd.Series]):
    """Measure results by :func:`measure_key`, some of them still being computed in another
    process: such a key is in the mapping once its Series has come back, and not at all
    where the other process could not compute it."""

    def __init__(self, pending: Mapping[str, Future[pd.Series]] | None = None) -> None:
        super().__init__()
        self._pending = dict(pending or {})

    def __contains__(self, key: object) -> bool:
        future = self._pending.pop(key, None) if isinstance(key, str) else None
        # where it failed there, it is computed here instead (an error is raised here then)
        if future is not None and not future.cancelled() and future.exception() is None:
            self[key] = future.result()  # type: ignore[index]
        return super().__contains__(key)


class Elsewhere(NamedTuple):
    """The work :func:`start_elsewhere` started."""

    computed: ComputedMeasures  #: the measures' results to come
    later: tuple[str, ...]  #: the measures that wait for them, to be computed last
    threads: int | None  #: the threads the run's work uses meanwhile (None: the default)
    #: the land-use parcels' coverage check, made in the measures' fork (None: not there)
    off_coverage: Future[np.ndarray | None] | None = None


def start_elsewhere(
    specs: Sequence[IndicatorSpec],
    inputs: AssessmentInputs,
    registry: Mapping[str, Callable[..., Any]],
    executor: Executor | None,
) -> Elsewhere:
    """Have ``executor`` count the canopy's classes (where a measure of ``specs`` needs them)
    and compute each measure worth it (see the module), and a short-lived fork of this
    process the service measures' residential cells and covered areas; the results to come,
    the measures that wait for what is computed there (to be computed last), and the threads
    the run's work is to use meanwhile (:func:`threads_beside_forks`). Nothing is started
    without an executor."""
    if executor is None:
        return Elsewhere(ComputedMeasures(), (), None)
    wanted = [(spec.measure, spec.params) for spec in specs]
    forks = forked_calls()
    handing = _measures_to_hand(specs, inputs, registry)
    threads = threads_beside_forks() if forks is not None and handing else None
    serving: tuple[str, ...] = ()
    with using_threads(threads):  # the forks are made with it, and the executor's work sent
        counting = start_canopy_class_counts(inputs.run, executor, wanted)
        computed, handed = _start_measures(handing, executor)
        # the validation's slowest check after the measures, on a small city (as they are)
        off_coverage = _start_coverage_check(inputs, executor) if handed else None
        if forks is not None:  # the service intermediates, the longest work, beside them
            serving = start_service_coverage(inputs.run, forks, wanted)
            forks.shutdown(wait=False)  # their fork starts, and ends once its results are sent
    return Elsewhere(computed, (*counting, *serving, *handed), threads, off_coverage)


def threads_beside_forks() -> int | None:
    """The threads each process's work uses while measures are computed elsewhere: the
    cores shared by the processes busy meanwhile (:data:`PROCESSES_BESIDE_FORKS`), at least one;
    None (the default of :func:`~gardencity.io.threads.work_threads`) where the run or the
    environment sets the threads. On two cores, threads beside the forks only contend for
    the interpreter and the cores: the middling demo city is assessed faster with one."""
    if threads_set():
        return None
    return max(1, len(os.sched_getaffinity(0)) // PROCESSES_BESIDE_FORKS)


#: the measures handed over by key: each measure's name, function, inputs and parameters
Handing = dict[str, tuple[str, Callable[..., pd.Series], dict[str, Any], dict[str, Any]]]


def _measures_to_hand(
    specs: Iterable[IndicatorSpec],
    inputs: AssessmentInputs,
    registry: Mapping[str, Callable[..., Any]],
) -> Handing:
    """The measures worth handing over (see the module), by :func:`measure_key`: each with
    its inputs (read here) and parameters."""
    handing: Handing = {}
    for spec in specs:
        key = measure_key(spec)
        if spec.measure not in ELSEWHERE or key in handing or spec.measure not in registry:
            continue
        kwargs = _small_inputs(registry[spec.measure], inputs)
        if kwargs is not None:
            handing[key] = (spec.measure, registry[spec.measure], kwargs, spec.params)
    return handing


def _start_measures(
    handing: Handing, executor: Executor
) -> tuple[ComputedMeasures, tuple[str, ...]]:
    pending: dict[str, Future[pd.Series]] = {}
    for key, (_, measure, kwargs, params) in handing.items():
        try:
            pending[key] = executor.submit(with_callers_threads(_series), measure, kwargs, params)
        except (BrokenExecutor, RuntimeError, OSError):
            break
    handed = tuple(dict.fromkeys(handing[key][0] for key in pending))
    return ComputedMeasures(pending), handed


def _start_coverage_check(
    inputs: AssessmentInputs, executor: Executor
) -> Future[np.ndarray | None] | None:
    """The land-use parcels' coverage check (:func:`land_use_off_coverage`) started on
    ``executor``; None where it cannot take it (the check is then made here)."""
    parcels = land_use_parcels(inputs.workspace)
    if parcels is None:
        return None
    try:
        return executor.submit(land_use_off_coverage, {"land_use": parcels})
    except (BrokenExecutor, RuntimeError, OSError):
        return None


def _small_inputs(measure: Callable[..., Any], inputs: AssessmentInputs) -> dict[str, Any] | None:
    """The measure's inputs, without the run (its intermediates stay in this process); None
    where one is missing or they hold more than :data:`MAX_ROWS` rows."""
    kwargs: dict[str, Any] = {}
    for name, param in inspect.signature(measure).parameters.items():
        if param.kind is inspect.Parameter.KEYWORD_ONLY or name not in inputs.names():
            continue
        if name == "run":
            continue
        try:
            value = inputs.get(name)
        except GardenCityError:  # the measure reports it, when it is computed here
            return None
        if value is None and param.default is inspect.Parameter.empty:
            return None
        kwargs[name] = value
    rows = sum(len(v) for v in kwargs.values() if isinstance(v, pd.DataFrame))
    return kwargs if rows <= MAX_ROWS else None


def _series(
    measure: Callable[..., pd.Series], kwargs: dict[str, Any], params: dict[str, Any]
) -> pd.Series:
    return measure(**kwargs, **params)
