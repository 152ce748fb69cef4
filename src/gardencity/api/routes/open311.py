"""Open311 GeoReport v2 (``/open311/v2``), feeding and reading the same cases.

Endpoints: ``services``, ``services/{code}``, ``requests`` (GET, POST with ``api_key``),
``requests/{id}``, ``tokens/{token}``, each as ``.json`` or ``.xml``, and ``media/{id}``.
Extensions: ``page`` and ``page_size`` on the request list; ``extensions=true`` adds the
public update history (``updates``) and the city's status label; a POST may carry a photo
as the multipart file ``media``. Reporters' names, e-mails and phones, staff names, internal
notes and door numbers are never returned (:mod:`gardencity.campaign.privacy`); absolute
URLs start with ``Settings.public_base_url``. Errors use the Open311 shape, not the rest of
the API's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from gardencity.api.deps import Ctx, DbSession, client_address
from gardencity.api.errors import OPEN311_ERROR_RESPONSES
from gardencity.api.lang import request_lang
from gardencity.api.open311_format import open311_error, open311_response, w3c
from gardencity.api.open311_input import ListQuery, list_query, parse_new_request
from gardencity.api.public_cache import PublicCache
from gardencity.auth.sessions import valid_api_key
from gardencity.auth.unit_names import unit_labels
from gardencity.campaign import lookup, media, service
from gardencity.campaign.media import PublicPhoto
from gardencity.campaign.models import Case, CaseEvent
from gardencity.campaign.privacy import public_address, public_events, public_note
from gardencity.campaign.schemas import CaseIn
from gardencity.campaign.states import OPEN311_STATUS, CaseStatus
from gardencity.errors import (
    CampaignError,
    GardenCityError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)
from gardencity.messages import Catalogue
from gardencity.settings import Settings

MESSAGES = Catalogue(__package__)

router = APIRouter(prefix="/open311/v2", tags=["open311"], responses=OPEN311_ERROR_RESPONSES)
FORMATS = {"json", "xml"}


def _guard(request: Request, fmt: str, bucket: str, run: Callable[[], Response]) -> Response:
    """Format check, rate limit, and Open311-shaped errors for one call."""
    if fmt not in FORMATS:
        lang = request_lang(request, accept_header=True)
        return open311_error("json", 404, MESSAGES.text("open311.bad_format", lang))
    settings: Settings = request.app.state.settings
    limit = (
        settings.public_writes_per_minute if bucket == "write" else settings.public_reads_per_minute
    )
    lang = request_lang(request, accept_header=True)
    try:
        request.app.state.limiter.check(f"open311-{bucket}", client_address(request), limit)
        return run()
    except RateLimitedError as exc:
        retry = {"Retry-After": str(exc.retry_after_s)}
        return open311_error(fmt, 429, exc.text(lang), retry)
    except CampaignError as exc:
        status = 400 if exc.status == 422 else exc.status
        return open311_error(fmt, status, exc.text(lang))
    except GardenCityError as exc:
        return open311_error(fmt, 400, exc.text(lang))


def public_base(request: Request) -> tuple[str, bool]:
    """The base of absolute URLs (ends with "/") and whether it came from the request
    (then it is part of the cache key: no answer depends on a header it is not keyed on)."""
    settings: Settings = request.app.state.settings
    if settings.public_base_url:
        return settings.public_base_url, False
    return str(request.base_url), True


def _cached(request: Request, run: Callable[[], Response], lang: str) -> Response:
    cache: PublicCache = request.app.state.public_cache
    base, from_request = public_base(request)
    return cache.respond(request, run, base_url=base if from_request else None, lang=lang)


def _service(ctx: Ctx, code: str, lang: str) -> dict[str, Any]:
    c = ctx.config.categories[code]
    return {
        "service_code": c.code,
        "service_name": lookup.category_label(ctx.config, code, lang),
        "description": f"{c.name_en}. {c.description}".strip(),
        "metadata": False,
        "type": "realtime",
        "keywords": f"{c.name_zh},{c.name_en.lower()},{c.kind}",  # comma-separated (spec)
        "group": c.group,
    }


def _public_codes(ctx: Ctx) -> list[str]:
    return [code for code, c in ctx.config.categories.items() if c.public]


@dataclass
class _History:
    """What the public may see of a case's history: public events and public photos."""

    events: list[Any] = field(default_factory=list)
    photos: list[PublicPhoto] = field(default_factory=list)


def _histories(session: DbSession, ctx: Ctx, case_ids: list[int]) -> dict[int, _History]:
    """Public events (oldest first) and public photos of each case, in two queries."""
    found: dict[int, _History] = {i: _History() for i in case_ids}
    if not case_ids:
        return found
    events = session.execute(
        select(
            CaseEvent.case_id,
            CaseEvent.id,
            CaseEvent.action,
            CaseEvent.from_status,
            CaseEvent.to_status,
            CaseEvent.at,
            CaseEvent.reason,
            CaseEvent.public,
        )
        .where(CaseEvent.case_id.in_(case_ids))
        .order_by(CaseEvent.case_id, CaseEvent.id)
    ).all()
    for event in public_events(events):
        found[event.case_id].events.append(event)
    for case_id, photos in media.public_photos(session, case_ids, _public_codes(ctx)).items():
        found[case_id].photos = photos
    return found


def request_view(
    case: Any,
    ctx: Ctx,
    base_url: str,
    units: dict[int, str],
    history: _History,
    *,
    extensions: bool = False,
    lang: str = "zh",
) -> dict[str, Any]:
    """One case as an Open311 service request (no personal data, no staff names); its
    service name, agency and status labels in ``lang``."""
    notes = next((public_note(e) for e in reversed(history.events) if public_note(e)), None)
    view: dict[str, Any] = {
        "service_request_id": case.reference,
        "status": OPEN311_STATUS[CaseStatus(case.status)],
        "status_notes": notes,
        "service_name": lookup.category_label(ctx.config, case.category, lang),
        "service_code": case.category,
        "description": case.description,
        "agency_responsible": units.get(case.unit_id) if case.unit_id else None,
        "service_notice": None,
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(case.deadline_at),
        "address": public_address(case.address),
        "address_id": None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": (
            f"{base_url}open311/v2/media/{history.photos[0].public_id}" if history.photos else None
        ),
    }
    if extensions:
        view["status_label"] = lookup.status_label(ctx.config, case.status, lang)
        view["updates"] = [
            {
                "update_id": e.id,
                "action": e.action,
                "status": OPEN311_STATUS[CaseStatus(e.to_status)],
                "status_label": lookup.status_label(ctx.config, e.to_status, lang),
                "updated_datetime": w3c(e.at),
                "status_notes": public_note(e),
            }
            for e in history.events
        ]
    return view


def _units(session: DbSession, cases: Sequence[Any], lang: str) -> dict[int, str]:
    """Names in ``lang`` of the units responsible for ``cases``."""
    ids = sorted({c.unit_id for c in cases if c.unit_id is not None})
    if not ids:
        return {}
    return unit_labels(session, lang, ids)


@router.get("/services.{fmt}", operation_id="open311_list_services")
def list_services(request: Request, ctx: Ctx, fmt: str) -> Response:
    """Service types residents can report (the public categories), named in the request's
    language (``Accept-Language``; Chinese by default)."""
    lang = request_lang(request, accept_header=True)
    return _guard(
        request,
        fmt,
        "read",
        lambda: open311_response(
            fmt, [_service(ctx, c, lang) for c in _public_codes(ctx)], "services", "service"
        ),
    )


@router.get("/services/{service_code}.{fmt}", operation_id="open311_get_service_definition")
def service_definition(request: Request, ctx: Ctx, service_code: str, fmt: str) -> Response:
    def run() -> Response:
        if service_code not in _public_codes(ctx):
            raise NotFoundError(MESSAGES.message("open311.unknown_service", code=service_code))
        return open311_response(
            fmt, {"service_code": service_code, "attributes": []}, "service_definition", ""
        )

    return _guard(request, fmt, "read", run)


@router.post("/requests.{fmt}", operation_id="open311_create_request")
async def create_request(request: Request, session: DbSession, ctx: Ctx, fmt: str) -> Response:
    """Create a service request (form-encoded per the spec, multipart with a photo as the file
    ``media``, or JSON); ``api_key`` required."""
    content_type = request.headers.get("content-type", "")
    photo: tuple[bytes, str | None, str | None] | None = None
    try:
        if content_type.startswith("application/json"):
            raw = await request.json()
            form = raw if isinstance(raw, dict) else {}
        else:
            async with request.form() as parsed:
                form = dict(parsed)
                upload = form.pop("media", None)
                if isinstance(upload, UploadFile):
                    content = await upload.read(ctx.files.max_bytes + 1)
                    photo = (content, upload.filename, upload.content_type)
    except Exception:
        lang = request_lang(request, accept_header=True)
        return open311_error(fmt, 400, MESSAGES.text("open311.body_unreadable", lang))
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str | int | float)}

    def run() -> Response:
        key = valid_api_key(session, fields.get("api_key"))
        if key is None:
            raise PermissionDeniedError(MESSAGES.message("open311.bad_api_key"))
        code = fields.get("service_code", "")
        if code not in _public_codes(ctx):
            raise InvalidRequestError(MESSAGES.message("open311.service_missing", code=code))
        data = parse_new_request(fields)
        # the photo is checked and cleaned before the case is filed (no write waits for it)
        checked = ctx.files.check(photo[0], declared_type=photo[2]) if photo and photo[0] else None
        name = " ".join(p for p in (data.first_name, data.last_name) if p)
        body = CaseIn(
            category=code,
            description=data.description,
            source="resident",
            lon=data.long,
            lat=data.lat,
            address=data.address_string or None,
            reporter_name=name[:200] or None,
            reporter_email=data.email or None,
            reporter_phone=data.phone or None,
        )
        case = service.file_case(session, ctx, None, body, public_reporter=key.name)
        if checked is not None and photo is not None:
            media.report_photo(
                session, ctx, case, checked, filename=photo[1], declared_type=photo[2]
            )
        session.commit()
        lang = request_lang(request, accept_header=True)
        notice = MESSAGES.text("open311_received", lang, reference=case.reference)
        return open311_response(
            fmt,
            [
                {
                    "service_request_id": case.reference,
                    "token": case.token,
                    "service_notice": notice,
                    "account_id": None,
                }
            ],
            "service_requests",
            "request",
            status=201,
        )

    # the body is read above, on the event loop; the database work runs in the thread pool
    return await run_in_threadpool(_guard, request, fmt, "write", run)


def _visible() -> Any:
    """The columns a service request shows (plain rows: no ORM objects to build)."""
    return select(
        Case.id,
        Case.reference,
        Case.status,
        Case.category,
        Case.description,
        Case.unit_id,
        Case.created_at,
        Case.updated_at,
        Case.deadline_at,
        Case.address,
        Case.lat,
        Case.lon,
    )


def _listed(ctx: Ctx, query: ListQuery) -> Any:
    selected = _visible().where(Case.category.in_(_public_codes(ctx)))
    if query.ids:
        return selected.where(Case.reference.in_(query.ids))  # overrides the other filters
    if query.start is not None:
        selected = selected.where(Case.created_at >= query.start)
    if query.end is not None:
        selected = selected.where(Case.created_at <= query.end)
    if query.service_codes:
        selected = selected.where(Case.category.in_(query.service_codes))
    if query.statuses:
        states = [s.value for s in CaseStatus if OPEN311_STATUS[s] in query.statuses]
        selected = selected.where(Case.status.in_(states))
    return selected


@router.get("/requests.{fmt}", operation_id="open311_list_requests")
def list_requests(request: Request, session: DbSession, ctx: Ctx, fmt: str) -> Response:
    """Service requests, newest first; by default those of the last 90 days, at most 1000
    per page; a date span is at most 90 days. Names and labels in the request's language
    (``Accept-Language``; Chinese by default)."""
    lang = request_lang(request, accept_header=True)

    def run() -> Response:
        query = list_query(request.query_params, ctx.now())
        cases = session.execute(
            _listed(ctx, query)
            .order_by(Case.created_at.desc(), Case.id.desc())
            .offset((query.page - 1) * query.page_size)
            .limit(query.page_size)
        ).all()
        units = _units(session, cases, lang)
        histories = _histories(session, ctx, [c.id for c in cases])
        base, _ = public_base(request)
        payload = [
            request_view(
                c, ctx, base, units, histories[c.id], extensions=query.extensions, lang=lang
            )
            for c in cases
        ]
        return open311_response(fmt, payload, "service_requests", "request")

    return _guard(request, fmt, "read", lambda: _cached(request, run, lang))


@router.get("/requests/{service_request_id}.{fmt}", operation_id="open311_get_request")
def get_request(
    request: Request, session: DbSession, ctx: Ctx, service_request_id: str, fmt: str
) -> Response:
    lang = request_lang(request, accept_header=True)

    def run() -> Response:
        case = session.execute(
            _visible().where(
                Case.reference == service_request_id, Case.category.in_(_public_codes(ctx))
            )
        ).one_or_none()
        if case is None:
            raise NotFoundError(
                MESSAGES.message("open311.no_request", reference=service_request_id)
            )
        extensions = request.query_params.get("extensions", "").lower() == "true"
        view = request_view(
            case,
            ctx,
            public_base(request)[0],
            _units(session, [case], lang),
            _histories(session, ctx, [case.id])[case.id],
            extensions=extensions,
            lang=lang,
        )
        return open311_response(fmt, [view], "service_requests", "request")

    return _guard(request, fmt, "read", lambda: _cached(request, run, lang))


@router.get("/tokens/{token}.{fmt}", operation_id="open311_get_token")
def get_token(request: Request, session: DbSession, token: str, fmt: str) -> Response:
    def run() -> Response:
        reference = session.scalar(select(Case.reference).where(Case.token == token))
        if reference is None:
            raise NotFoundError(MESSAGES.message("open311.unknown_token"))
        return open311_response(
            fmt, [{"service_request_id": reference, "token": token}], "service_requests", "request"
        )

    return _guard(request, fmt, "read", run)


@router.get(
    "/media/{public_id}",
    operation_id="open311_get_media",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
def get_media(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    public_id: Annotated[str, Path(min_length=16, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")],
) -> Response:
    """A photo the public view of a case shows (without metadata), by its public id."""

    def run() -> Response:
        content, media_type = media.public_photo(session, ctx, public_id, _public_codes(ctx))
        return Response(
            content,
            media_type=media_type,
            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=3600"},
        )

    return _guard(request, "json", "read", run)
