"""Run an assessment: every indicator of the chosen standard, for the city and each district."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

import gardencity
from gardencity.assessment.elsewhere import Elsewhere, start_elsewhere
from gardencity.assessment.indicator import evaluate_indicator, finite
from gardencity.assessment.inputs import CITY_ZONE, AssessmentInputs
from gardencity.assessment.results import Assessment, IndicatorResult
from gardencity.errors import Problem
from gardencity.indicators import FAMILIES
from gardencity.io.threads import using_threads
from gardencity.io.validate import start_check
from gardencity.io.workspace import Workspace
from gardencity.messages import Catalogue, Message
from gardencity.standards import load_standard
from gardencity.standards.schema import Standard

if TYPE_CHECKING:
    from gardencity.assessment.diagnostics import DiagnosticLayers

__all__ = ["Progress", "evaluate_indicator", "run_assessment"]

#: called before each indicator with its name (a message in both languages), the number done
#: and the total, and at the end with the message "done"
Progress = Callable[[Message, int, int], None]
MESSAGES = Catalogue(__package__)


def run_assessment(
    workspace: Workspace | str | os.PathLike[str],
    *,
    standard: str | None = None,
    progress: Progress | None = None,
    registry: Mapping[str, Callable[..., Any]] | None = None,
    executor: Executor | None = None,
    decided: Callable[[Assessment], None] | None = None,
    layer_built: Callable[[str, Any], None] | None = None,
    zones_read: Callable[[Any], None] | None = None,
    indicator_computed: Callable[[IndicatorResult], None] | None = None,
    measure_computed: Callable[[str], None] | None = None,
    threads: int | None = None,
) -> Assessment:
    """Assess a workspace against a standard (city.toml's unless given); an ``executor``
    (another process, idle meanwhile) takes a share of the validation and the canopy's class
    counts; with it short-lived forks of this process compute the service-radius measures'
    residential cells and covered areas (:mod:`gardencity.toolkit.forked`) and, on a small
    city, whole measures (:mod:`gardencity.assessment.elsewhere`). ``decided`` is
    called with the assessment once every indicator is decided, before its own diagnostic
    layers (zones, districts below the minimum) are built (work on the scorecard can start
    then); ``layer_built`` hears each diagnostic layer as soon as it is built (a family's
    layers as soon as the indicator of its measure is computed: they can be written and
    drawn meanwhile); ``zones_read`` hears the zones (city and districts) before the first
    indicator is computed, and ``indicator_computed`` each indicator's result as soon as it
    is computed (its figures can be drawn meanwhile), and ``measure_computed`` each measure's
    name as soon as the last of its indicators is (right after that indicator's result,
    before its diagnostic layers are built). ``threads`` is the cores the run may
    use (:func:`gardencity.io.threads.using_threads`): with one, no step overlaps another
    (the checks wait for the indicators' turn); by default the measures use two threads (or
    ``GARDENCITY_THREADS``) and the slow checks one beside them, but while measures are
    computed in forks (a small city, with an ``executor``), the work of each process keeps
    to the cores the forks leave (:func:`~gardencity.assessment.elsewhere.threads_beside_forks`).

    Intermediate results the measures and the diagnostic layers share (eligible parks,
    walking distances of residential cells, road side-segments) are computed once in the
    run: its prepared inputs carry the run context (the input ``run``).
    """
    hooks = _Hooks(progress, decided, layer_built, zones_read, indicator_computed, measure_computed)
    with using_threads(threads):
        return _assess(workspace, standard, registry, executor, hooks)


class _Hooks(NamedTuple):
    """What :func:`run_assessment` tells its caller as it goes (see there)."""

    progress: Progress | None
    decided: Callable[[Assessment], None] | None
    layer_built: Callable[[str, Any], None] | None
    zones_read: Callable[[Any], None] | None
    indicator_computed: Callable[[IndicatorResult], None] | None
    measure_computed: Callable[[str], None] | None


def _started(
    ws: Workspace,
    standard: str | None,
    registry: Mapping[str, Callable[..., Any]] | None,
    executor: Executor | None,
    zones_read: Callable[[Any], None] | None,
) -> tuple[Standard, AssessmentInputs, Mapping[str, Callable[..., Any]], Elsewhere]:
    """The standard, the inputs and the measures, with the work done elsewhere started (see
    :func:`start_elsewhere`); a workspace in error is reported as such."""
    try:
        std = load_standard(_resolve_standard(ws, standard))
        inputs = AssessmentInputs(ws)
        zones = inputs.get("zones")  # read once: later asked for again, it is kept
        if zones_read is not None:
            zones_read(zones)
        measures = FAMILIES.measures if registry is None else registry
        # forked before the checks' thread starts: a fork would inherit any lock that thread
        # holds (PROJ's database, while it makes a transformer) and wait on it for ever
        return std, inputs, measures, start_elsewhere(std.indicators, inputs, measures, executor)
    except Exception:
        start_check(ws, executor)()
        raise


def _assess(
    workspace: Workspace | str | os.PathLike[str],
    standard: str | None,
    registry: Mapping[str, Callable[..., Any]] | None,
    executor: Executor | None,
    hooks: _Hooks,
) -> Assessment:
    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    started = time.perf_counter()
    std, inputs, measures, elsewhere = _started(ws, standard, registry, executor, hooks.zones_read)
    # while measures are computed in forks, the work here uses the threads the cores leave
    with using_threads(elsewhere.threads):
        zones = inputs.get("zones")
        context = {
            "grade": ws.config.city.grade,
            "region": ws.config.city.region,
            "city_size": std.city_size(finite(zones.loc[CITY_ZONE, "population"])),
        }
        results, warnings, diagnostics = _decided(
            ws, std, inputs, measures, elsewhere, executor, hooks, context
        )
        assessment = _assessment(ws, std, inputs, results, warnings, context["city_size"])
        assessment.timings_s["total"] = time.perf_counter() - started
        if hooks.decided is not None:
            hooks.decided(assessment)
        assessment.diagnostics = diagnostics.finish(assessment)
    assessment.run = inputs.run
    assessment.inputs = inputs
    return assessment


def _decided(
    ws: Workspace,
    std: Standard,
    inputs: AssessmentInputs,
    measures: Mapping[str, Callable[..., Any]],
    elsewhere: Elsewhere,
    executor: Executor | None,
    hooks: _Hooks,
    context: dict[str, str | None],
) -> tuple[list[IndicatorResult], list[Problem], DiagnosticLayers]:
    """Every indicator's result (its thresholds chosen by the city's ``context``), the
    validation's warnings, and the diagnostic layers built so far (a family's as soon as
    the indicator of its measure is computed)."""
    from gardencity.assessment.diagnostics import DiagnosticLayers

    # the slow geometric checks go on while the indicators are computed; a workspace they
    # find in error is reported as such, whatever a measure made of it meanwhile
    checked = start_check(ws, executor, elsewhere.off_coverage)
    try:
        diagnostics = DiagnosticLayers(std, inputs, built=hooks.layer_built)

        def heard(result: IndicatorResult, last_of_measure: bool) -> None:
            # its figures started before the layers are built
            if hooks.indicator_computed is not None:
                hooks.indicator_computed(result)
            if last_of_measure and hooks.measure_computed is not None:
                hooks.measure_computed(result.method["measure"])
            diagnostics.after(result.method["measure"])

        results = _indicators(
            std, inputs, measures, context, hooks.progress, elsewhere.later, elsewhere.computed,
            heard,
        )  # fmt: skip
    except Exception:
        checked()
        raise
    return results, checked(), diagnostics


def _assessment(
    ws: Workspace,
    std: Standard,
    inputs: AssessmentInputs,
    results: list[IndicatorResult],
    warnings: list[Problem],
    city_size: str | None,
) -> Assessment:
    zones = inputs.get("zones")
    timings = {r.id: r.seconds for r in results}
    timings.update({f"input:{k}": v for k, v in inputs.timings.items()})
    config = ws.config.city
    return Assessment(
        city={
            "name": config.name,
            "name_en": config.name_en,
            "crs": ws.crs.to_string(),
            "population": finite(zones.loc[CITY_ZONE, "population"]),
            "population_source": config.population_source,
            "data_source": config.data_source,
            "grade": config.grade,
            "region": config.region,
            "city_size": city_size,
            "workspace": str(ws.path),
        },
        standard=_standard_record(std),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        gardencity_version=gardencity.__version__,
        indicators=results,
        zones=zones,
        # each finding once: validation already holds the repairs of the layers it loaded
        validation=[p.as_dict() for p in dict.fromkeys([*warnings, *ws.repairs])],
        timings_s=timings,
    )


def _standard_record(std: Standard) -> dict[str, Any]:
    return {
        "id": std.id,
        "name_zh": std.name_zh,
        "name_en": std.name_en,
        "edition": std.edition,
        "catalogue_version": std.catalogue_version,
        "document": std.document,
        "extends": std.extends,
    }


def _indicators(
    std: Standard,
    inputs: AssessmentInputs,
    registry: Mapping[str, Callable[..., Any]],
    context: dict[str, str | None],
    progress: Progress | None,
    later: tuple[str, ...] = (),
    computed: dict[str, pd.Series] | None = None,
    heard: Callable[[IndicatorResult, bool], None] | None = None,
) -> list[IndicatorResult]:
    """Every indicator of the standard, in its order; those of the measures ``later`` are
    computed after the others (they, or their intermediates, are being computed elsewhere
    meanwhile: their results come into ``computed``). ``heard`` hears each indicator's
    result as soon as it is computed, and whether it is the last of its measure (the next
    indicator computed is of another measure, or there is none)."""
    results: dict[int, IndicatorResult] = {}
    computed = {} if computed is None else computed
    specs = std.indicators
    order = sorted(range(len(specs)), key=lambda i: specs[i].measure in later)
    total = len(specs)
    for done, i in enumerate(order):
        spec = specs[i]
        if progress:
            progress(Message.literal(spec.name_zh, spec.name_en or spec.name_zh), done, total)
        results[i], _ = evaluate_indicator(spec, inputs, registry, std, context, computed=computed)
        if heard is not None:
            following = order[done + 1] if done + 1 < total else None
            heard(results[i], following is None or specs[following].measure != spec.measure)
    if progress:
        progress(MESSAGES.message("done"), total, total)
    return [results[i] for i in range(total)]


def _resolve_standard(ws: Workspace, override: str | None) -> str:
    chosen = override or ws.config.city.standard
    candidate = ws.path / chosen
    return str(candidate) if candidate.is_file() else chosen
