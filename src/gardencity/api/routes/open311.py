"""Open311 GeoReport v2 (``/open311/v2``), feeding and reading the same cases.

Endpoints: ``services``, ``services/{code}``, ``requests`` (GET, POST with ``api_key``),
``requests/{id}``, ``tokens/{token}``, each as ``.json`` or ``.xml``. Extensions: ``page``
and ``page_size`` on the request list; ``extensions=true`` adds the public update history
(``updates``) and the city's status label. Reporters' names, e-mails and phones and staff
names are never returned. Errors use the Open311 shape, not the rest of the API's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from gardencity.api.deps import Ctx, DbSession, PathId, client_address
from gardencity.api.open311_format import open311_error, open311_response, w3c
from gardencity.api.public_cache import PublicCache
from gardencity.auth.models import Unit
from gardencity.auth.sessions import valid_api_key
from gardencity.campaign import lookup, service
from gardencity.campaign.models import Attachment, Case, CaseEvent
from gardencity.campaign.schemas import CaseIn
from gardencity.campaign.states import OPEN311_STATUS, CaseStatus
from gardencity.errors import (
    CampaignError,
    GardenCityError,
    InvalidRequestError,
    RateLimitedError,
)
from gardencity.settings import Settings

router = APIRouter(prefix="/open311/v2", tags=["open311"])
FORMATS = {"json", "xml"}
PHOTO_ROLES = {"before", "after"}


def _guard(request: Request, fmt: str, bucket: str, run: Callable[[], Response]) -> Response:
    """Format check, rate limit, and Open311-shaped errors for one call."""
    if fmt not in FORMATS:
        return open311_error("json", 404, "format must be .json or .xml")
    settings: Settings = request.app.state.settings
    limit = (
        settings.public_writes_per_minute if bucket == "write" else settings.public_reads_per_minute
    )
    try:
        request.app.state.limiter.check(f"open311-{bucket}", client_address(request), limit)
        return run()
    except RateLimitedError as exc:
        return open311_error(fmt, 429, str(exc), {"Retry-After": str(exc.retry_after_s)})
    except CampaignError as exc:
        status = 400 if exc.status == 422 else exc.status
        return open311_error(fmt, status, str(exc))
    except GardenCityError as exc:
        return open311_error(fmt, 400, str(exc))


def _cached(request: Request, run: Callable[[], Response]) -> Response:
    cache: PublicCache = request.app.state.public_cache
    return cache.respond(request, run)


def _service(ctx: Ctx, code: str) -> dict[str, Any]:
    c = ctx.config.categories[code]
    return {
        "service_code": c.code,
        "service_name": c.name_zh,
        "description": f"{c.name_en}. {c.description}".strip(),
        "metadata": False,
        "type": "realtime",
        "keywords": [c.name_en.lower(), c.kind],
        "group": c.group,
    }


def _public_codes(ctx: Ctx) -> list[str]:
    return [code for code, c in ctx.config.categories.items() if c.public]


@dataclass
class _History:
    """What the public may see of a case's history: public events and the first photo."""

    events: list[Any] = field(default_factory=list)
    photo_id: int | None = None


def _histories(session: DbSession, case_ids: list[int]) -> dict[int, _History]:
    """Public events (oldest first) and the first 'before' photo of each case, in two queries."""
    found: dict[int, _History] = {i: _History() for i in case_ids}
    if not case_ids:
        return found
    events = session.execute(
        select(
            CaseEvent.case_id,
            CaseEvent.id,
            CaseEvent.action,
            CaseEvent.to_status,
            CaseEvent.at,
            CaseEvent.reason,
        )
        .where(CaseEvent.case_id.in_(case_ids), CaseEvent.public.is_(True))
        .order_by(CaseEvent.case_id, CaseEvent.id)
    ).all()
    for event in events:
        found[event.case_id].events.append(event)
    photos = session.execute(
        select(Attachment.case_id, func.min(Attachment.id))
        .where(Attachment.case_id.in_(case_ids), Attachment.role == "before")
        .group_by(Attachment.case_id)
    ).all()
    for case_id, photo_id in photos:
        if case_id is not None:
            found[case_id].photo_id = photo_id
    return found


def request_view(
    case: Any,
    ctx: Ctx,
    base_url: str,
    units: dict[int, str],
    history: _History,
    *,
    extensions: bool = False,
) -> dict[str, Any]:
    """One case as an Open311 service request (no personal data, no staff names)."""
    public_events = history.events
    notes = next((e.reason for e in reversed(public_events) if e.reason), None)
    category = ctx.config.categories.get(case.category)
    view: dict[str, Any] = {
        "service_request_id": case.reference,
        "status": OPEN311_STATUS[CaseStatus(case.status)],
        "status_notes": notes,
        "service_name": category.name_zh if category else case.category,
        "service_code": case.category,
        "description": case.description,
        "agency_responsible": units.get(case.unit_id) if case.unit_id else None,
        "service_notice": None,
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(case.deadline_at),
        "address": case.address,
        "address_id": None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": (
            f"{base_url}open311/v2/media/{history.photo_id}" if history.photo_id else None
        ),
    }
    if extensions:
        view["status_label"] = lookup.status_label(ctx.config, case.status)
        view["updates"] = [
            {
                "update_id": e.id,
                "action": e.action,
                "status": OPEN311_STATUS[CaseStatus(e.to_status)],
                "status_label": lookup.status_label(ctx.config, e.to_status),
                "updated_datetime": w3c(e.at),
                "status_notes": e.reason,
            }
            for e in public_events
        ]
    return view


def _units(session: DbSession, cases: Sequence[Any]) -> dict[int, str]:
    """Names of the units responsible for ``cases``."""
    ids = sorted({c.unit_id for c in cases if c.unit_id is not None})
    if not ids:
        return {}
    return dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())


@router.get("/services.{fmt}", operation_id="open311_list_services")
def list_services(request: Request, ctx: Ctx, fmt: str) -> Response:
    """Service types residents can report (the public categories)."""
    return _guard(
        request,
        fmt,
        "read",
        lambda: open311_response(
            fmt, [_service(ctx, c) for c in _public_codes(ctx)], "services", "service"
        ),
    )


@router.get("/services/{service_code}.{fmt}", operation_id="open311_get_service_definition")
def service_definition(request: Request, ctx: Ctx, service_code: str, fmt: str) -> Response:
    def run() -> Response:
        if service_code not in _public_codes(ctx):
            return open311_error(fmt, 404, f"unknown service_code '{service_code}'")
        return open311_response(
            fmt, {"service_code": service_code, "attributes": []}, "service_definition", ""
        )

    return _guard(request, fmt, "read", run)


@router.post("/requests.{fmt}", operation_id="open311_create_request")
async def create_request(request: Request, session: DbSession, ctx: Ctx, fmt: str) -> Response:
    """Create a service request (form-encoded per the spec, or JSON); ``api_key`` required."""
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("application/json"):
            raw = await request.json()
            form = raw if isinstance(raw, dict) else {}
        else:
            form = dict(await request.form())
    except Exception:
        return open311_error(fmt, 400, "the body must be form-encoded or a JSON object")
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str | int | float)}

    def run() -> Response:
        key = valid_api_key(session, fields.get("api_key"))
        if key is None:
            return open311_error(fmt, 403, "api_key missing or invalid: ask the city for a key")
        code = fields.get("service_code", "")
        if code not in _public_codes(ctx):
            return open311_error(fmt, 400, f"service_code missing or unknown: '{code}'")
        try:
            lat, lon = float(fields["lat"]), float(fields["long"])
        except (KeyError, ValueError):
            return open311_error(
                fmt, 400, "lat and long (WGS 84) are required; address_string alone is not enough"
            )
        name = " ".join(p for p in (fields.get("first_name"), fields.get("last_name")) if p)
        body = CaseIn(
            category=code,
            description=fields.get("description", "")[:5000],
            source="resident",
            lon=lon,
            lat=lat,
            address=fields.get("address_string", "")[:300] or None,
            reporter_name=name[:200] or None,
            reporter_email=fields.get("email", "")[:200] or None,
            reporter_phone=fields.get("phone", "")[:40] or None,
        )
        case = service.file_case(session, ctx, None, body, public_reporter=key.name)
        session.commit()
        notice = f"已受理，编号 {case.reference} / received as {case.reference}"
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

    return _guard(request, fmt, "write", run)


def _parse_time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        # a "+" left unencoded in a query string arrives as a space
        parsed = datetime.fromisoformat(value.strip().replace(" ", "+").replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidRequestError(
            f"{name} must be ISO 8601 (w3c), e.g. 2026-05-01T00:00:00+08:00"
        ) from exc
    if parsed.tzinfo is None:
        raise InvalidRequestError(f"{name} needs a UTC offset, e.g. +08:00")
    return parsed


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


@router.get("/requests.{fmt}", operation_id="open311_list_requests")
def list_requests(request: Request, session: DbSession, ctx: Ctx, fmt: str) -> Response:
    """Service requests, newest first; by default those of the last 90 days, at most 1000."""
    params = request.query_params

    def run() -> Response:
        query = _visible().where(Case.category.in_(_public_codes(ctx)))
        ids = params.get("service_request_id")
        if ids:
            query = query.where(Case.reference.in_([i.strip() for i in ids.split(",")][:1000]))
        else:
            start = _parse_time(params.get("start_date"), "start_date")
            end = _parse_time(params.get("end_date"), "end_date")
            if start is None and end is None:
                start = ctx.now() - timedelta(days=90)
            if start is not None:
                query = query.where(Case.created_at >= start)
            if end is not None:
                query = query.where(Case.created_at <= end)
            if params.get("service_code"):
                query = query.where(Case.category.in_(params["service_code"].split(",")))
            if params.get("status"):
                wanted = {s.strip() for s in params["status"].split(",")}
                if not wanted <= {"open", "closed"}:
                    raise InvalidRequestError("status must be open, closed or open,closed")
                states = [s.value for s in CaseStatus if OPEN311_STATUS[s] in wanted]
                query = query.where(Case.status.in_(states))
        try:
            page = int(params.get("page", 1))
            size = int(params.get("page_size", 1000))
        except ValueError:
            raise InvalidRequestError("page and page_size must be whole numbers") from None
        if page < 1 or not 1 <= size <= 1000:
            raise InvalidRequestError("page ≥ 1 and 1 ≤ page_size ≤ 1000")
        cases = session.execute(
            query.order_by(Case.created_at.desc(), Case.id.desc())
            .offset((page - 1) * size)
            .limit(size)
        ).all()
        units = _units(session, cases)
        histories = _histories(session, [c.id for c in cases])
        extensions = params.get("extensions", "").lower() == "true"
        base = str(request.base_url)
        payload = [
            request_view(c, ctx, base, units, histories[c.id], extensions=extensions) for c in cases
        ]
        return open311_response(fmt, payload, "service_requests", "request")

    return _guard(request, fmt, "read", lambda: _cached(request, run))


@router.get("/requests/{service_request_id}.{fmt}", operation_id="open311_get_request")
def get_request(
    request: Request, session: DbSession, ctx: Ctx, service_request_id: str, fmt: str
) -> Response:
    def run() -> Response:
        case = session.execute(
            _visible().where(
                Case.reference == service_request_id, Case.category.in_(_public_codes(ctx))
            )
        ).one_or_none()
        if case is None:
            return open311_error(fmt, 404, f"no service request '{service_request_id}'")
        extensions = request.query_params.get("extensions", "").lower() == "true"
        view = request_view(
            case,
            ctx,
            str(request.base_url),
            _units(session, [case]),
            _histories(session, [case.id])[case.id],
            extensions=extensions,
        )
        return open311_response(fmt, [view], "service_requests", "request")

    return _guard(request, fmt, "read", lambda: _cached(request, run))


@router.get("/tokens/{token}.{fmt}", operation_id="open311_get_token")
def get_token(request: Request, session: DbSession, token: str, fmt: str) -> Response:
    def run() -> Response:
        reference = session.scalar(select(Case.reference).where(Case.token == token))
        if reference is None:
            return open311_error(fmt, 404, "unknown token")
        return open311_response(
            fmt, [{"service_request_id": reference, "token": token}], "service_requests", "request"
        )

    return _guard(request, fmt, "read", run)


@router.get(
    "/media/{attachment_id}",
    operation_id="open311_get_media",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def get_media(request: Request, session: DbSession, ctx: Ctx, attachment_id: PathId) -> Response:
    """A before/after photo of a public case (never a document)."""

    def run() -> Response:
        attachment = session.get(Attachment, attachment_id)
        case = session.get(Case, attachment.case_id) if attachment and attachment.case_id else None
        if (
            attachment is None
            or case is None
            or attachment.role not in PHOTO_ROLES
            or not attachment.media_type.startswith("image/")
            or case.category not in _public_codes(ctx)
        ):
            return open311_error("json", 404, "no such photo")
        with ctx.files.open(attachment.sha256) as handle:
            content = handle.read()
        return Response(
            content,
            media_type=attachment.media_type,
            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=3600"},
        )

    return _guard(request, "json", "read", run)
