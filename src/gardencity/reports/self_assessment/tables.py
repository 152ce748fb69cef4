"""The report's tables from the scorecard, as printed text (so the tests can read them back).

Values print with :data:`DISPLAY_DECIMALS` decimals (:func:`format_value`); an indicator
without a value is "未评估", never a zero.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from gardencity.reports.self_assessment.template import Edition, Rectification, render_text
from gardencity.reports.self_assessment.template import wording as _wording

__all__ = [
    "DISPLAY_DECIMALS",
    "chinese_date",
    "district_rows",
    "format_amount",
    "format_value",
    "gap_rows",
    "indicator_rows",
    "reason",
    "scrub",
    "status_label",
    "threshold_text",
]

DISPLAY_DECIMALS = 2
FAILING = ("fail", "fail_unverified")
PASSING = ("pass", "pass_unverified")


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
    name = _wording()["gap_units"].get(unit, unit)
    return f"{amount:.{DISPLAY_DECIMALS}f} {name}"


def chinese_date(value: str | date | datetime) -> str:
    """``2026-05-01T…`` → ``2026年5月1日``.

    >>> chinese_date("2026-05-01T08:00:00+00:00")
    '2026年5月1日'
    """
    day = value if isinstance(value, date) else datetime.fromisoformat(str(value)[:10]).date()
    return f"{day.year}年{day.month}月{day.day}日"


def threshold_text(threshold: dict[str, Any] | None, unit: str) -> str:
    """``{"op": ">=", "value": 43}`` → ``≥43``; yes/no items → 是; none → —.

    >>> threshold_text({"op": ">=", "value": 43.0}, "%"), threshold_text(None, "%")
    ('≥43', '—')
    """
    if not threshold or threshold.get("value") is None:
        return "—"
    if unit == "是/否":
        return "是"
    sign = _wording()["comparison"].get(str(threshold["op"]), str(threshold["op"]))
    return f"{sign}{threshold['value']:g}"


def status_label(status: str, edition: Edition) -> str:
    labels: dict[str, str] = _wording()["status"][edition]
    return labels.get(status, labels.get("not_assessed", status))


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


def reason(result: dict[str, Any]) -> str:
    """Why an indicator has no value (the assessment's completeness reason or note)."""
    completeness = result.get("completeness") or {}
    for text in (
        result.get("reason_zh"),
        result.get("reason"),
        completeness.get("reason_zh") if isinstance(completeness, dict) else None,
        result.get("note"),
    ):
        if text:
            return str(text)
    return "缺少计算所需的数据"


def indicator_rows(scorecard: dict[str, Any], edition: Edition) -> list[dict[str, str]]:
    """One row per indicator (printed text): seq, id, name, unit, threshold, value, status,
    method, reason (when there is no value); the internal copy uses confidence and source."""
    rows = []
    for seq, result in enumerate(scorecard["indicators"], start=1):
        threshold = result.get("threshold") or {}
        unit = result.get("unit") or ""
        confidence = threshold.get("confidence", "")
        source = f"{threshold.get('source') or ''} {threshold.get('source_title') or ''}"
        rows.append(
            {
                "seq": str(seq),
                "id": result["id"],
                "name": result["name_zh"],
                "unit": unit or "—",
                "threshold": threshold_text(threshold, unit),
                "value": format_value(result.get("value"), unit),
                "status": status_label(result["status"], edition),
                "method": scrub((result.get("method") or {}).get("text_zh", ""), edition),
                "confidence": {"confirmed": "已确认", "secondary": "二手来源"}.get(
                    confidence, "未核实" if threshold else "—"
                ),
                "source": source.strip() or "—",
                "reason": reason(result) if result.get("value") is None else "",
            }
        )
    return rows


def district_rows(scorecard: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Indicators (rows) × districts (columns), values as printed; failing ones marked ▼."""
    districts = scorecard.get("districts", [])
    rows = []
    for result in scorecard["indicators"]:
        by_district = result.get("by_district") or {}
        if not any(v is not None for v in by_district.values()):
            continue
        cells = []
        for district in districts:
            value = by_district.get(str(district["id"]))
            status = (result.get("district_status") or {}).get(str(district["id"]), "")
            mark = "▼" if status in FAILING else ""
            cells.append(format_value(value, result["unit"]) + mark)
        rows.append([result["name_zh"], result["unit"] or "—", *cells])
    return [str(d["name"]) for d in districts], rows


def _linked(campaign: dict[str, Any] | None, indicator_id: str, district: str) -> str:
    refs = ((campaign or {}).get("by_indicator") or {}).get(indicator_id, {}).get(district, [])
    if not refs:
        return "—"
    shown = "、".join(refs[:3])
    return f"{shown}等{len(refs)}件" if len(refs) > 3 else shown


def _shortfall(result: dict[str, Any]) -> str:
    gap = result.get("gap") or {}
    if gap.get("amount") is not None:
        return format_amount(float(gap["amount"]), str(gap.get("unit", "")))
    unit = result.get("unit") or ""
    shown = "" if unit == "是/否" else unit
    target = threshold_text(result.get("threshold"), unit)
    return f"现状 {format_value(result.get('value'), unit)}{shown}，标准 {target}{shown}"


def gap_rows(
    scorecard: dict[str, Any], rules: Rectification, campaign: dict[str, Any] | None
) -> list[list[str]]:
    """存在问题与整改计划: for every failing indicator a row for the city (left out for a
    minimum-over-districts indicator whose districts are listed) and one per district that
    falls short — indicator, where, shortfall, measure, responsible unit, deadline, cases."""
    names = {str(d["id"]): str(d["name"]) for d in scorecard.get("districts", [])}
    rows: list[list[str]] = []
    for result in scorecard["indicators"]:
        if result["status"] not in FAILING:
            continue
        gap = result.get("gap") or {}
        measure = rules.measures.get(result["id"], rules.default_measure)
        district_gaps = []
        for district_id, amount in (gap.get("by_district") or {}).items():
            if amount is None or amount <= 0:
                continue
            name = names.get(str(district_id), str(district_id))
            unit_name = render_text(rules.district_unit, {"district": name}, where="district_unit")
            district_gaps.append(
                [
                    result["name_zh"],
                    name,
                    format_amount(float(amount), str(gap.get("unit", ""))),
                    measure,
                    f"{unit_name}、{rules.lead_unit}",
                    rules.deadline,
                    _linked(campaign, result["id"], name),
                ]
            )
        if result.get("scope") != "min_district" or not district_gaps:
            city = [result["name_zh"], "全市", _shortfall(result), measure, rules.lead_unit]
            rows.append([*city, rules.deadline, _linked(campaign, result["id"], "")])
        rows.extend(district_gaps)
    return rows
