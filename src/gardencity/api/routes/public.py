"""The residents' side without log-in: report a problem, follow it, see the public map.

No personal data, no staff names and no internal notes ever leave these endpoints (what the
public sees of a case: :mod:`gardencity.campaign.privacy`); every one is rate limited per
client address.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from gardencity.api.deps import Ctx, DbSession, Lang, client_address
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.api.open311_format import JSON_TYPE
from gardencity.api.public_cache import PublicCache
from gardencity.campaign import lookup, media, service
from gardencity.campaign.media import PublicPhoto
from gardencity.campaign.models import Case
from gardencity.campaign.privacy import public_actor, public_events, public_note
from gardencity.campaign.schemas import CaseIn, parse_bbox
from gardencity.campaign.states import OPEN311_STATUS, CaseStatus
from gardencity.db.spatial import in_bbox
from gardencity.errors import InvalidRequestError, NotFoundError
from gardencity.messages import Catalogue
from gardencity.settings import Settings

MESSAGES = Catalogue(__package__)

router = APIRouter(prefix="/api/v1/public", tags=["public"], responses=ERROR_RESPONSES)


class PublicEvent(BaseModel):
    at: str
    action: str
    status: str
    status_label: str
    by: str
    note: str | None


class PublicPhotoOut(BaseModel):
    role: str
    url: str


class PublicCase(BaseModel):
    reference: str
    category: str
    category_name: str
    status: str
    status_label: str
    open311_status: str
    created_at: str
    updated_at: str
    lon: float
    lat: float
    photos: list[PublicPhotoOut]
    timeline: list[PublicEvent]


def _limit(request: Request, kind: str) -> None:
    settings: Settings = request.app.state.settings
    per_minute = (
        settings.public_writes_per_minute if kind == "write" else settings.public_reads_per_minute
    )
    request.app.state.limiter.check(f"public-{kind}", client_address(request), per_minute)


def public_case(
    case: Case, ctx: Ctx, roles: dict[int, str], photos: list[PublicPhoto], lang: str = "zh"
) -> PublicCase:
    return PublicCase(
        reference=case.reference,
        category=case.category,
        category_name=lookup.category_label(ctx.config, case.category, lang),
        status=case.status,
        status_label=lookup.status_label(ctx.config, case.status, lang),
        open311_status=OPEN311_STATUS[CaseStatus(case.status)],
        created_at=case.created_at.isoformat(),
        updated_at=case.updated_at.isoformat(),
        lon=round(case.lon, 6),
        lat=round(case.lat, 6),
        photos=[
            PublicPhotoOut(role=p.role, url=f"/open311/v2/media/{p.public_id}") for p in photos
        ],
        timeline=[
            PublicEvent(
                at=e.at.isoformat(),
                action=e.action,
                status=e.to_status,
                status_label=lookup.status_label(ctx.config, e.to_status, lang),
                by=public_actor(roles.get(e.actor_id, "staff") if e.actor_id else None, lang),
                note=public_note(e),
            )
            for e in public_events(case.events)
        ],
    )


def _roles(session: DbSession, case: Case) -> dict[int, str]:
    from gardencity.auth.models import User

    ids = {e.actor_id for e in case.events if e.actor_id}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.role).where(User.id.in_(ids))).all())


@router.post("/cases", operation_id="public_report_case", status_code=201)
def report(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    category: Annotated[str, Form(max_length=64)],
    lon: Annotated[float, Form(ge=-180, le=180)],
    lat: Annotated[float, Form(ge=-90, le=90)],
    description: Annotated[str, Form(max_length=2000)] = "",
    contact_phone: Annotated[str | None, Form(max_length=40)] = None,
    photo: Annotated[UploadFile | None, File(description="a photo of the problem")] = None,
) -> dict[str, Any]:
    """A resident reports a problem (anonymous allowed); keep the reference to follow it."""
    _limit(request, "write")
    known = ctx.config.categories.get(category)
    if known is None or not known.public:
        raise InvalidRequestError(MESSAGES.message("unknown_public_category", category=category))
    content = photo.file.read(ctx.files.max_bytes + 1) if photo is not None else None
    # checked and cleaned before the case is filed: no write transaction waits for it
    checked = (
        ctx.files.check(content, declared_type=photo.content_type)
        if content and photo is not None
        else None
    )
    body = CaseIn(
        category=category,
        description=description,
        source="resident",
        lon=lon,
        lat=lat,
        reporter_phone=contact_phone,
    )
    case = service.file_case(session, ctx, None, body, public_reporter="public page")
    if checked is not None and photo is not None:  # stored with the case, or neither
        media.report_photo(
            session, ctx, case, checked, filename=photo.filename, declared_type=photo.content_type
        )
    session.commit()
    return {"reference": case.reference, "token": case.token, "status": case.status}


@router.get("/cases/{reference}", operation_id="public_get_case")
def follow(
    request: Request, session: DbSession, ctx: Ctx, reference: str, lang: Lang
) -> PublicCase:
    """What became of a report: status and public timeline (no names, no contact data)."""
    _limit(request, "read")
    case = session.scalars(
        select(Case).where(Case.reference == reference).options(selectinload(Case.events))
    ).one_or_none()
    known = case is not None and ctx.config.categories.get(case.category)
    if case is None or not known or not known.public:
        raise NotFoundError(MESSAGES.message("report_not_found", reference=reference))
    codes = [code for code, c in ctx.config.categories.items() if c.public]
    photos = media.public_photos(session, [case.id], codes)[case.id]
    return public_case(case, ctx, _roles(session, case), photos, lang)


@router.get(
    "/cases.geojson",
    operation_id="public_map",
    response_class=Response,
    responses={
        200: {
            "description": "a GeoJSON FeatureCollection of points",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def public_map(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    status: Literal["open", "closed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 2000,
    *,
    lang: Lang,
) -> Response:
    """Open and closed reports for the public map (points, category, status only)."""
    _limit(request, "read")
    cache: PublicCache = request.app.state.public_cache
    return cache.respond(request, lambda: _map(session, ctx, bbox, status, limit, lang), lang=lang)


def _map(
    session: DbSession, ctx: Ctx, bbox: str | None, status: str | None, limit: int, lang: str
) -> Response:
    public = [code for code, c in ctx.config.categories.items() if c.public]
    query = select(
        Case.reference, Case.category, Case.status, Case.lon, Case.lat, Case.created_at
    ).where(Case.category.in_(public))
    box = parse_bbox(bbox)
    if box:
        query = query.where(in_bbox(session.get_bind().dialect.name, Case, box))
    if status:
        query = query.where(
            Case.status.in_([s.value for s in CaseStatus if OPEN311_STATUS[s] == status])
        )
    cases = session.execute(query.order_by(Case.created_at.desc()).limit(limit)).all()
    labels = {s.value: lookup.status_label(ctx.config, s.value, lang) for s in CaseStatus}
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(c.lon, 6), round(c.lat, 6)]},
                "properties": {
                    "reference": c.reference,
                    "category": c.category,
                    "category_label": lookup.category_label(ctx.config, c.category, lang),
                    "status": OPEN311_STATUS[CaseStatus(c.status)],
                    "status_label": labels[c.status],
                    "created_at": c.created_at.isoformat(),
                },
            }
            for c in cases
        ],
    }
    return Response(json.dumps(collection, ensure_ascii=False).encode(), media_type=JSON_TYPE)
