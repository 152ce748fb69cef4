"""Run an assessment: every indicator of the chosen standard, for the city and each district."""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from datetime import UTC, datetime
from typing import Any

import pandas as pd

import gardencity
from gardencity.assessment.completeness import (
    INSUFFICIENT,
    Judged,
    completeness_record,
    gap_of,
    insufficient_note,
    judge,
    minimum_completeness,
    parts_of,
)
from gardencity.assessment.elsewhere import ComputedMeasures, measure_key, start_elsewhere
from gardencity.assessment.gaps import UNIT_FACTORS, gap_amount, gap_text
from gardencity.assessment.inputs import CITY_ZONE, AssessmentInputs
from gardencity.assessment.results import Assessment, IndicatorResult
from gardencity.assessment.thresholds import decide_status, is_failing
from gardencity.errors import GardenCityError, MissingLayerError
from gardencity.indicators import FAMILIES
from gardencity.io.data_gaps import DataGap
from gardencity.io.layers import layer_spec
from gardencity.io.threads import using_threads
from gardencity.io.validate import start_check
from gardencity.io.workspace import Workspace
from gardencity.messages import Catalogue, Message
from gardencity.standards import load_standard
from gardencity.standards.schema import IndicatorSpec, Standard, Threshold

__all__ = ["Progress", "evaluate_indicator", "run_assessment"]

#: called before each indicator with its name (a message in both languages), the number done
#: and the total, and at the end with the message "done"
Progress = Callable[[Message, int, int], None]
MESSAGES = Catalogue(__package__)

_INPUT_LAYER_NAMES = {
    "temperature": "land_surface_temperature (raster)",
    "canopy": "canopy (raster) or vegetation",
    "walk_graph": "roads",
    "weather_stations": "weather_stations (table)",
}


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
    ``GARDENCITY_THREADS``) and the slow checks one beside them.

    Intermediate results the measures and the diagnostic layers share (eligible parks,
    walking distances of residential cells, road side-segments) are computed once in the
    run: its prepared inputs carry the run context (the input ``run``).
    """
    with using_threads(threads):
        return _assess(
            workspace,
            standard=standard,
            progress=progress,
            registry=registry,
            executor=executor,
            decided=decided,
            layer_built=layer_built,
            zones_read=zones_read,
            indicator_computed=indicator_computed,
            measure_computed=measure_computed,
        )


def _started(
    ws: Workspace,
    standard: str | None,
    registry: Mapping[str, Callable[..., Any]] | None,
    executor: Executor | None,
    zones_read: Callable[[Any], None] | None,
) -> tuple[
    Standard,
    AssessmentInputs,
    Mapping[str, Callable[..., Any]],
    tuple[ComputedMeasures, tuple[str, ...]],
]:
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
) -> Assessment:
    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    started = time.perf_counter()
    from gardencity.assessment.diagnostics import DiagnosticLayers

    std, inputs, measures, (computed, later) = _started(
        ws, standard, registry, executor, zones_read
    )
    zones = inputs.get("zones")
    # the slow geometric checks go on while the indicators are computed; a workspace they
    # find in error is reported as such, whatever a measure made of it meanwhile
    checked = start_check(ws, executor)
    try:
        city_size = std.city_size(_finite(zones.loc[CITY_ZONE, "population"]))
        context = {
            "grade": ws.config.city.grade,
            "region": ws.config.city.region,
            "city_size": city_size,
        }
        diagnostics = DiagnosticLayers(std, inputs, built=layer_built)

        def heard(result: IndicatorResult, last_of_measure: bool) -> None:
            # its figures started before the layers are built
            if indicator_computed is not None:
                indicator_computed(result)
            if last_of_measure and measure_computed is not None:
                measure_computed(result.method["measure"])
            diagnostics.after(result.method["measure"])

        results = _indicators(std, inputs, measures, context, progress, later, computed, heard)
    except Exception:
        checked()
        raise
    warnings = checked()
    timings = {r.id: r.seconds for r in results}
    timings.update({f"input:{k}": v for k, v in inputs.timings.items()})
    timings["total"] = time.perf_counter() - started
    config = ws.config.city
    assessment = Assessment(
        city={
            "name": config.name,
            "name_en": config.name_en,
            "crs": ws.crs.to_string(),
            "population": _finite(zones.loc[CITY_ZONE, "population"]),
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
    if decided is not None:
        decided(assessment)
    assessment.diagnostics = diagnostics.finish(assessment)
    assessment.run = inputs.run
    assessment.inputs = inputs
    return assessment


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


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def evaluate_indicator(
    spec: IndicatorSpec,
    inputs: AssessmentInputs,
    registry: Mapping[str, Callable[..., Any]],
    standard: Standard,
    context: dict[str, str | None],
    *,
    computed: dict[str, pd.Series] | None = None,
) -> tuple[IndicatorResult, pd.Series | None]:
    """Compute one indicator and decide its status; errors stay with the indicator.

    A missing defining layer or feature (:mod:`gardencity.indicators.data_needs`) makes it
    not assessed without running the measure; data completeness below the catalogue's minimum
    withholds the verdict (:mod:`gardencity.assessment.completeness`).

    ``computed`` (one dict per assessment run, over the same ``inputs``) remembers each
    successful measure result by measure and params: a second indicator with the same measure
    and params (e.g. ``min_district_green_space_ratio`` after ``green_space_ratio``) gets an
    independent copy instead of a second computation.
    """
    start = time.perf_counter()
    threshold = spec.select_threshold(**context)
    zones = inputs.get("zones")
    needs, available, gap = gap_of(spec, inputs)
    series, used, status_if_error, note = _compute(spec, inputs, registry, computed, gap)
    series = _clip_shares(series)
    judged = _judged(spec, series, zones, threshold, status_if_error)
    completeness = None
    if needs is not None and series is not None:
        parts = parts_of(spec, inputs, needs, available, series)
        completeness = completeness_record(parts, zones, minimum_completeness(spec, standard))
        judged = judge(judged, completeness, spec.scope)
    if judged.status == INSUFFICIENT and completeness is not None:
        note = insufficient_note(completeness, judged.partial, spec.unit)
    elif judged.status == "not_assessed" and not note[1]:
        note = _NOTHING_TO_MEASURE
    result = IndicatorResult(
        id=spec.id,
        name_zh=spec.name_zh,
        name_en=spec.name_en,
        unit=spec.unit,
        direction=spec.direction,
        scope=spec.scope,
        aspect=spec.aspect,
        informative=spec.informative,
        value=judged.value,
        by_district=judged.by_district,
        threshold=_threshold_dict(threshold, standard),
        status=judged.status,
        district_status=judged.district_status,
        gap=_gap(spec, series, threshold, judged.status, judged.district_status, judged.value),
        method={
            "measure": spec.measure,
            "params": spec.params,
            "text_zh": spec.method_zh,
            "text_en": spec.method_en,
            "notes": spec.notes,
        },
        inputs=used,
        note=note[1],
        note_zh=note[0],
        min_district=judged.min_district,
        completeness=completeness,
        partial=judged.partial,
        details=_details(series),
        seconds=time.perf_counter() - start,
    )
    return result, series


_NOTHING_TO_MEASURE = MESSAGES.pair("nothing_to_measure")


def _compute(
    spec: IndicatorSpec,
    inputs: AssessmentInputs,
    registry: Mapping[str, Callable[..., Any]],
    computed: dict[str, pd.Series] | None,
    gap: DataGap | None,
) -> tuple[pd.Series | None, dict[str, int], str, tuple[str, str]]:
    """The measure's Series (None when not run), input counts, a forced status and the note."""
    used: dict[str, int] = {}
    try:
        measure = registry[spec.measure]
        kwargs, missing = inputs.run.arguments(measure)
        used = {name: inputs.counts[name] for name in kwargs if name in inputs.counts}
        if gap is not None:
            return None, used, "not_assessed", (gap.note("zh"), gap.note("en"))
        if missing:
            return None, used, "", _missing_note(missing)
        key = measure_key(spec)
        if computed is not None and key in computed:
            return _independent_copy(computed[key]), used, "", ("", "")
        series = measure(**kwargs, **spec.params)
        if computed is not None and isinstance(series, pd.Series):
            computed[key] = _independent_copy(series)
        return series, used, "", ("", "")
    except KeyError as exc:
        if spec.measure in registry:
            raise
        en = f"Unknown measure '{spec.measure}' ({exc}). Fix the catalogue entry."
        return None, used, "", (f"目录中的计算方法“{spec.measure}”不存在，请改正目录。", en)
    except MissingLayerError as exc:
        return None, used, "not_assessed", (f"未评估：{exc.text('zh')}", exc.text("en"))
    except GardenCityError as exc:
        return None, used, "error", (f"计算出错：{exc.text('zh')}", exc.text("en"))


def _judged(
    spec: IndicatorSpec,
    series: pd.Series | None,
    zones: pd.DataFrame,
    threshold: Threshold | None,
    status_if_error: str,
) -> Judged:
    district_ids = [z for z in zones.index if z != CITY_ZONE]
    value: float | None = None
    by_district: dict[str, float | None] = {}
    min_district = None
    if series is not None:
        by_district = {z: _finite(series.get(z)) for z in district_ids}
        if spec.scope == "min_district":
            finite = {z: v for z, v in by_district.items() if v is not None}
            if finite:
                min_district = min(finite, key=lambda z: finite[z])
                value = finite[min_district]
        else:
            value = _finite(series.get(CITY_ZONE))
    status = status_if_error or decide_status(value, threshold)
    district_status = {z: decide_status(v, threshold) for z, v in by_district.items()}
    return Judged(value, by_district, status, district_status, min_district)


def _clip_shares(series: pd.Series | None) -> pd.Series | None:
    """A share of a whole (same units, scale 100) never above 100: floating-point excess from
    unioned areas (100.00000000000436) is clipped; a real excess would stay visible."""
    if series is None or not isinstance(series, pd.Series):
        return series
    attrs = series.attrs
    if attrs.get("scale") != 100.0 or attrs.get("numerator_unit") != attrs.get("denominator_unit"):
        return series
    noise = (series > 100.0) & (series <= 100.0 * (1 + 1e-9))
    if not noise.any():
        return series
    clipped = series.where(~noise, 100.0)
    clipped.attrs = attrs
    return clipped


def _details(series: pd.Series | None) -> dict[str, Any]:
    """Parts a reader needs to reconcile district values with the city's (hectares)."""
    if series is None or "other_green_credited_m2" not in series.attrs:
        return {}
    attrs = series.attrs

    def hectares(name: str) -> dict[str, float | None]:
        return {str(z): _finite(v * 1e-4) for z, v in attrs.get(name, {}).items()}

    counted = {
        str(z): _finite((n - attrs["other_green_credited_m2"].get(z, 0.0)) * 1e-4)
        for z, n in attrs.get("numerator", {}).items()
    }
    return {
        "green_space_counted_ha": counted,
        "regional_green_adjoining_ha": hectares("other_green_m2"),
        "regional_green_credited_ha": hectares("other_green_credited_m2"),
        "zone_area_ha": hectares("denominator"),
    }


def _independent_copy(series: pd.Series) -> pd.Series:
    """A copy sharing no data and no (nested) attrs with ``series``."""
    out = series.copy(deep=True)
    out.attrs = copy.deepcopy(series.attrs)
    return out


def _missing_note(missing: list[str]) -> tuple[str, str]:
    names = []
    for name in missing:
        label = _INPUT_LAYER_NAMES.get(name)
        if label is None:
            try:
                label = f"{name} ({layer_spec(name).name_zh})"
            except KeyError:
                label = name
        names.append(label)
    note = MESSAGES.message("missing_layers", listed=", ".join(names))
    return note.render("zh"), note.render("en")


def _threshold_dict(threshold: Threshold | None, standard: Standard) -> dict[str, Any] | None:
    if threshold is None:
        return None
    source = standard.sources.get(threshold.source)
    return {
        "op": threshold.op,
        "value": threshold.value,
        "confidence": threshold.confidence,
        "source": threshold.source,
        "source_title": source.title if source else "",
        "clause": threshold.clause,
        "note": threshold.note,
    }


def _gap(
    spec: IndicatorSpec,
    series: pd.Series | None,
    threshold: Threshold | None,
    status: str,
    district_status: dict[str, str],
    value: float | None,
) -> dict[str, Any] | None:
    if series is None or threshold is None or threshold.value is None:
        return None
    if spec.gap.kind == "none":
        return None
    attrs = series.attrs
    factor = UNIT_FACTORS.get((str(attrs.get("numerator_unit", "")), spec.gap.unit), 1.0)

    def amount_for(zone: str) -> float | None:
        assert threshold is not None and threshold.value is not None
        amount = gap_amount(
            spec.gap.kind,
            threshold=threshold.value,
            scale=float(attrs.get("scale", 1.0)),
            numerator=attrs.get("numerator", {}).get(zone),
            denominator=attrs.get("denominator", {}).get(zone),
            value=_finite(series.get(zone)),
        )
        if amount is None:
            return None
        amount *= factor if spec.gap.kind != "reduce_value" else 1.0
        return float(math.ceil(amount)) if spec.gap.unit == "count" else amount

    failing_districts = [z for z, s in district_status.items() if is_failing(s)]
    by_district = {z: amount_for(z) for z in failing_districts}
    if spec.scope == "min_district":
        if not failing_districts:
            return None
        total = sum(v for v in by_district.values() if v)
    else:
        if not is_failing(status):
            return None
        total = amount_for(CITY_ZONE) or 0.0
    gap = gap_text(total, spec.gap.unit, spec.gap.what_zh, spec.gap.what_en, spec.gap.kind)
    gap["by_district"] = by_district
    for figure in FAMILIES.gap_figures(spec.measure):  # declared by the measure's family
        extra = figure.compute(series, spec.gap.unit)
        if extra is not None:
            gap[figure.name] = extra
    return gap
