"""Shortfalls in physical units: how much is missing to reach the threshold.

>>> gap_amount("add_numerator", threshold=90, scale=100, numerator=800.0, denominator=1000.0)
100.0
>>> gap_amount("add_both", threshold=0.8, scale=1, numerator=6.0, denominator=10.0)
10.0
>>> gap_amount("reduce_value", threshold=2.5, scale=1, value=3.1)
0.6
"""

from __future__ import annotations

import math
from typing import Any

from gardencity.vocabulary import vocabulary

__all__ = ["UNIT_FACTORS", "gap_amount", "gap_text"]

# numerator unit -> gap unit -> factor
UNIT_FACTORS: dict[tuple[str, str], float] = {
    ("m2", "ha"): 1e-4,
    ("m2", "m2"): 1.0,
    ("m", "km"): 1e-3,
    ("m", "m"): 1.0,
    ("km", "km"): 1.0,
    ("count", "count"): 1.0,
    ("species", "species"): 1.0,
}


def gap_amount(
    kind: str,
    *,
    threshold: float,
    scale: float = 100.0,
    numerator: float | None = None,
    denominator: float | None = None,
    value: float | None = None,
) -> float | None:
    """The amount missing, in numerator units (``reduce_value``: in the value's unit).

    * ``add_numerator``: ``threshold / scale × denominator − numerator`` (e.g. m² of park);
    * ``add_both`` (an index of species where adding one adds to both counts):
      the smallest ``x`` with ``(n + x) / (N + x) ≥ t``, i.e. ``ceil((t·N − n) / (1 − t))``;
    * ``reduce_value``: ``value − threshold``.
    """
    if kind == "add_numerator" and numerator is not None and denominator is not None:
        return round(max(threshold / scale * denominator - numerator, 0.0), 10)
    if kind == "add_both" and numerator is not None and denominator is not None:
        t = threshold / scale
        if t >= 1:
            return None
        return float(max(math.ceil((t * denominator - numerator) / (1 - t) - 1e-9), 0))
    if kind == "reduce_value" and value is not None:
        return round(max(value - threshold, 0.0), 10)
    return None


def gap_text(amount: float, unit: str, what_zh: str, what_en: str, kind: str) -> dict[str, Any]:
    shown = f"{amount:,.0f}" if unit in ("count", "species") else f"{amount:,.1f}"
    words = vocabulary()
    kind = kind if kind in words.gap_kinds else "add_numerator"
    zh, en = (
        words.label("gap_kinds", kind, lang).format(
            what=what, amount=shown, unit=words.label("units", unit, lang)
        )
        for lang, what in (("zh", what_zh), ("en", what_en))
    )
    en = en.replace("  ", " ")
    return {"amount": amount, "unit": unit, "text_zh": zh, "text_en": en}
