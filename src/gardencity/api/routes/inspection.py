"""Inspection preparation: the residents' satisfaction survey (public form + staff results)
and the evidence ledger (台账)."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from gardencity.api.deps import Ctx, CurrentUser, DbSession, Lang, PathId, client_address
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.auth.permissions import authorize
from gardencity.inspection import ledger_export, ledger_store, survey_store
from gardencity.inspection.ledger_store import LedgerDocIn, LedgerDocPatch
from gardencity.inspection.spot_checks import (
    chance_sample_hits_problem,
    largest_tolerable_problem_count,
)
from gardencity.inspection.survey import Survey, load_survey
from gardencity.settings import Settings
from gardencity.text import CleanInput

router = APIRouter(prefix="/api/v1", tags=["inspection"], responses=ERROR_RESPONSES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    options_en: list[str] = []  # the options' English labels (the answer is the option)
    required: bool


class SurveyOut(BaseModel):
    id: str
    title_zh: str
    title_en: str
    intro_zh: str
    intro_en: str
    questions: list[QuestionOut]
    strata: dict[str, str] = Field(description="stratum (district) code → name")


class SurveyResponseIn(CleanInput):
    model_config = ConfigDict(extra="forbid")
    stratum: str = Field(min_length=1, max_length=64, description="the respondent's district code")
    answers: dict[str, bool | int | str | None] = Field(max_length=100)


class SurveyReceipt(BaseModel):
    id: int
    received: bool = True


@router.get("/public/survey", operation_id="get_survey", tags=["public"])
def get_survey(request: Request, session: DbSession, lang: Lang) -> SurveyOut:
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
        strata=survey_store.allowed_strata(session, survey, lang),
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
    lang: Lang,
    confidence: Annotated[float, Query(ge=0.5, le=0.999)] = 0.95,
) -> dict[str, Any]:
    """Stratified results per question with confidence intervals, and the verdict on the
    satisfaction requirement (pass / fail / undecided)."""
    authorize(user, "survey.view")
    return survey_store.results(session, _survey(request), confidence=confidence, lang=lang)


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


# --- the evidence ledger (台账) ------------------------------------------------------------


class LedgerDocOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    item_id: str
    title: str
    kind: str
    owner_unit_id: int | None
    due_at: datetime | None
    status: str
    file_sha256: str | None
    filename: str | None
    note: str | None
    case_id: int | None
    run_id: int | None = None
    updated_at: datetime


def chosen_standard(request: Request) -> str:
    """The catalogue the ledger and the benchmarking follow (setting ``standard``)."""
    settings: Settings = request.app.state.settings
    return settings.standard


@router.get("/ledger", operation_id="list_ledger_documents")
def list_ledger_documents(session: DbSession, user: CurrentUser) -> list[LedgerDocOut]:
    """Every registered ledger document."""
    return [LedgerDocOut.model_validate(d) for d in ledger_store.list_documents(session, user)]


@router.post("/ledger", operation_id="create_ledger_document", status_code=201)
def create_ledger_document(
    request: Request, session: DbSession, ctx: Ctx, user: CurrentUser, body: LedgerDocIn
) -> LedgerDocOut:
    """Register a document under an item of the standard (upload the file first with
    ``POST /api/v1/evidence`` and give its ``file_sha256``)."""
    doc = ledger_store.add_document(session, ctx, user, body, chosen_standard(request))
    session.commit()
    return LedgerDocOut.model_validate(doc)


@router.patch("/ledger/{doc_id}", operation_id="update_ledger_document")
def update_ledger_document(
    session: DbSession, ctx: Ctx, user: CurrentUser, doc_id: PathId, body: LedgerDocPatch
) -> LedgerDocOut:
    """Change a document's status, owner, due date or file."""
    doc = ledger_store.update_document(session, ctx, user, doc_id, body)
    session.commit()
    return LedgerDocOut.model_validate(doc)


@router.get("/ledger/completeness", operation_id="ledger_completeness")
def ledger_completeness(
    request: Request, session: DbSession, ctx: Ctx, user: CurrentUser, lang: Lang
) -> dict[str, Any]:
    """Completeness per item (in catalogue order) and per responsible unit (its name in the
    reader's language)."""
    return ledger_store.completeness(session, ctx, user, chosen_standard(request), lang)


@router.post("/ledger/missing-cases", operation_id="file_ledger_cases", status_code=201)
def file_ledger_cases(
    request: Request, session: DbSession, ctx: Ctx, user: CurrentUser
) -> list[dict[str, Any]]:
    """File a case for every incomplete item that has no open ledger case yet."""
    cases = ledger_store.file_missing_cases(session, ctx, user, chosen_standard(request))
    session.commit()
    return [{"id": c.id, "reference": c.reference, "item_id": c.indicator_id} for c in cases]


@router.get(
    "/ledger/index.xlsx",
    operation_id="export_ledger_index",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def export_ledger_index(
    request: Request, session: DbSession, ctx: Ctx, user: CurrentUser
) -> Response:
    """The index workbook of the ledger, items in catalogue order."""
    authorize(user, "ledger.view")
    settings: Settings = request.app.state.settings
    with tempfile.TemporaryDirectory() as tmp:
        index = ledger_export.export_ledger(
            session,
            ctx,
            chosen_standard(request),
            Path(tmp) / "ledger",
            city=settings.city_name,
            workspace=settings.workspace,
        )
        content = index.read_bytes()
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": "attachment; filename*=UTF-8''ledger-index.xlsx"},
    )


# --- spot-check rehearsal (pure calculations for the pages) ---------------------------------


class HitChanceOut(BaseModel):
    population: int
    problems: int
    sample: int
    chance: float = Field(description="chance (0–1) that the sample contains a problem site")
    tolerable_problems: int = Field(
        description="most problem sites for which the chance stays at or below max_chance"
    )


@router.get("/spot-checks/hit-chance", operation_id="spot_check_hit_chance")
def spot_check_hit_chance(
    user: CurrentUser,
    population: Annotated[int, Query(ge=1, le=100_000)],
    problems: Annotated[int, Query(ge=0, le=100_000)],
    sample: Annotated[int, Query(ge=0, le=100_000)],
    max_chance: Annotated[float, Query(ge=0, le=1)] = 0.1,
) -> HitChanceOut:
    """The chance that the experts, visiting ``sample`` of ``population`` sites at random,
    meet at least one of the ``problems`` sites with an unresolved problem (hypergeometric)."""
    authorize(user, "ranking.view")
    chance = chance_sample_hits_problem(population, problems, sample)
    tolerable = largest_tolerable_problem_count(population, sample, max_chance)
    return HitChanceOut(
        population=population,
        problems=problems,
        sample=sample,
        chance=chance,
        tolerable_problems=tolerable,
    )
