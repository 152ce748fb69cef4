"""The cockpit's indicator table from a run's scorecard.json (values exactly as assessed)."""

from __future__ import annotations

import math
from typing import Any

from gardencity.assessment.scorecard import Scorecard
from gardencity.vocabulary import vocabulary
from gardencity.web.i18n import messages

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


def format_value(value: Any, lang: str = "zh") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return messages(lang)["yes" if value else "no"]
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


def _label(group: str, key: str | None, lang: str) -> str:
    return "—" if key is None else vocabulary().label(group, key, lang)


def indicator_rows(scorecard: Scorecard, lang: str) -> list[dict[str, Any]]:
    rows = []
    for item in scorecard.indicators:
        threshold = item.threshold
        limit = threshold.value if threshold else None
        confidence = threshold.confidence if threshold else None
        gap = item.gap
        rows.append(
            {
                "id": item.id,
                "name": item.name(lang),
                "unit": _label("units", item.unit, lang) if item.unit else "",
                "value": item.value,
                "value_text": format_value(item.value, lang),
                "threshold_value": limit,
                "threshold_text": (
                    f"{_label('operators', threshold.op, lang)} {format_value(limit)}"
                    if threshold is not None and limit is not None
                    else "—"
                ),
                "confidence": confidence,
                "confidence_text": _label("confidences", confidence, lang),
                "status": item.status.value,
                "status_text": _label("statuses", item.status, lang),
                "status_class": STATUS_CLASS.get(item.status, "neutral"),
                "gap_text": (gap.text_zh if lang == "zh" else gap.text_en) if gap else "",
                "completeness": (item.completeness or {}).get("share"),
                "completeness_text": _share(item.completeness),
                "completeness_what": _what(item.completeness, lang),
                "note": item.note_in(lang),
                "by_district": {k: format_value(v, lang) for k, v in item.by_district.items()},
                "district_status": {k: v.value for k, v in item.district_status.items()},
            }
        )
    return rows
