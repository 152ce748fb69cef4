"""Storing survey responses and computing the results from the database."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.models import Unit
from gardencity.auth.unit_names import unit_label
from gardencity.errors import DataError
from gardencity.inspection.models import SurveyResponse
from gardencity.inspection.survey import Survey, allocate_sample, survey_results
from gardencity.inspection.survey import answer_problems as survey_answer_problems
from gardencity.messages import Catalogue, Listing, Message

MESSAGES = Catalogue(__package__)

__all__ = ["allocation", "allowed_strata", "results", "submit_response"]


def allowed_strata(session: Session, survey: Survey, lang: str = "zh") -> dict[str, str]:
    """Stratum code → name: the survey's own strata, else the districts of the organisation
    (their names in ``lang``)."""
    if survey.strata:
        return {code: code for code in survey.strata}
    rows = session.execute(
        select(Unit.code, Unit.name, Unit.name_en).where(Unit.kind == "district")
    ).all()
    return {str(code): unit_label(name, name_en, lang) for code, name, name_en in rows}


def submit_response(
    session: Session, survey: Survey, stratum: str, answers: dict[str, Any], now: datetime
) -> SurveyResponse:
    """Check and store one response (every problem reported at once)."""
    strata = allowed_strata(session, survey)
    problems: list[Message] = []
    if stratum not in strata:
        problems.append(MESSAGES.message("survey_stratum_unknown", known=sorted(strata.values())))
    clean, answer_problems = survey_answer_problems(survey, answers)
    problems += answer_problems
    if problems:
        listing = Listing(tuple(problems), ("；", "; "))
        raise DataError(MESSAGES.message("answers_problems", problems=listing))
    row = SurveyResponse(survey_id=survey.id, stratum=stratum, answers=clean, submitted_at=now)
    session.add(row)
    session.flush()
    return row


def results(
    session: Session, survey: Survey, *, confidence: float = 0.95, lang: str = "zh"
) -> dict[str, Any]:
    """Stratified results of every response stored for ``survey``."""
    rows = session.execute(
        select(SurveyResponse.stratum, SurveyResponse.answers).where(
            SurveyResponse.survey_id == survey.id
        )
    ).all()
    frame = pd.DataFrame([{"stratum": r.stratum, **(r.answers or {})} for r in rows])
    if frame.empty:
        frame = pd.DataFrame({"stratum": pd.Series(dtype=str)})
    strata = allowed_strata(session, survey, lang)
    out = survey_results(survey, frame, confidence=confidence)
    out["strata"] = strata
    out["responses_by_stratum"] = frame.groupby("stratum").size().astype(int).to_dict()
    finite: dict[str, Any] = _finite(out)
    return finite


def _finite(value: Any) -> Any:
    """NaN (an interval from a single response in a stratum) becomes ``None`` (JSON null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def allocation(
    session: Session, survey: Survey, total: int, method: str = "proportional"
) -> dict[str, int]:
    """How many responses to collect per stratum (population weights from the survey file;
    equal shares when it gives none)."""
    strata = allowed_strata(session, survey)
    if not strata:
        raise DataError(MESSAGES.message("survey_no_strata"))
    populations = survey.strata or {code: 1.0 for code in strata}
    return allocate_sample(total, populations, method=method)  # type: ignore[arg-type]
