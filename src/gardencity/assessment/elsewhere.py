"""Whole measures computed in another process while the caller computes the others.

On a small city, a measure of :data:`ELSEWHERE` is handed whole to a short-lived fork of
this process when the layers it reads are small (:data:`MAX_ROWS`): the fork has those
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import BrokenExecutor, Executor, Future
from typing import Any

import pandas as pd

from gardencity.assessment.inputs import AssessmentInputs
from gardencity.errors import GardenCityError
from gardencity.indicators.coverage import start_canopy_class_counts
from gardencity.indicators.service_start import start_service_coverage
from gardencity.standards.schema import IndicatorSpec
from gardencity.toolkit import forked_calls

__all__ = ["ELSEWHERE", "MAX_ROWS", "ComputedMeasures", "measure_key", "start_elsewhere"]

#: the measures worth handing over: slow on a small city, computed from a few vector layers
#: (their size tells the work), with no intermediate the diagnostic layers need
ELSEWHERE = ("green_space_ratio", "road_green_compliance", "greenway_service_coverage")
#: the most rows (over every layer the measure reads) of a measure handed over
MAX_ROWS = 100_000


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


def start_elsewhere(
    specs: Sequence[IndicatorSpec],
    inputs: AssessmentInputs,
    registry: Mapping[str, Callable[..., Any]],
    executor: Executor | None,
) -> tuple[ComputedMeasures, tuple[str, ...]]:
    """Have ``executor`` count the canopy's classes (where a measure of ``specs`` needs them),
    a short-lived fork of this process compute the service measures' residential cells and
    covered areas, and another each measure worth it (see the module); the results to come,
    and the measures that wait for what is computed there (to be computed last). Nothing
    is started without an executor."""
    if executor is None:
        return ComputedMeasures(), ()
    wanted = [(spec.measure, spec.params) for spec in specs]
    counting = start_canopy_class_counts(inputs.run, executor, wanted)
    serving: tuple[str, ...] = ()
    forks = forked_calls()
    # in a fork, which has their inputs without pickling: the executor is left free to
    # draw each figure as soon as what it shows is computed
    computed, handed = _start_measures(specs, inputs, registry, forks or executor)
    if forks is not None:
        forks.start()  # first, the longest: the service intermediates are computed beside
        serving = start_service_coverage(inputs.run, forks, wanted)
        forks.shutdown(wait=False)  # their fork starts, and ends once its results are sent
    return computed, (*counting, *serving, *handed)


def _start_measures(
    specs: Iterable[IndicatorSpec],
    inputs: AssessmentInputs,
    registry: Mapping[str, Callable[..., Any]],
    executor: Executor,
) -> tuple[ComputedMeasures, tuple[str, ...]]:
    pending: dict[str, Future[pd.Series]] = {}
    for spec in specs:
        key = measure_key(spec)
        if spec.measure not in ELSEWHERE or key in pending or spec.measure not in registry:
            continue
        kwargs = _small_inputs(registry[spec.measure], inputs)
        if kwargs is None:
            continue
        try:
            pending[key] = executor.submit(_series, registry[spec.measure], kwargs, spec.params)
        except (BrokenExecutor, RuntimeError, OSError):
            break
    handed = tuple(json.loads(key)[0] for key in pending)
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
