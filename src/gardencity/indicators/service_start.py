"""The park service-radius measures' heaviest intermediates, started in other processes.

Both measures cut the same residential land (``toolkit.residential_pieces``): the
straight-line one measures each piece inside the parks' service cover, the walking one cuts
it into cells and snaps them to the network. Those two intermediates are numbers, cheap to
send back, and need no result of another measure, so an assessment can have short-lived
processes compute them (:class:`gardencity.toolkit.ForkedCalls`) while it computes the
other measures; the two measures then take them from the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from typing import Any

from gardencity.errors import GardenCityError
from gardencity.indicators.service_cover import service_cover, service_covered_m2
from gardencity.indicators.walking_cells import walking_cells
from gardencity.toolkit import RunContext, residential_pieces, shared

__all__ = ["SERVICE_MEASURES", "start_service_coverage"]

STRAIGHT_LINE, WALKING = "park_service_coverage", "park_service_coverage_walking"
#: the measures whose intermediates :func:`start_service_coverage` starts
SERVICE_MEASURES = (STRAIGHT_LINE, WALKING)
_COVER_PARAMS = ("bands", "eligible_classes", "require_open", "quad_segs")


def start_service_coverage(
    run: RunContext, executor: Executor, wanted: Iterable[tuple[str, Mapping[str, Any]]]
) -> tuple[str, ...]:
    """Have ``executor`` (processes that see this one's memory: forks) compute the service
    measures' intermediates for each measure of ``wanted`` (measure name and parameters, as
    a standard lists them) while the caller computes other measures. The residential pieces
    and the service cover, which the caller needs as well, are computed here first, once.
    The measures that wait for them (to be computed last), or none where nothing was
    started (an input is missing or in error: the measure reports it)."""
    wanted = [(measure, params) for measure, params in wanted if measure in SERVICE_MEASURES]
    if not wanted:
        return ()
    try:
        zones, land_use, green = (run.get(n) for n in ("zones", "land_use", "green_spaces"))
        historic = run.get("historic_districts")
        if land_use is None or green is None:
            return ()
        shared(run, residential_pieces, land_use, zones)
        for measure, params in wanted:
            if measure == STRAIGHT_LINE:
                method = {k: v for k, v in params.items() if k in _COVER_PARAMS}
                shared(run, service_cover, green, historic, run, **method)
                run.start(
                    executor, service_covered_m2, zones, land_use, green, historic, run, **method
                )
            elif (graph := run.get("walk_graph")) is not None:
                size = params.get("cell_size_m", 25.0)
                run.start(executor, walking_cells, zones, land_use, graph, run, cell_size_m=size)
    except GardenCityError:
        return ()
    return tuple(dict.fromkeys(measure for measure, _ in wanted))
