"""Maintenance inspections (养护检查): check-lists, sites, inspections with photos, scores,
the worst-kept sites and the weekly patrol and maintenance summary."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Header, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from gardencity.api.deps import Ctx, CurrentUser, DbSession, Lang, PathId
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.api.patrol_inputs import patrol_summary_rows
from gardencity.auth.models import User
from gardencity.auth.permissions import UnitTree, authorize
from gardencity.auth.roles import Role
from gardencity.auth.unit_names import unit_labels
from gardencity.campaign import idempotency
from gardencity.campaign.schemas import DbId, GeoJSONGeometry
from gardencity.errors import InvalidRequestError
from gardencity.maintenance import scores, service, weekly
from gardencity.maintenance.checklists import Checklists
from gardencity.maintenance.once import inspect_site_once
from gardencity.maintenance.schemas import InspectionIn, InspectionOut, SiteIn, site_properties
from gardencity.messages import Catalogue, Message
from gardencity.settings import Settings
from gardencity.text import CleanInput
from gardencity.vocabulary.dates import in_zone

router = APIRouter(
    prefix="/api/v1/maintenance", tags=["maintenance inspections"], responses=ERROR_RESPONSES
)
MESSAGES = Catalogue("gardencity.maintenance")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def checklists(request: Request) -> Checklists:
    lists: Checklists = request.app.state.checklists
    return lists


def visible_units(session: DbSession, user: User) -> set[int] | None:
    """The units whose sites ``user`` sees: None for the whole city (admins, leaders)."""
    if user.role in (Role.ADMIN, Role.LEADER):
        return None
    if user.unit_id is None:
        return set()
    return UnitTree.from_session(session).subtree(user.unit_id)


@router.get("/checklists", operation_id="maintenance_checklists")
def list_checklists(request: Request, user: CurrentUser, lang: Lang) -> dict[str, Any]:
    """The check-list of each site type (items, weights, criteria) and the grades."""
    authorize(user, "maintenance.view")
    lists = checklists(request)
    return {
        "site_types": [
            {
                "code": code,
                "name": spec.name.text(lang),
                "items": [
                    {
                        "code": i.code,
                        "name": i.name.text(lang),
                        "criterion": i.criterion.text(lang),
                        "weight": i.weight,
                        "category": i.category,
                    }
                    for i in spec.items
                ],
            }
            for code, spec in lists.site_types.items()
        ],
        "grades": [{"code": g.code, "min": g.min, "name": g.name.text(lang)} for g in lists.grades],
    }


@router.get("/sites", operation_id="list_maintained_sites")
def list_sites(
    request: Request, session: DbSession, user: CurrentUser, lang: Lang
) -> list[dict[str, Any]]:
    """The sites you may see with their latest score and grade, worst first (never
    inspected: last, score null)."""
    authorize(user, "maintenance.view")
    return scores.site_table(session, checklists(request), lang, visible_units(session, user))


@router.post("/sites", operation_id="create_maintained_site", status_code=201)
def create_site(
    request: Request, session: DbSession, ctx: Ctx, user: CurrentUser, body: SiteIn
) -> dict[str, Any]:
    site = service.create_site(session, ctx, user, checklists(request), body)
    session.commit()
    return {"id": site.id, "code": site.code, "district_id": site.district_id}


class SiteFeature(CleanInput):
    model_config = ConfigDict(extra="allow")
    type: Literal["Feature"]
    geometry: GeoJSONGeometry
    properties: dict[str, Any]


class SiteCollection(CleanInput):
    type: Literal["FeatureCollection"]
    features: list[SiteFeature] = Field(min_length=1, max_length=5000)


@router.post("/sites/import", operation_id="import_maintained_sites", status_code=201)
def import_sites(
    request: Request, session: DbSession, ctx: Ctx, user: CurrentUser, body: SiteCollection
) -> dict[str, Any]:
    """Sites from a GeoJSON FeatureCollection (WGS 84); properties: code, name, site_type,
    unit_code (or unit_id), address, or their Chinese names (编号、名称、类型、责任单位编号、
    地址), a type by its code or name. All are imported, or none when any has a problem."""
    authorize(user, "maintenance.manage")
    lists = checklists(request)
    type_names = {
        name.lower(): code
        for code, spec in lists.site_types.items()
        for name in (code, spec.name.zh, spec.name.en)
    }
    sites: list[SiteIn | Message] = []
    for feature in body.features:
        props = site_properties(dict(feature.properties), type_names)
        try:
            sites.append(SiteIn.model_validate(props | {"geometry": feature.geometry.model_dump()}))
        except PydanticValidationError as exc:
            detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            sites.append(MESSAGES.message("problem.malformed", detail=detail))
    created = service.import_sites(session, ctx, user, lists, sites)
    session.commit()
    return {"imported": len(created)}


@router.post(
    "/sites/{site_id}/inspections",
    operation_id="inspect_maintained_site",
    status_code=201,
    response_model=InspectionOut,
    responses={200: {"model": InspectionOut, "description": "a repeat (same Idempotency-Key)"}},
)
def inspect_site(
    request: Request,
    response: Response,
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    lang: Lang,
    site_id: PathId,
    inspection: Annotated[
        str, Form(description="the inspection as JSON: {site_type, items: [{code, result}], note}")
    ],
    photos: Annotated[list[UploadFile], File(description="one photo per failed item")] = [],  # noqa: B006
    photo_item: Annotated[
        list[str], Form(description="the item code of each photo, in the same order")
    ] = [],  # noqa: B006
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=idempotency.KEY_HEADER,
            max_length=100,
            description="a UUID the phone makes once for this inspection and sends with every "
            "repeat of it: a repeat answers 200 with the inspection stored first (header "
            f"{idempotency.REPLAY_HEADER}: true), its cases and photos filed once",
        ),
    ] = None,
) -> InspectionOut:
    """Score a site against its type's check-list; each failed item needs a photo and (unless
    ``file_case`` is false) becomes a case for the site's responsible unit."""
    try:
        data = InspectionIn.model_validate_json(inspection)
    except PydanticValidationError as exc:
        raise RequestValidationError(
            [e | {"loc": ("body", "inspection", *e["loc"])} for e in exc.errors()]
        ) from exc
    if len(photos) != len(photo_item):
        problem = MESSAGES.message("problem.photo_count", photos=len(photos), items=len(photo_item))
        raise InvalidRequestError(MESSAGES.message("inspection_invalid", problems=[problem]))
    settings: Settings = request.app.state.settings
    limit = int(settings.max_upload_mb * 1_000_000)
    sent = [
        service.Photo(code, upload.file.read(limit + 1), upload.filename, upload.content_type)
        for code, upload in zip(photo_item, photos, strict=True)
    ]
    lists = checklists(request)
    key = idempotency.parse_key(idempotency_key)
    if key is None:
        done = service.inspect_site(session, ctx, user, lists, site_id, data, sent)
    else:
        done, replayed = inspect_site_once(
            session, ctx, user, lists, site_id, data, sent, key=key, header=idempotency.KEY_HEADER
        )
        if replayed:
            response.status_code = 200
            response.headers[idempotency.REPLAY_HEADER] = "true"
    session.commit()
    grade = next(g for g in lists.grades if g.code == done.grade)
    return InspectionOut(
        id=done.id,
        site_id=done.site_id,
        score=done.score,
        grade=done.grade,
        grade_label=grade.name.text(lang),
        inspected_at=done.inspected_at,
        items=[
            {
                "code": i.item_code,
                "result": i.result,
                "weight": i.weight,
                "case_id": i.case_id,
                "attachment_id": i.attachment_id,
            }
            for i in done.items
        ],
        case_ids=[i.case_id for i in done.items if i.case_id is not None],
    )


@router.get("/scores", operation_id="maintenance_scores")
def score_history(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    lang: Lang,
    by: Literal["unit", "district"] = "district",
    period: Literal["week", "month"] = "month",
    periods: Annotated[int, Query(ge=1, le=36)] = 6,
) -> list[dict[str, Any]]:
    """Period scores of each unit or district: the mean over its sites of each site's mean
    inspection score in the period (each site counts once). Periods in which a unit had no
    inspected site have no row (unknown, not 0)."""
    authorize(user, "maintenance.view")
    settings: Settings = request.app.state.settings
    rows = scores.score_history(session, f"{by}_id", period, periods, ctx.now(), settings.timezone)
    visible = visible_units(session, user)
    names = unit_labels(session, lang)
    return [
        r | {"unit_name": names.get(r["unit_id"], "")}
        for r in rows
        if visible is None or r["unit_id"] in visible
    ]


@router.get("/worst-sites", operation_id="worst_kept_sites")
def worst_sites(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    lang: Lang,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[dict[str, Any]]:
    """曝光台: the worst-kept sites by their latest inspection, with the items they failed."""
    authorize(user, "ranking.view")
    return scores.worst_sites(session, checklists(request), lang, limit)


def _summary(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    user: User,
    district_id: int,
    day: date | None,
    lang: str,
) -> dict[str, Any]:
    authorize(user, "maintenance.view")
    visible = visible_units(session, user)
    if visible is not None and district_id not in visible:
        authorize(
            user, "maintenance.view", unit_ids=[district_id], tree=UnitTree.from_session(session)
        )
    settings: Settings = request.app.state.settings
    when = day or in_zone(ctx.now(), settings.timezone).date()
    start, end = weekly.week_bounds(when, settings.timezone)
    return weekly.weekly_summary(
        session,
        checklists(request),
        district_id,
        when,
        tz=settings.timezone,
        lang=lang,
        patrol_rows=patrol_summary_rows(session, district_id, start, end, settings=settings),
    )


@router.get("/weekly", operation_id="weekly_maintenance_summary")
def weekly_summary(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    lang: Lang,
    district_id: Annotated[DbId, Query()],
    day: date | None = None,
) -> dict[str, Any]:
    """The district's weekly patrol and maintenance summary (the week containing ``day``)."""
    summary = _summary(request, session, ctx, user, district_id, day, lang)
    return summary | {"start": summary["start"].isoformat(), "end": summary["end"].isoformat()}


@router.get(
    "/weekly.xlsx",
    operation_id="weekly_maintenance_workbook",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def weekly_workbook(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    lang: Lang,
    district_id: Annotated[DbId, Query()],
    day: date | None = None,
) -> Response:
    """The weekly summary as an office workbook, in the request's language."""
    summary = _summary(request, session, ctx, user, district_id, day, lang)
    settings: Settings = request.app.state.settings
    today = in_zone(ctx.now(), settings.timezone).date()
    content = weekly.weekly_workbook(summary, city=settings.city(lang), day=today, lang=lang)
    name = quote(weekly.weekly_file_name(summary["district"], lang))
    return Response(
        content,
        media_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename=\"weekly.xlsx\"; filename*=UTF-8''{name}"
        },
    )
