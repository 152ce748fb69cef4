"""The HTML pages (not in the OpenAPI schema; the data comes from the JSON API)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from gardencity.api.deps import SESSION_COOKIE, client_address, set_session_cookie
from gardencity.api.lang import LANG_COOKIE, request_lang
from gardencity.assessment.scorecard import SCORECARD_FILE, Scorecard
from gardencity.auth.permissions import PERMISSIONS
from gardencity.auth.sessions import log_in, revoke_token, user_for_token
from gardencity.auth.throttle import AccountLockedError
from gardencity.campaign.context import ServiceContext
from gardencity.db.engine import Database
from gardencity.errors import AuthenticationError, RateLimitedError
from gardencity.jobs.runs import latest_run, run_dir
from gardencity.patrols.config import load_patrol_config
from gardencity.settings import Settings
from gardencity.vocabulary import vocabulary
from gardencity.vocabulary.dates import local_time
from gardencity.web import page_data
from gardencity.web.cockpit import indicator_rows
from gardencity.web.i18n import messages
from gardencity.web.installable import THEME_COLOUR

__all__ = [
    "NAV",
    "PageUser",
    "json_for_html",
    "latest_run_id",
    "login_redirect",
    "page_user",
    "render",
    "router",
]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["theme_colour"] = THEME_COLOUR
STAFF = ("admin", "coordinator", "officer", "inspector", "leader")
# page -> (message key, roles that see it in the navigation)
NAV = {
    "map": ("nav_map", STAFF),
    "cockpit": ("nav_cockpit", ("admin", "coordinator", "inspector", "leader")),
    "brief": ("nav_brief", ("admin", "coordinator", "inspector", "leader")),
    "cases": ("nav_cases", STAFF),
    "patrol": ("nav_patrol", ("admin", "coordinator", "inspector", "officer")),
    "patrol-teams": ("nav_patrol_teams", ("admin", "coordinator")),
    "maintenance": ("nav_maintenance", ("admin", "coordinator", "inspector")),
    "maintenance-scores": ("nav_maintenance_scores", STAFF),
    "rankings": ("nav_rankings", STAFF),
    "targets": ("nav_targets", STAFF),
    "runs": ("nav_runs", STAFF),
    "ledger": ("nav_ledger", STAFF),
    "survey-results": ("nav_survey_results", ("admin", "coordinator", "leader")),
    "spot-checks": ("nav_spot_checks", STAFF),
    "benchmark": ("nav_benchmark", ("admin", "coordinator", "leader")),
    "notifications": ("nav_notifications", ("admin",)),
    "public": ("nav_public", (*STAFF, "resident", None)),
    "survey": ("nav_survey", ("resident", None)),
}


@dataclass(frozen=True)
class PageUser:
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None


def page_user(request: Request) -> PageUser | None:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    db: Database = request.app.state.db
    ctx: ServiceContext = request.app.state.ctx
    with db.session() as session:
        user = user_for_token(session, secret, ctx.now())
        if user is None:
            return None
        return PageUser(user.id, user.username, user.display_name, user.role, user.unit_id)


# characters that could end or change the <script> element, or a JavaScript string literal
_HTML_UNSAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def json_for_html(data: Any) -> str:
    r"""``data`` as JSON safe to embed in ``<script type="application/json">``: ``<``, ``>``,
    ``&`` and the line separators U+2028/9 are written as ``\uXXXX`` escapes, so no text
    (``</script>``, ``<!--<script>``) can end the element or change how it is parsed.

    >>> json_for_html({"name": "<!--<script>&"})
    '{"name": "\\u003c!--\\u003cscript\\u003e\\u0026"}'
    """
    return json.dumps(data, ensure_ascii=False).translate(_HTML_UNSAFE)


def render(request: Request, page: str, user: PageUser | None, **context: Any) -> HTMLResponse:
    lang = request_lang(request)
    t = messages(lang)
    settings: Settings = request.app.state.settings
    case_statuses = page_data.case_statuses(request, lang)
    nav = [
        (name, t[key])
        for name, (key, roles) in NAV.items()
        if (user.role if user else None) in roles
    ]
    given = {
        "lang": lang,
        "user": user.__dict__ if user else None,
        "t": t,
        "words": vocabulary().page_labels(lang),
        "case_statuses": case_statuses,
        **page_data.base_map(settings),
        "timezone": settings.timezone,
        **context.pop("data", {}),
    }
    response = templates.TemplateResponse(
        request,
        f"{page}.html",
        {
            "page": page,
            "lang": lang,
            "t": t,
            "user": user,
            "nav": nav,
            "city_name": settings.city(lang),
            "page_data": json_for_html(given),
            "case_statuses": case_statuses,
            "words": given["words"],
            "may": lambda permission: (
                user is not None and user.role in PERMISSIONS.get(permission, frozenset())
            ),
            **context,
        },
    )
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _staff_page(request: Request, page: str, **context: Any) -> Response:
    user = page_user(request)
    if user is None:
        return login_redirect(request)
    if user.role not in STAFF:
        return RedirectResponse("/public", status_code=303)
    return render(request, page, user, **context)


def latest_run_id(request: Request) -> int | None:
    """The newest succeeded assessment run's id (without reading its scorecard); None when
    there is none or the app has no workspace."""
    if request.app.state.settings.workspace is None:
        return None
    db: Database = request.app.state.db
    with db.session() as session:
        run = latest_run(session)
        return run.id if run else None


def _latest_scorecard(request: Request) -> tuple[Scorecard | None, int | None]:
    run_id = latest_run_id(request)
    if run_id is None:
        return None, None
    path = run_dir(request.app.state.settings.workspace, run_id) / SCORECARD_FILE
    return (Scorecard.read(path) if path.is_file() else None), run_id


@router.get("/")
def home(request: Request) -> Response:
    user = page_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    start = {"resident": "/public", "officer": "/cases", "leader": "/brief"}.get(
        user.role, "/cockpit"
    )
    if user.role == "inspector" and _works_in_the_field(request, user):
        start = "/patrol"  # 巡查员 of a district, street or community: straight to 巡查上报
    return RedirectResponse(start, status_code=303)


def _works_in_the_field(request: Request, user: PageUser) -> bool:
    """An inspector attached to a district or below patrols; the city's inspectors check."""
    from sqlalchemy import select

    from gardencity.auth.models import Unit

    if user.unit_id is None:
        return False
    db: Database = request.app.state.db
    with db.session() as session:
        kind = session.scalar(select(Unit.kind).where(Unit.id == user.unit_id))
    return kind in {"district", "street", "community"}


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login", None, next=next if next.startswith("/") else "/")


@router.post("/login")
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.db
    ctx: ServiceContext = request.app.state.ctx
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    try:
        with db.session() as session:
            _, secret = log_in(
                session,
                request.app.state.limiter,
                username,
                password,
                client=client_address(request),
                per_minute=settings.logins_per_minute,
                lifetime=timedelta(hours=settings.session_hours),
                now=ctx.now(),
            )
    except RateLimitedError as exc:
        key = "login_locked" if isinstance(exc, AccountLockedError) else "login_rate_limited"
        error = messages(request_lang(request))[key].format(seconds=exc.retry_after_s)
        page = render(request, "login", None, next=target, error=error, username=username)
        page.status_code = 429
        page.headers["Retry-After"] = str(exc.retry_after_s)
        return page
    except AuthenticationError:
        error = messages(request_lang(request))["login_failed"]
        page = render(request, "login", None, next=target, error=error, username=username)
        page.status_code = 401
        return page
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, secret, settings)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        db: Database = request.app.state.db
        with db.session() as session:
            revoke_token(session, secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/account")
def account_page(request: Request) -> Response:
    """Change the password; the user's log-ins and API tokens; Open311 keys (administrators)."""
    user = page_user(request)
    if user is None:
        return login_redirect(request)
    return render(
        request,
        "account",
        user,
        can_manage_keys=holds(user, "api_key.manage"),
        can_manage_users=holds(user, "user.manage"),
    )


def holds(user: PageUser | None, permission: str) -> bool:
    """Whether the page's user (none: not logged in) holds ``permission``."""
    return user is not None and user.role in {str(role) for role in PERMISSIONS[permission]}


@router.get("/cockpit")
def cockpit_page(request: Request) -> Response:
    user = page_user(request)
    if user is None:
        return login_redirect(request)
    scorecard, run_id = _latest_scorecard(request)
    lang = request_lang(request)
    rows = indicator_rows(scorecard, lang) if scorecard else []
    districts = (
        [{"id": d.id, "name": d.label(lang)} for d in scorecard.districts] if scorecard else []
    )
    chart = [
        {
            "id": r["id"],
            "name": r["name"],
            "value": r["value"],
            "threshold": r["threshold_value"],
            "status": r["status"],
        }
        for r in rows
    ]
    return _staff_page(
        request,
        "cockpit",
        rows=rows,
        districts=districts,
        scorecard=scorecard,
        run_id=run_id,
        generated=(
            local_time(scorecard.generated_at, lang, request.app.state.settings.timezone)
            if scorecard
            else ""
        ),
        data={
            "indicators": chart,
            "run_id": run_id,
            "metrics": page_data.metric_labels(request.app.state.ctx, lang),
        },
    )


@router.get("/cases")
def cases_page(request: Request) -> Response:
    ctx: ServiceContext = request.app.state.ctx
    return _staff_page(request, "cases", data=page_data.case_words(ctx, request))


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: int) -> Response:
    ctx: ServiceContext = request.app.state.ctx
    data = {
        "case_id": case_id,
        **page_data.case_words(ctx, request),
        **page_data.city_outline(request),
    }
    return _staff_page(request, "case", case_id=case_id, data=data)


@router.get("/patrol")
def patrol_page(request: Request) -> Response:
    ctx: ServiceContext = request.app.state.ctx
    settings: Settings = request.app.state.settings
    sampling = load_patrol_config(settings.campaign_config).model_dump(
        include={"sample_seconds", "sample_metres", "batch_size"}
    )
    data = {**page_data.city_outline(request), "patrol": sampling}
    return _staff_page(request, "patrol", categories=page_data.categories(ctx, request), data=data)


@router.get("/rankings")
def rankings_page(request: Request) -> Response:
    return _staff_page(request, "rankings")


@router.get("/targets")
def targets_page(request: Request) -> Response:
    ctx: ServiceContext = request.app.state.ctx
    lang = request_lang(request)
    metrics = page_data.metric_labels(ctx, lang)
    user = page_user(request)
    can_manage, can_report = holds(user, "target.manage"), holds(user, "target.report")
    year = ctx.now().astimezone(ZoneInfo(request.app.state.settings.timezone)).year
    return _staff_page(
        request,
        "targets",
        metrics=metrics,
        can_manage=can_manage,
        can_report=can_report,
        year=year,
        data={"metrics": metrics, "can_report": can_report},
    )


@router.get("/plan")
def plan_page() -> Response:
    """创建计划: the campaign's actions and targets live on the targets page."""
    return RedirectResponse("/targets", status_code=303)


@router.get("/runs")
def runs_page(request: Request) -> Response:
    scorecard, run_id = _latest_scorecard(request)
    lang = request_lang(request)
    names = {i.id: i.name(lang) for i in scorecard.indicators} if scorecard else {}
    data = {
        "run_id": run_id,
        "indicator_names": names,
        "status_labels": vocabulary().labels("statuses", lang),
    }
    return _staff_page(request, "runs", data=data)


@router.get("/public")
def public_page(request: Request) -> Response:
    ctx: ServiceContext = request.app.state.ctx
    categories = [c for c in page_data.categories(ctx, request) if c["public"]]
    return render(
        request,
        "public",
        page_user(request),
        categories=categories,
        data=page_data.city_outline(request),
    )


def refusal_page(lang: str) -> HTMLResponse:
    """What a page form from another site gets (the cross-site guard of api/security.py)."""
    t = messages(lang)
    return HTMLResponse(
        f'<!doctype html><html lang="{"en" if lang == "en" else "zh-CN"}"><head>'
        f'<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"><title>{t["refused_title"]}</title>'
        '<link rel="stylesheet" href="/static/vocabulary.css">'
        '<link rel="stylesheet" href="/static/web/app.css"></head><body><main>'
        f'<section class="card narrow"><h1>{t["refused_title"]}</h1>'
        f'<p>{t["refused_text"]}</p><p><a href="/">{t["refused_home"]}</a></p></section>'
        "</main></body></html>",
        status_code=403,
    )
