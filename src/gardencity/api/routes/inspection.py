"""Inspection preparation: the residents' satisfaction survey (public form + staff results)
and the evidence ledger (台账)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from gardencity.api.deps import Ctx, CurrentUser, DbSession, client_address
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.auth.permissions import authorize
from gardencity.inspection import survey_store
from gardencity.inspection.survey import Survey, load_survey
from gardencity.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["inspection"], responses=ERROR_RESPONSES)


def _survey(request: Request) -> Survey:
    survey: Survey | None = getattr(request.app.state, "survey", None)
    if survey is None:
        settings: Settings = request.app.state.settings
        survey = load_survey(settings.survey_config)
        request.app.state.survey = survey
    return survey


class QuestionOut(BaseModel):
    id: str
    kind: str
    text_zh: str
    text_en: str
    scale: int
    options: list[str]
    required: bool


class SurveyOut(BaseModel):
    id: str
    title_zh: str
    title_en: str
    intro_zh: str
    intro_en: str
    questions: list[QuestionOut]
    strata: dict[str, str] = Field(description="stratum (district) code → name")


class SurveyResponseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stratum: str = Field(min_length=1, max_length=64, description="the respondent's district code")
    answers: dict[str, bool | int | str | None] = Field(max_length=100)


class SurveyReceipt(BaseModel):
    id: int
    received: bool = True


@router.get("/public/survey", operation_id="get_survey", tags=["public"])
def get_survey(request: Request, session: DbSession) -> SurveyOut:
    """The questionnaire for the public form (no log-in)."""
    _public_limit(request, "read")
    survey = _survey(request)
    return SurveyOut(
        id=survey.id,
        title_zh=survey.title_zh,
        title_en=survey.title_en,
        intro_zh=survey.intro_zh,
        intro_en=survey.intro_en,
        questions=[QuestionOut.model_validate(q.model_dump()) for q in survey.questions],
        strata=survey_store.allowed_strata(session, survey),
    )


@router.post(
    "/public/survey/responses",
    operation_id="submit_survey_response",
    status_code=201,
    tags=["public"],
)
def submit_survey_response(
    request: Request, session: DbSession, ctx: Ctx, body: SurveyResponseIn
) -> SurveyReceipt:
    """Submit one anonymous response (rate limited per client address)."""
    _public_limit(request, "write")
    row = survey_store.submit_response(
        session, _survey(request), body.stratum, dict(body.answers), ctx.now()
    )
    session.commit()
    return SurveyReceipt(id=row.id)


@router.get("/survey/results", operation_id="survey_results")
def survey_results(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    confidence: Annotated[float, Query(ge=0.5, le=0.999)] = 0.95,
) -> dict[str, Any]:
    """Stratified results per question with confidence intervals, and the verdict on the
    satisfaction requirement (pass / fail / undecided)."""
    authorize(user, "survey.view")
    return survey_store.results(session, _survey(request), confidence=confidence)


@router.get("/survey/allocation", operation_id="survey_allocation")
def survey_allocation(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    total: Annotated[int, Query(ge=1, le=1_000_000)] = 400,
    method: Literal["proportional", "equal"] = "proportional",
) -> dict[str, int]:
    """How many responses to collect in each district for ``total`` responses."""
    authorize(user, "survey.view")
    return survey_store.allocation(session, _survey(request), total, method)


def _public_limit(request: Request, kind: str) -> None:
    settings: Settings = request.app.state.settings
    per_minute = (
        settings.public_writes_per_minute if kind == "write" else settings.public_reads_per_minute
    )
    request.app.state.limiter.check(f"public-{kind}", client_address(request), per_minute)
