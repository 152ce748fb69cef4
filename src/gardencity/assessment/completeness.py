"""Missing is not zero: gaps and data completeness decide whether a value gets a verdict.

* A gap (a layer or the features that define an indicator are absent) means *not assessed*:
  the measure is not run, the note says what is missing and how to fix it.
* Otherwise the indicator carries its data completeness: for each thing its measure needs,
  the share of the relevant area, length or count that has it. Below the catalogue's
  ``min_completeness`` (default 80 %) a zone is *insufficient data*: its figure is kept only
  as a partial value for reference, without a pass or a fail.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gardencity.assessment.inputs import CITY_ZONE, AssessmentInputs
from gardencity.errors import MissingLayerError
from gardencity.indicators.data_needs import MEASURE_NEEDS, Gap, Needs, Part
from gardencity.io.data_gaps import DataGap, completeness_basis, data_gap
from gardencity.standards.schema import IndicatorSpec, Standard
from gardencity.vocabulary import vocabulary

__all__ = [
    "INSUFFICIENT",
    "Judged",
    "available_for",
    "completeness_record",
    "find_gap",
    "gap_of",
    "insufficient_note",
    "judge",
    "minimum_completeness",
    "parts_of",
]

INSUFFICIENT = "insufficient_data"
# a part's unit as the scorecard shows it: the factor and the unit (vocabulary units), or none
_UNIT_FACTOR: dict[str, tuple[float, str | None]] = {
    "m2": (1e-4, "ha"),
    "m": (1e-3, "km"),
    "count": (1.0, None),
}


def available_for(
    spec: IndicatorSpec, inputs: AssessmentInputs
) -> tuple[Needs | None, dict[str, Any]]:
    """The needs of the indicator's measure and everything they may ask for."""
    needs = MEASURE_NEEDS.get(spec.measure)
    if needs is None:
        return None, {}
    names = needs.input_names() & set(inputs.names())
    available: dict[str, Any] = {name: inputs.get(name) for name in sorted(names)}
    available.update(spec.params)
    available["scope"] = spec.scope
    return needs, available


def find_gap(needs: Needs | None, available: Mapping[str, Any], workspace: str) -> DataGap | None:
    if needs is None:
        return None
    gap: Gap | None = needs.gap(available)
    return None if gap is None else data_gap(gap.key, workspace=workspace, **gap.values)


def _key(spec: IndicatorSpec) -> str:
    return json.dumps([spec.measure, spec.params], sort_keys=True, default=repr)


def gap_of(
    spec: IndicatorSpec, inputs: AssessmentInputs
) -> tuple[Needs | None, dict[str, Any], DataGap | None]:
    """The measure's needs, the inputs they take and the gap, once per inputs and measure."""
    key = "gap:" + _key(spec)
    if key not in inputs.data_needs:
        try:
            needs, available = available_for(spec, inputs)
            gap = find_gap(needs, available, str(inputs.workspace.path))
        except MissingLayerError:  # a required layer: the measure's own call says so
            needs, available, gap = None, {}, None
        inputs.data_needs[key] = (needs, available, gap)
    found: tuple[Needs | None, dict[str, Any], DataGap | None] = inputs.data_needs[key]
    return found


def parts_of(
    spec: IndicatorSpec,
    inputs: AssessmentInputs,
    needs: Needs,
    available: dict[str, Any],
    series: pd.Series,
) -> list[Part]:
    """The completeness parts, once per inputs and measure: an edit of the what-if engine
    adds parks or shade, not attributes, so it keeps the base run's completeness."""
    key = "parts:" + _key(spec)
    if key not in inputs.data_needs:
        given = {**available, "result": series}
        found = (_once_in_run(inputs, part, given) for part in needs.parts)
        inputs.data_needs[key] = [p for p in found if p is not None]
    parts: list[Part] = inputs.data_needs[key]
    return parts


def _shown_unit(unit: str) -> tuple[float, str, str]:
    """The factor to a part's shown unit and that unit in English and Chinese."""
    factor, shown = _UNIT_FACTOR.get(unit, (1.0, unit))
    if shown is None:
        return factor, "", ""
    en, zh = vocabulary().label("units", shown, "en"), vocabulary().label("units", shown, "zh")
    return factor, en, zh


def _once_in_run(
    inputs: AssessmentInputs, part: Callable[..., Part | None], given: Mapping[str, Any]
) -> Part | None:
    """A completeness part, computed once in the run when it reads only the run's inputs
    (the green-class part of the five indicators on green spaces, for one); one that reads
    the measure's result or a method parameter is computed each time."""
    names = inspect.signature(part).parameters
    return inputs.run.call(part, **{n: given[n] for n in names if n in given})


def completeness_record(
    parts: list[Part], zones: pd.DataFrame, minimum: float
) -> dict[str, Any] | None:
    """The scorecard's ``completeness``: the limiting part's share, per zone, and every part."""
    if not parts:
        return None
    shown: list[dict[str, Any]] = []
    for part in parts:
        basis = completeness_basis(part.basis)
        factor, unit_en, unit_zh = _shown_unit(part.unit)
        shown.append(
            {
                "basis": part.basis,
                "what_zh": basis.zh,
                "what_en": basis.en,
                "fix_zh": basis.fix_zh,
                "fix_en": basis.fix_en,
                "unit_en": unit_en,
                "unit_zh": unit_zh,
                "share": part.share(CITY_ZONE),
                "known": _number(part.known.get(CITY_ZONE), factor),
                "total": _number(part.total.get(CITY_ZONE), factor),
                "by_district": {str(z): part.share(z) for z in zones.index if z != CITY_ZONE},
            }
        )
    limiting = min(shown, key=lambda p: 2.0 if p["share"] is None else p["share"])
    by_district = {
        z: _lowest(p["by_district"].get(z) for p in shown) for z in shown[0]["by_district"]
    }
    return {**limiting, "minimum": minimum, "by_district": by_district, "parts": shown}


def _number(value: Any, factor: float) -> float | None:
    try:
        number = float(value) * factor
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _lowest(shares: Any) -> float | None:
    known = [s for s in shares if s is not None]
    return min(known) if known else None


@dataclass
class Judged:
    """Value and statuses after the completeness rule; the withheld figures in ``partial``."""

    value: float | None
    by_district: dict[str, float | None]
    status: str
    district_status: dict[str, str]
    min_district: str | None
    partial: dict[str, Any] | None = None
    insufficient: list[str] = field(default_factory=list)


def judge(judged: Judged, completeness: dict[str, Any] | None, scope: str) -> Judged:
    """Withhold the verdict of every zone whose completeness is below the minimum."""
    if completeness is None or judged.status == "error":
        return judged
    minimum = float(completeness["minimum"])
    if judged.status == "not_assessed":  # nothing measurable: say why if data are lacking
        share = completeness["share"]
        if share is not None and share < minimum:
            return Judged(None, judged.by_district, INSUFFICIENT, judged.district_status, None)
        return judged
    low = [
        zone
        for zone, share in completeness["by_district"].items()
        if share is not None and share < minimum and judged.by_district.get(zone) is not None
    ]
    city_share = completeness["share"]
    city_low = city_share is not None and city_share < minimum
    if scope == "min_district":
        city_low = bool(low)
    if not low and not city_low:
        return judged
    partial = {"value": judged.value, "by_district": dict(judged.by_district)}
    by_district = {z: (None if z in low else v) for z, v in judged.by_district.items()}
    district_status = {
        z: (INSUFFICIENT if z in low else s) for z, s in judged.district_status.items()
    }
    if not city_low:
        return Judged(
            judged.value,
            by_district,
            judged.status,
            district_status,
            judged.min_district,
            partial,
            low,
        )
    return Judged(None, by_district, INSUFFICIENT, district_status, None, partial, low)


def insufficient_note(
    completeness: dict[str, Any], partial: dict[str, Any] | None, unit: str
) -> tuple[str, str]:
    """Why no verdict is given (zh, en): the share, the minimum, the partial figure, the fix."""
    share = completeness["share"] or 0.0
    minimum = completeness["minimum"]
    value = None if partial is None else partial.get("value")
    shown = "" if value is None else f"{value:,.2f} {unit}".strip()
    zh = (
        f"数据不足：{completeness['what_zh']}仅占 {share:.1%}"
        f"（至少需要 {minimum:.0%}），不作达标判定。"
        + (f"按已有数据测算为 {shown}，仅供参考。" if shown else "")
        + f"处理：{completeness['fix_zh']}。"
    )
    en = (
        f"Insufficient data: {completeness['what_en']} is only {share:.1%} (at least "
        f"{minimum:.0%} needed), so no pass or fail is given."
        + (
            f" On the data there is it comes to {shown} {unit}, for reference only."
            if shown
            else ""
        )
        + f" Fix: {completeness['fix_en']}."
    )
    return zh, en


def minimum_completeness(spec: IndicatorSpec, standard: Standard) -> float:
    return spec.min_completeness if spec.min_completeness is not None else standard.min_completeness
