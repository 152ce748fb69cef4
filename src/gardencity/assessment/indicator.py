"""One indicator of an assessment: its measure computed (or found not measurable), its value
judged against the threshold for the city and each district, its data completeness and its
gap in physical units (:func:`evaluate_indicator`)."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

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
from gardencity.assessment.elsewhere import measure_key
from gardencity.assessment.gaps import UNIT_FACTORS, gap_amount, gap_text
from gardencity.assessment.inputs import CITY_ZONE, AssessmentInputs
from gardencity.assessment.results import IndicatorResult
from gardencity.assessment.thresholds import decide_status, is_failing
from gardencity.errors import GardenCityError, MissingLayerError
from gardencity.indicators import FAMILIES
from gardencity.io.data_gaps import DataGap
from gardencity.io.layers import layer_spec
from gardencity.messages import Catalogue
from gardencity.standards.schema import IndicatorSpec, Standard, Threshold

__all__ = ["evaluate_indicator", "finite"]

MESSAGES = Catalogue(__package__)

_INPUT_LAYER_NAMES = {
    "temperature": "land_surface_temperature (raster)",
    "canopy": "canopy (raster) or vegetation",
    "walk_graph": "roads",
    "weather_stations": "weather_stations (table)",
}


def finite(value: Any) -> float | None:
    """``value`` as a finite float; None for anything else (None, text, NaN, infinity)."""
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
        by_district = {z: finite(series.get(z)) for z in district_ids}
        if spec.scope == "min_district":
            known = {z: v for z, v in by_district.items() if v is not None}
            if known:
                min_district = min(known, key=lambda z: known[z])
                value = known[min_district]
        else:
            value = finite(series.get(CITY_ZONE))
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
        return {str(z): finite(v * 1e-4) for z, v in attrs.get(name, {}).items()}

    counted = {
        str(z): finite((n - attrs["other_green_credited_m2"].get(z, 0.0)) * 1e-4)
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
            value=finite(series.get(zone)),
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
        known = [v for v in by_district.values() if v is not None]
        total: float | None = sum(known) if known else None
    else:
        if not is_failing(status):
            return None
        total = amount_for(CITY_ZONE)
    if total is None:  # the amount cannot be worked out: no gap is stated, never a zero
        return None
    gap = gap_text(total, spec.gap.unit, spec.gap.what_zh, spec.gap.what_en, spec.gap.kind)
    gap["by_district"] = by_district
    for figure in FAMILIES.gap_figures(spec.measure):  # declared by the measure's family
        extra = figure.compute(series, spec.gap.unit)
        if extra is not None:
            gap[figure.name] = extra
    return gap
