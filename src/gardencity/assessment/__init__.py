"""Assessment: a standard's indicators computed for a workspace, with statuses and shortfalls."""

from __future__ import annotations

from gardencity.assessment.evaluate import run_assessment
from gardencity.assessment.results import Assessment, IndicatorResult
from gardencity.assessment.scorecard import Scorecard, Status

__all__ = ["Assessment", "IndicatorResult", "Scorecard", "Status", "run_assessment"]
