"""The report's tables from the typed scorecard, as printed text (so the tests can read them
back).

Values print with :data:`DISPLAY_DECIMALS` decimals (:func:`format_value`); an indicator
without a value is shown by its status — "数据不足" or "未评估" — with its reason, never as a
zero.
"""

from __future__ import annotations

import re
from typing import Any

from gardencity.assessment.scorecard import IndicatorCard, Scorecard, Status, ThresholdCard
from gardencity.reports.self_assessment.template import Edition, Rectification, render_text
from gardencity.reports.self_assessment.template import wording as _wording
from gardencity.vocabulary import vocabulary
from gardencity.vocabulary.dates import chinese_date

__all__ = [
    "DISPLAY_DECIMALS",
    "chinese_date",
    "district_rows",
    "format_amount",
    "format_value",
    "gap_rows",
    "indicator_rows",
    "printed_value",
    "reason",
    "scrub",
    "status_label",
    "threshold_text",
]

DISPLAY_DECIMALS = 2
FAILING = (Status.FAIL, Status.FAIL_UNVERIFIED)
PASSING = (Status.PASS, Status.PASS_UNVERIFIED)


def format_value(value: float | None, unit: str) -> str:
    """How a value is printed in the report: two decimals; yes/no items as 是/否.

    >>> format_value(48.345611, "%"), format_value(1.0, "是/否"), format_value(None, "%")
    ('48.35', '是', '未评估')
    """
    if value is None or value != value:
        return str(_wording()["no_value"])
    if unit == "是/否":
        return "是" if value >= 1 else "否"
    return f"{value:.{DISPLAY_DECIMALS}f}"


def format_amount(amount: float, unit: str) -> str:
    """A shortfall with its Chinese unit.

    >>> format_amount(24.600031, "ha"), format_amount(17.63, "km")
    ('24.60 公顷', '17.63 公里')
    """
    name = vocabulary().label("units", unit, "zh")
    return f"{amount:.{DISPLAY_DECIMALS}f} {name}"


def threshold_text(threshold: ThresholdCard | None, unit: str) -> str:
    """``>= 43`` → ``≥43``; yes/no items → 是; none → —.

    >>> threshold_text(ThresholdCard(op=">=", value=43.0), "%"), threshold_text(None, "%")
    ('≥43', '—')
    """
    if threshold is None or threshold.value is None:
        return "—"
    if unit == "是/否":
        return "是"
    sign = _wording()["comparison"].get(threshold.op, threshold.op)
    return f"{sign}{threshold.value:g}"


def printed_value(card: IndicatorCard) -> str:
    """The city value as the indicator table prints it: the number, or — when there is none —
    the status in words ("数据不足" when the data fall short, "未评估" otherwise).

    >>> card = IndicatorCard(id="a", name_zh="甲", name_en="A", unit="%", status="pass",
    ...                      value=48.345611)
    >>> printed_value(card), printed_value(card.model_copy(update={"value": None,
    ...     "status": Status.INSUFFICIENT_DATA}))
    ('48.35', '数据不足')
    """
    if card.value is None and card.status is Status.INSUFFICIENT_DATA:
        return str(_wording()["status"]["experts"][Status.INSUFFICIENT_DATA.value])
    return format_value(card.value, card.unit)


def status_label(status: Status | str, edition: Edition) -> str:
    labels: dict[str, str] = _wording()["status"][edition]
    return labels.get(str(status), labels[Status.NOT_ASSESSED.value])


def scrub(text: str, edition: Edition) -> str:
    """The experts' copy drops internal remarks (e.g. "（参数，待核实）") from texts.

    >>> scrub("半径 1000 m（参数，待核实）以内", "experts")
    '半径 1000 m以内'
    """
    if edition != "experts":
        return text
    for pattern in _wording()["experts_scrub"]:
        text = re.sub(pattern, "", text)
    return text


def reason(card: IndicatorCard) -> str:
    """Why an indicator has no value: its Chinese note (for missing data the share found, the
    share needed and the fix), else the completeness record's reason."""
    completeness = card.completeness or {}
    for text in (card.note_zh, completeness.get("reason_zh"), card.note):
        if text:  # the status is printed beside it: "数据不足：…" loses its prefix
            return str(text).removeprefix("数据不足：")
    return str(_wording()["no_value_reason"])


def indicator_rows(scorecard: Scorecard, edition: Edition) -> list[dict[str, str]]:
    """One row per indicator (printed text): seq, id, name, unit, threshold, value, status,
    method, reason (when there is no value); the internal copy uses confidence and source."""
    rows = []
    for seq, card in enumerate(scorecard.indicators, start=1):
        threshold = card.threshold
        source = "" if threshold is None else f"{threshold.source} {threshold.source_title}"
        confidence = (
            "—"
            if threshold is None
            else vocabulary().label("confidences", threshold.confidence, "zh")
        )
        rows.append(
            {
                "seq": str(seq),
                "id": card.id,
                "name": card.name_zh,
                "unit": card.unit or "—",
                "threshold": threshold_text(threshold, card.unit),
                "value": printed_value(card),
                "status": status_label(card.status, edition),
                "method": scrub(card.method.text_zh, edition),
                "confidence": confidence,
                "source": source.strip() or "—",
                "reason": reason(card) if card.value is None else "",
            }
        )
    return rows


def district_rows(scorecard: Scorecard) -> tuple[list[str], list[list[str]]]:
    """Indicators (rows) × districts (columns), values as printed; failing ones marked ▼."""
    rows = []
    for card in scorecard.indicators:
        if not any(v is not None for v in card.by_district.values()):
            continue
        cells = []
        for district in scorecard.districts:
            status = card.district_status.get(district.id)
            mark = "▼" if status is not None and status.failing else ""
            cells.append(format_value(card.by_district.get(district.id), card.unit) + mark)
        rows.append([card.name_zh, card.unit or "—", *cells])
    return [d.name for d in scorecard.districts], rows


def _linked(campaign: dict[str, Any] | None, indicator_id: str, district: str) -> str:
    refs = ((campaign or {}).get("by_indicator") or {}).get(indicator_id, {}).get(district, [])
    if not refs:
        return "—"
    shown = "、".join(refs[:3])
    return f"{shown}等{len(refs)}件" if len(refs) > 3 else shown


def _shortfall(card: IndicatorCard) -> str:
    if card.gap is not None and card.gap.amount is not None:
        return format_amount(card.gap.amount, card.gap.unit)
    shown = "" if card.unit == "是/否" else card.unit
    target = threshold_text(card.threshold, card.unit)
    return f"现状 {format_value(card.value, card.unit)}{shown}，标准 {target}{shown}"


def gap_rows(
    scorecard: Scorecard, rules: Rectification, campaign: dict[str, Any] | None
) -> list[list[str]]:
    """存在问题与整改计划: for every failing indicator a row for the city (left out for a
    minimum-over-districts indicator whose districts are listed) and one per district that
    falls short — indicator, where, shortfall, measure, responsible unit, deadline, cases."""
    names = {d.id: d.name for d in scorecard.districts}
    rows: list[list[str]] = []
    for card in scorecard.indicators:
        if not card.failing:
            continue
        gap = card.gap
        measure = rules.measures.get(card.id, rules.default_measure)
        district_gaps = []
        for district_id, amount in (gap.by_district if gap is not None else {}).items():
            if gap is None or amount is None or amount <= 0:
                continue
            name = names.get(district_id, district_id)
            unit_name = render_text(rules.district_unit, {"district": name}, where="district_unit")
            district_gaps.append(
                [
                    card.name_zh,
                    name,
                    format_amount(amount, gap.unit),
                    measure,
                    f"{unit_name}、{rules.lead_unit}",
                    rules.deadline,
                    _linked(campaign, card.id, name),
                ]
            )
        if card.scope != "min_district" or not district_gaps:
            city = [card.name_zh, "全市", _shortfall(card), measure, rules.lead_unit]
            rows.append([*city, rules.deadline, _linked(campaign, card.id, "")])
        rows.extend(district_gaps)
    return rows
