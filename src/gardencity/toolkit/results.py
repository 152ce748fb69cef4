"""Helpers every measure uses to build its result."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gardencity.toolkit.zonal import CITY_ZONE

__all__ = ["ratio_result", "remainder", "uncovered_ha", "value_result"]


def ratio_result(
    numerator: pd.Series,
    denominator: pd.Series,
    *,
    name: str,
    scale: float = 100.0,
    numerator_unit: str,
    denominator_unit: str,
) -> pd.Series:
    """Return ``scale * numerator / denominator`` per zone, named ``name``.

    The parts are kept in ``result.attrs`` (``numerator``, ``denominator`` and their units)
    so that the assessment can state a shortfall in physical units without recomputing.
    A zero denominator gives NaN (not computable), never a division error.

    Parameters
    ----------
    numerator, denominator
        Per zone (the result is indexed like ``numerator``).
    name
        The measure's name.
    scale
        100 for a percentage, 1 for a plain ratio, 10 000 for "per 10 000 residents".
    numerator_unit, denominator_unit
        Units of the parts (``m2``, ``m``, ``km``, ``persons``, ``count``, ``species`` …),
        which the shortfall is stated in.

    Examples
    --------
    >>> s = ratio_result(pd.Series({"a": 30.0}), pd.Series({"a": 120.0}), name="x",
    ...                  numerator_unit="m2", denominator_unit="m2")
    >>> float(s["a"]), s.attrs["denominator"]["a"]
    (25.0, 120.0)
    """
    num = numerator.astype(float)
    den = denominator.reindex(num.index).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(den.to_numpy() > 0, scale * num.to_numpy() / den.to_numpy(), np.nan)
    result = pd.Series(values, index=num.index, name=name, dtype=float)
    result.attrs.update(
        {
            "numerator": num.to_dict(),
            "denominator": den.to_dict(),
            "numerator_unit": numerator_unit,
            "denominator_unit": denominator_unit,
            "scale": scale,
        }
    )
    return result


def value_result(values: pd.Series, *, name: str, **attrs: object) -> pd.Series:
    """Return ``values`` as a float Series named ``name`` with optional ``attrs``.

    Parameters
    ----------
    values
        Per zone.
    name
        The measure's name.
    **attrs
        Kept in ``result.attrs`` (e.g. ``unit``, the method used).

    Examples
    --------
    >>> s = value_result(pd.Series({"built_up_area": 2}), name="x", unit="degC")
    >>> float(s["built_up_area"]), s.attrs["unit"]
    (2.0, 'degC')
    """
    result = values.astype(float).rename(name)
    result.attrs.update(attrs)
    return result


def remainder(series: pd.Series, zone: str = CITY_ZONE) -> float | None:
    """``denominator − numerator`` of a :func:`ratio_result` in ``zone``, in the numerator's
    unit (e.g. the residential m² that no park serves); None where either part is unknown.

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
