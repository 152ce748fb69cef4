"""Status of an indicator value against a threshold, with its confidence kept visible.

A pass or fail is plain only against a *confirmed* threshold. Against a secondary or an
unverified threshold it is ``pass_unverified`` / ``fail_unverified`` — never a plain pass.
Their labels and colours are in :mod:`gardencity.vocabulary`.

>>> from gardencity.standards.schema import Threshold
>>> t = Threshold(op=">=", value=43, confidence="secondary", source="S2", clause="")
>>> decide_status(44.0, t), decide_status(40.0, t), decide_status(float("nan"), t)
('pass_unverified', 'fail_unverified', 'not_assessed')
"""

from __future__ import annotations

import math

from gardencity.standards.schema import Threshold

__all__ = ["decide_status", "is_failing"]


def decide_status(value: float | None, threshold: Threshold | None) -> str:
    """The status of ``value`` against ``threshold``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not_assessed"
    if threshold is None or threshold.value is None:
        return "no_threshold"
    met = threshold.is_met_by(float(value))
    base = "pass" if met else "fail"
    return base if threshold.confidence == "confirmed" else f"{base}_unverified"


def is_failing(status: str) -> bool:
    return status in ("fail", "fail_unverified")
