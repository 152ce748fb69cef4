"""Helpers every measure uses to build its result."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ratio_result", "value_result"]


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
