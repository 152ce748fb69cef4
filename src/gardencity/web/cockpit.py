"""The cockpit's indicator table from a run's scorecard.json (values exactly as assessed)."""

from __future__ import annotations

import math
from typing import Any

from gardencity.assessment.thresholds import CONFIDENCE_LABELS, STATUS_LABELS

__all__ = ["STATUS_CLASS", "format_value", "indicator_rows"]

# status -> CSS class (colours checked for contrast by the tests)
STATUS_CLASS = {
    "pass": "ok",
    "pass_unverified": "ok-unverified",
    "fail": "bad",
    "fail_unverified": "bad-unverified",
    "no_threshold": "neutral",
    "not_assessed": "neutral",
    "insufficient_data": "insufficient",
    "error": "bad",
}


def format_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return f"{value:,.2f}"
    return str(value)


def _share(completeness: dict[str, Any] | None) -> str:
    share = (completeness or {}).get("share")
    return "—" if share is None else f"{share:.0%}"


def _what(completeness: dict[str, Any] | None, lang: str) -> str:
    if not completeness:
        return ""
    return str(completeness.get("what_zh" if lang == "zh" else "what_en", ""))


def _label(table: dict[str, tuple[str, str]], key: str | None, lang: str) -> str:
    if key is None:
        return "—"
    pair = table.get(key)
    return pair[0 if lang == "zh" else 1] if pair else key


def indicator_rows(scorecard: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    rows = []
    for item in scorecard.get("indicators", []):
        threshold = item.get("threshold") or {}
        gap = item.get("gap") or {}
        districts = item.get("by_district") or {}
        rows.append(
            {
                "id": item["id"],
                "name": item["name_zh"] if lang == "zh" else item["name_en"],
                "unit": item.get("unit") or "",
                "value": item.get("value"),
                "value_text": format_value(item.get("value")),
                "threshold_value": threshold.get("value"),
                "threshold_text": (
                    f"{threshold.get('op', '')} {format_value(threshold.get('value'))}"
                    if threshold.get("value") is not None
                    else "—"
                ),
                "confidence": threshold.get("confidence"),
                "confidence_text": _label(CONFIDENCE_LABELS, threshold.get("confidence"), lang),
                "status": item.get("status"),
                "status_text": _label(STATUS_LABELS, item.get("status"), lang),
                "status_class": STATUS_CLASS.get(item.get("status", ""), "neutral"),
                "gap_text": (gap.get("text_zh") if lang == "zh" else gap.get("text_en")) or "",
                "completeness": (item.get("completeness") or {}).get("share"),
                "completeness_text": _share(item.get("completeness")),
                "completeness_what": _what(item.get("completeness"), lang),
                "note": (item.get("note_zh") or item.get("note", ""))
                if lang == "zh"
                else item.get("note", ""),
                "by_district": {k: format_value(v) for k, v in districts.items()},
                "district_status": item.get("district_status") or {},
            }
        )
    return rows
