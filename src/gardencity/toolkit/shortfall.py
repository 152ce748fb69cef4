"""Figures of a shortfall, from a measure's result: what is missing, in physical units."""

from __future__ import annotations

import pandas as pd

from gardencity.toolkit.zonal import CITY_ZONE

__all__ = ["remainder", "uncovered_ha"]


def remainder(series: pd.Series, zone: str = CITY_ZONE) -> float | None:
    """``denominator − numerator`` of a :func:`~gardencity.toolkit.results.ratio_result` in
    ``zone``, in the numerator's unit (e.g. the residential m² that no park serves); None
    where either part is unknown.

    >>> from gardencity.toolkit.results import ratio_result
    >>> s = ratio_result(pd.Series({"built_up_area": 30.0}), pd.Series({"built_up_area": 120.0}),
    ...                  name="x", numerator_unit="m2", denominator_unit="m2")
    >>> remainder(s)
    90.0
    """
    num = series.attrs.get("numerator", {}).get(zone)
    den = series.attrs.get("denominator", {}).get(zone)
    if num is None or den is None:
        return None
    return float(den - num)


def uncovered_ha(series: pd.Series, gap_unit: str) -> float | None:
    """The city's uncovered area in hectares, for a shortfall stated in ha of a ratio of m²
    (a :class:`~gardencity.indicators.registry.GapFigure` of the coverage measures)."""
    if series.attrs.get("numerator_unit") != "m2" or gap_unit != "ha":
        return None
    rest = remainder(series)
    return None if rest is None else rest * 1e-4
