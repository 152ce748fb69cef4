"""The park service-radius measures' heaviest intermediates, started in other processes.

Both measures cut the same residential land (``toolkit.residential_pieces``): the
straight-line one measures each piece inside the parks' service cover, the walking one cuts
it into cells and snaps them to the network. Those two intermediates are numbers, cheap to
send back, and need no result of another measure, so an assessment can have short-lived
processes compute them (:class:`gardencity.toolkit.ForkedCalls`) while it computes the
other measures; the two measures then take them from the run.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from typing import Any

from gardencity.errors import GardenCityError
from gardencity.indicators.accessibility import (
    park_service_coverage,
    park_service_coverage_walking,
)
from gardencity.indicators.service_cover import service_cover, service_covered_m2
from gardencity.indicators.walking_cells import walked_cells
from gardencity.toolkit import RunContext, residential_pieces, shared

__all__ = ["SERVICE_MEASURES", "start_service_coverage"]

STRAIGHT_LINE, WALKING = "park_service_coverage", "park_service_coverage_walking"
#: the measures whose intermediates :func:`start_service_coverage` starts
SERVICE_MEASURES = (STRAIGHT_LINE, WALKING)
_INPUTS = (
    "zones",
    "land_use",
    "green_spaces",
    "historic_districts",
    "walk_graph",
    "park_entrances",
)


def start_service_coverage(
    run: RunContext, executor: Executor, wanted: Iterable[tuple[str, Mapping[str, Any]]]
) -> tuple[str, ...]:
    """Have ``executor`` (processes that see this one's memory: forks) compute the service
    measures' intermediates for each measure of ``wanted`` (measure name and parameters, as
    a standard lists them) while the caller computes other measures. The residential pieces
    and the service cover, which the caller needs as well, are computed here first, once.
    The measures that wait for them (to be computed last), or none where nothing was
    started (an input is missing or in error, or a parameter: the measure reports it)."""
    wanted = [(measure, params) for measure, params in wanted if measure in SERVICE_MEASURES]
    if not wanted:
        return ()
    try:
        inputs = {name: run.get(name) for name in _INPUTS}
        if inputs["land_use"] is None or inputs["green_spaces"] is None:
            return ()
        shared(run, residential_pieces, inputs["land_use"], inputs["zones"])
        started = [_start(run, executor, inputs, measure, params) for measure, params in wanted]
    except GardenCityError:
        return ()
    return tuple(
        dict.fromkeys(measure for (measure, _), done in zip(wanted, started, strict=True) if done)
    )


def _start(
    run: RunContext,
    executor: Executor,
    inputs: dict[str, Any],
    measure: str,
    params: Mapping[str, Any],
) -> bool:
    """Start one measure's intermediate; False where its parameters or inputs would not do
    (the measure reports it)."""
    zones, land_use, green, historic, graph, gates = (inputs[name] for name in _INPUTS)
    if measure == STRAIGHT_LINE:
        method = _method(park_service_coverage, service_covered_m2, params)
        if method is None:
            return False
        shared(run, service_cover, green, historic, run, **method)
        run.start(executor, service_covered_m2, zones, land_use, green, historic, run, **method)
        return True
    method = _method(park_service_coverage_walking, walked_cells, params)
    if method is None or graph is None:
        return False
    run.start(executor, walked_cells, zones, land_use, green, graph, gates, historic, run, **method)
    return True


def _method(
    measure: Callable[..., Any], intermediate: Callable[..., Any], params: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The method parameters ``intermediate`` takes, as ``measure`` would pass them (its
    defaults where ``params`` does not say); None where one is missing or unknown."""
    given = dict(params)
    for name, param in inspect.signature(measure).parameters.items():
        if param.kind is inspect.Parameter.KEYWORD_ONLY and name not in given:
            if param.default is inspect.Parameter.empty:
                return None
            given[name] = param.default
    wanted = [
        name
        for name, param in inspect.signature(intermediate).parameters.items()
        if param.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    if any(name not in given for name in wanted):
        return None
    return {name: given[name] for name in wanted}
