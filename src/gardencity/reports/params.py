"""A measure's parameters in words (zh/en), for the method section of the reports.

The words are data (``reports/i18n/params.yaml``): a label per parameter and how its value
is written. A parameter the table does not know is shown as ``name = value``.

>>> params_in_words({"park_classes": ["G1"], "require_open": True}, "zh")
'公园类别：G1 公园绿地；仅计开放公园：是'
>>> params_in_words({"bands": [{"min_area_m2": 5000, "radius_m": 500},
...     {"min_area_m2": 1000, "max_area_m2": 2000, "radius_m": 300, "historic_only": True}]},
...     "en").split("; ")[1]
'in historic districts, parks of 1,000–2,000 m² 300 m'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

from gardencity.io.classes import green_class_name, road_grade_label
from gardencity.messages import Catalogue, load_yaml

__all__ = ["params_in_words"]
MESSAGES = Catalogue(__package__)


@cache
def _table() -> dict[str, dict[str, Any]]:
    text = resources.files("gardencity.reports.i18n").joinpath("params.yaml").read_text("utf-8")
    data: dict[str, dict[str, Any]] = load_yaml(text)
    return data


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")


def _range(lo: float, hi: float | None, unit: str, lang: str) -> str:
    if hi is None:
        return MESSAGES.text("params_at_least", lang, value=_number(lo), unit=unit)
    return f"{_number(lo)}–{_number(hi)} {unit}"


def _bands(bands: Sequence[Mapping[str, Any]], lang: str) -> str:
    out = []
    for band in bands:
        size = _range(float(band.get("min_area_m2", 0)), band.get("max_area_m2"), "m²", lang)
        radius = _number(float(band["radius_m"]))
        where = MESSAGES.text("params_historic", lang) if band.get("historic_only") else ""
        out.append(MESSAGES.text("params_band", lang, where=where, size=size, radius=radius))
    return MESSAGES.text("params_separator", lang).join(out)


def _ratio_rules(rules: Sequence[Mapping[str, Any]], lang: str) -> str:
    out = []
    for rule in rules:
        lo, hi = float(rule.get("min_width_m", 0)), rule.get("max_width_m")
        ratio = f"{float(rule['min_ratio']):.0%}"
        if hi is None:
            width = f">{_number(lo)} m"
        elif lo <= 0:
            width = f"≤{_number(float(hi))} m"
        else:
            width = f"{_number(lo)}–{_number(float(hi))} m"
        out.append(MESSAGES.text("params_ratio_rule", lang, width=width, ratio=ratio))
    return MESSAGES.text("params_separator", lang).join(out)


def _classes(codes: Sequence[str], lang: str) -> str:
    if lang != "zh":
        return MESSAGES.text("params_list", lang, items=list(map(str, codes)))
    named = [f"{c} {name}" if (name := green_class_name(c)) else str(c) for c in codes]
    return MESSAGES.text("params_list", lang, items=named)


def _value(kind: str, value: Any, entry: Mapping[str, Any], lang: str) -> str:
    if kind == "classes":
        return _classes(value, lang)
    if kind == "grades":
        return MESSAGES.text("params_list", lang, items=[road_grade_label(g, lang) for g in value])
    if kind == "metres":
        return f"{_number(float(value))} m"
    if kind == "square_metres":
        return f"{_number(float(value))} m²"
    if kind == "percent_of_one":
        return f"{float(value):.0%}"
    if kind == "yes_no":
        return MESSAGES.text("params_yes" if value else "params_no", lang)
    if kind == "bands":
        return _bands(value, lang)
    if kind == "ratio_rules":
        return _ratio_rules(value, lang)
    if kind == "months":
        months = [MESSAGES.message("params_month", month=int(m)) for m in value]
        return MESSAGES.text("params_list", lang, items=months)
    if kind == "choice":
        words = entry.get("values", {}).get(value)
        return str(value) if words is None else str(words[0 if lang == "zh" else 1])
    return _number(float(value)) if isinstance(value, int | float) else str(value)


def params_in_words(params: Mapping[str, Any], lang: str) -> str:
    """Every parameter as "label: value", joined; hidden ones (e.g. the item id) left out."""
    parts = []
    for name, value in params.items():
        entry = _table().get(name)
        if entry is None:
            parts.append(f"{name} = {value}")
            continue
        if entry["kind"] == "hidden":
            continue
        label = entry["zh" if lang == "zh" else "en"]
        value_text = _value(entry["kind"], value, entry, lang)
        parts.append(MESSAGES.text("params_entry", lang, label=label, value=value_text))
    return MESSAGES.text("params_separator", lang).join(parts)
