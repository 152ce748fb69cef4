"""The inspection pages: the residents' survey form (public), its results, the evidence
ledger (台账), the spot-check rehearsal and peer benchmarking (data from the JSON API)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gardencity.api.lang import request_lang
from gardencity.campaign.context import ServiceContext
from gardencity.db.engine import Database
from gardencity.inspection.generated_evidence import load_evidence_map
from gardencity.inspection.leader_brief import leader_brief, words
from gardencity.inspection.ledger import DOCUMENT_KINDS, GENERATED_KIND, STATUS_NAMES, STATUSES
from gardencity.inspection.ledger_export import NO_MATERIAL
from gardencity.jobs.runs import latest_scorecard
from gardencity.settings import Settings
from gardencity.standards import load_standard
from gardencity.vocabulary import vocabulary
from gardencity.vocabulary.dates import local_date
from gardencity.web.i18n import messages
from gardencity.web.pages import holds, login_redirect, page_user, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _permitted_page(request: Request, page: str, permission: str, **context: Any) -> Response:
    user = page_user(request)
    if user is None:
        return login_redirect(request)
    if not holds(user, permission):
        return RedirectResponse("/", status_code=303)
    return render(request, page, user, **context)


@router.get("/survey")
def survey_page(request: Request) -> Response:
    return render(request, "survey", page_user(request))


@router.get("/survey-results")
def survey_results_page(request: Request) -> Response:
    return _permitted_page(request, "survey-results", "survey.view")


@router.get("/ledger")
def ledger_page(request: Request) -> Response:
    user = page_user(request)
    t = messages(request_lang(request))
    can_manage = holds(user, "ledger.manage")
    lang = request_lang(request)
    settings: Settings = request.app.state.settings
    outputs = load_evidence_map(settings.workspace).values()
    return _permitted_page(
        request,
        "ledger",
        "ledger.view",
        can_manage=can_manage,
        statuses={code: t[f"ledger_status_{code}"] for code in STATUSES},
        # generated evidence is registered by the platform, never entered by hand
        kinds={code: t[f"ledger_kind_{code}"] for code in DOCUMENT_KINDS if code != GENERATED_KIND},
        data={
            "can_manage": can_manage,
            # the platform's outputs are shown as reference material, never set by hand
            "statuses": {code: t[f"ledger_status_{code}"] for code in STATUS_NAMES},
            "kinds": {code: t[f"ledger_kind_{code}"] for code in DOCUMENT_KINDS},
            # the platform's outputs by file name, and an item with no material, in the
            # page's language (the rows keep the ledger's Chinese titles)
            "generated_titles": {
                o.file: o.title_en if lang == "en" and o.title_en else o.title_zh for o in outputs
            },
            "no_material": NO_MATERIAL,
        },
    )


@router.get("/brief")
def brief_page(request: Request) -> Response:
    """领导简报: what falls short, by how much, what to do first, who answers for it."""
    user = page_user(request)
    if user is None:
        return login_redirect(request)
    if not holds(user, "brief.view"):
        return RedirectResponse("/", status_code=303)
    lang = request_lang(request)
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.db
    ctx: ServiceContext = request.app.state.ctx
    brief = None
    with db.session() as session:
        run_id, scorecard = (
            latest_scorecard(session, settings.workspace) if settings.workspace else (None, None)
        )
        if scorecard is not None:
            brief = leader_brief(
                session, ctx, scorecard, lang=lang, run_id=run_id, tz=settings.timezone
            )
    return render(
        request,
        "brief",
        user,
        brief=brief,
        w=words(lang),
        numbers=words(lang)["numbers"],
        today=local_date(ctx.now(), lang, settings.timezone),
    )


@router.get("/spot-checks")
def spot_checks_page(request: Request) -> Response:
    return _permitted_page(request, "spot-checks", "ranking.view")


@router.get("/benchmark")
def benchmark_page(request: Request) -> Response:
    user = page_user(request)
    lang = request_lang(request)
    can_manage = holds(user, "benchmark.manage")
    settings: Settings = request.app.state.settings
    standard = load_standard(settings.standard)
    words = vocabulary()
    bracket = "（{}）" if lang == "zh" else " ({})"
    indicators = {  # the measured indicators: management items have no figures to compare
        spec.id: (spec.name_zh if lang == "zh" else spec.name_en)
        + (bracket.format(words.label("units", spec.unit, lang)) if spec.unit else "")
        for spec in standard.indicators
        if spec.measure != "management_item"
    }
    return _permitted_page(
        request,
        "benchmark",
        "benchmark.view",
        can_manage=can_manage,
        indicators=indicators,
        data={"can_manage": can_manage, "indicators": indicators},
    )
