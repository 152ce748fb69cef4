"""Whole measures computed in another process while the caller computes the others.

On a small city, a measure of :data:`ELSEWHERE` is handed whole to a short-lived fork of
this process when the layers it reads are small (:data:`MAX_ROWS`), and the validation's
check of the land-use parcels' coverage after the measures: the fork has those
layers already (nothing is pickled), and it runs beside the fork of the service measures'
intermediates, while the figure worker (the executor the assessment is given) counts the
canopy's classes and then draws each figure as soon as what it shows is computed. Its
Series comes back as a result already computed (:class:`ComputedMeasures`), the same
Series the caller would have computed, and the caller computes it itself only where the
other process could not (it died, or the measure failed there: the error is then raised
here, as it would have been). Where no process can be forked, the executor takes the
measures. On a large city, a fork living as long as they take would copy the pages the
caller writes meanwhile, and an executor keep their unions: they are computed here.
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
#: the processes busy at once while measures are computed in forks: the caller, the figure
#: worker (its executor), the measures' fork and the service measures' fork
PROCESSES_BESIDE_FORKS = 4


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
    """Have ``executor`` count the canopy's classes (where a measure of ``specs`` needs them),
    a short-lived fork of this process compute the service measures' residential cells and
    covered areas, and another each measure worth it (see the module); the results to come,
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
        # in a fork, which has their inputs without pickling: the executor is left free to
        # draw each figure as soon as what it shows is computed
        computed, handed = _start_measures(handing, forks or executor)
        off_coverage = None
        # the validation's slowest check beside the measures, on a small city (as they are)
        parcels = land_use_parcels(inputs.workspace) if forks is not None and handed else None
        if forks is not None and parcels is not None:
            off_coverage = forks.submit(land_use_off_coverage, {"land_use": parcels})
        if forks is not None:
            forks.start()  # first, the longest: the service intermediates are computed beside
            serving = start_service_coverage(inputs.run, forks, wanted)
            forks.shutdown(wait=False)  # their fork starts, and ends once its results are sent
    return Elsewhere(computed, (*counting, *serving, *handed), threads, off_coverage)


def threads_beside_forks() -> int | None:
    """The threads each process's work uses while measures are computed in forks: the cores
    shared by the processes busy meanwhile (:data:`PROCESSES_BESIDE_FORKS`), at least one;
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
