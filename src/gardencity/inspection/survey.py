"""Residents' satisfaction survey: the questionnaire as data, sample allocation by district,
stratified estimates with confidence intervals, and the verdict against the requirement.

The statistics (sample sizes, allocation, stratified estimates, intervals, the verdict) are in
:mod:`gardencity.inspection.survey_stats`.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gardencity.errors import DataError
from gardencity.inspection.survey_stats import (
    StratifiedEstimate,
    allocate_sample,
    effective_sample_size,
    sample_size_for_proportion,
    stratified_mean,
    stratified_proportion,
    verdict,
    wilson_interval,
)
from gardencity.messages import Catalogue, Listing, Message, load_yaml

MESSAGES = Catalogue(__package__)

__all__ = [
    "StratifiedEstimate",
    "Survey",
    "allocate_sample",
    "answer_problems",
    "effective_sample_size",
    "load_survey",
    "sample_size_for_proportion",
    "stratified_mean",
    "stratified_proportion",
    "survey_results",
    "validate_answers",
    "verdict",
    "wilson_interval",
]


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    kind: Literal["rating", "yes_no", "choice", "text"]
    text_zh: str
    text_en: str = ""
    scale: int = Field(default=5, ge=2, le=11)
    satisfied_min: int | None = None
    options: list[str] = Field(default_factory=list)
    # the options' English labels, one for each option (the answer stored is the option)
    options_en: list[str] = Field(default_factory=list)
    required: bool = True

    @model_validator(mode="after")
    def _options(self) -> Question:
        if self.kind == "choice" and not self.options:
            raise ValueError(f"choice question {self.id} needs options")
        if self.options_en and len(self.options_en) != len(self.options):
            raise ValueError(
                f"question {self.id}: options_en needs one label for each of the "
                f"{len(self.options)} options"
            )
        return self


class Requirement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question_id: str
    min_satisfied_pct: float = Field(ge=0, le=100)
    confidence: Literal["confirmed", "secondary", "unverified"] = "unverified"
    source: str = ""
    clause: str = ""
    clause_en: str = ""


class Survey(BaseModel):
    """A questionnaire: questions, the satisfaction requirement, optional strata populations."""

    model_config = ConfigDict(extra="forbid")
    id: str
    title_zh: str
    title_en: str = ""
    intro_zh: str = ""
    intro_en: str = ""
    questions: list[Question]
    satisfaction: Requirement
    strata: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Survey:
        ids = [q.id for q in self.questions]
        problems = []
        if len(set(ids)) != len(ids):
            problems.append("question ids repeat")
        by_id = {q.id: q for q in self.questions}
        target = by_id.get(self.satisfaction.question_id)
        if target is None:
            problems.append(f"satisfaction.question_id {self.satisfaction.question_id} unknown")
        elif target.kind not in ("rating", "yes_no"):
            problems.append("the satisfaction question must be a rating or yes_no question")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def question(self, question_id: str) -> Question:
        return {q.id: q for q in self.questions}[question_id]


def load_survey(path: str | Path | None = None) -> Survey:
    """The questionnaire from ``path`` (a city's survey.yaml) or the package default."""
    if path is None:
        text = (
            resources.files("gardencity.inspection.data").joinpath("survey.yaml").read_text("utf-8")
        )
    else:
        if not Path(path).is_file():
            raise DataError(MESSAGES.message("survey_file_missing", path=path))
        text = Path(path).read_text("utf-8")
    try:
        return Survey.model_validate(load_yaml(text))
    except ValidationError as exc:
        raise DataError(
            MESSAGES.message("survey_file_invalid", path=path or "survey.yaml", detail=exc)
        ) from exc


def validate_answers(survey: Survey, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers, cleaned; every problem is reported at once (DataError)."""
    clean, problems = answer_problems(survey, answers)
    if problems:
        listing = Listing(tuple(problems), ("；", "; "))
        raise DataError(MESSAGES.message("answers_problems", problems=listing))
    return clean


def answer_problems(
    survey: Survey, answers: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Message]]:
    """The answers that are valid, cleaned, and what is wrong with the others."""
    problems: list[Message] = []
    clean: dict[str, Any] = {}
    unknown = sorted(set(answers) - {q.id for q in survey.questions})
    if unknown:
        problems.append(MESSAGES.message("answers_unknown_questions", ids=unknown))
    for number, q in enumerate(survey.questions, start=1):
        value = answers.get(q.id)
        if value is None or value == "":
            if q.required:
                problems.append(MESSAGES.message("answer_required", n=number))
            continue
        if q.kind == "rating":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= q.scale:
                problems.append(MESSAGES.message("answer_rating", n=number, scale=q.scale))
                continue
        elif q.kind == "yes_no":
            if not isinstance(value, bool):
                problems.append(MESSAGES.message("answer_yes_no", n=number))
                continue
        elif q.kind == "choice":
            if value not in q.options:
                problems.append(
                    MESSAGES.message(
                        "answer_choice",
                        n=number,
                        options=Message.literal(
                            "、".join(q.options), ", ".join(q.options_en or q.options)
                        ),
                    )
                )
                continue
        elif not isinstance(value, str) or len(value) > 2000:
            problems.append(MESSAGES.message("answer_text", n=number))
            continue
        clean[q.id] = value
    return clean, problems


def survey_results(
    survey: Survey, responses: pd.DataFrame, *, confidence: float = 0.95
) -> dict[str, Any]:
    """Per question: satisfied share (rating, yes/no), mean (rating) or counts (choice), all
    stratified by ``responses["stratum"]``; and the verdict on the satisfaction requirement.

    ``responses`` has a ``stratum`` column and one column per question id.
    """
    populations = survey.strata or None
    results: dict[str, Any] = {"n": len(responses), "questions": {}}
    for q in survey.questions:
        if q.id not in responses or q.kind == "text":
            continue
        answered = responses[["stratum", q.id]].dropna()
        sizes = {str(k): int(v) for k, v in answered.groupby("stratum").size().items()}
        entry: dict[str, Any] = {
            "kind": q.kind,
            "text_zh": q.text_zh,
            "text_en": q.text_en or q.text_zh,
            "n": len(answered),
        }
        if q.options_en:
            entry["options_en"] = dict(zip(q.options, q.options_en, strict=True))
        if answered.empty:
            results["questions"][q.id] = entry
            continue
        if q.kind in ("rating", "yes_no"):
            if q.kind == "rating":
                good = answered[q.id].astype(float) >= (q.satisfied_min or q.scale)
            else:
                good = answered[q.id].astype(bool)
            hits = {str(k): int(v) for k, v in good.groupby(answered["stratum"]).sum().items()}
            share = stratified_proportion(hits, sizes, populations, confidence=confidence)
            entry["satisfied_pct"] = share.to_dict()
            if q.kind == "rating":
                grouped = answered.groupby("stratum")[q.id]
                per = {str(k): v.astype(float).tolist() for k, v in grouped}
                entry["mean"] = stratified_mean(per, populations, confidence=confidence).to_dict()
        else:
            entry["counts"] = answered[q.id].value_counts().reindex(q.options, fill_value=0)
            entry["counts"] = {k: int(v) for k, v in entry["counts"].items()}
        results["questions"][q.id] = entry
    requirement = survey.satisfaction
    main = results["questions"].get(requirement.question_id, {}).get("satisfied_pct")
    results["requirement"] = requirement.model_dump() | {
        "verdict": verdict(StratifiedEstimate(**main), requirement.min_satisfied_pct)
        if main
        else "no_data"
    }
    return results
