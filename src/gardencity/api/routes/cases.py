"""Cases: list (filters, paging, GeoJSON), file, read, act, attach photos, escalate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Request, UploadFile
from fastapi.responses import Response

from gardencity.api.case_filters import CaseFilters
from gardencity.api.deps import Ctx, CurrentUser, DbSession, Lang, PathId
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.api.presenters import case_feature, case_out, json_response
from gardencity.auth.permissions import UnitTree, authorize
from gardencity.campaign import idempotency, media, service
from gardencity.campaign.schemas import (
    ActionIn,
    AttachmentOut,
    CaseIn,
    CaseOut,
    CasePage,
)
from gardencity.patrols import tracks
from gardencity.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["cases"], responses=ERROR_RESPONSES)

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=idempotency.KEY_HEADER,
        max_length=100,
        description="a UUID the client makes for this request and sends again with every "
        "repeat of it: a repeat answers 200 with what the first created (header "
        f"{idempotency.REPLAY_HEADER}: true) instead of creating it again",
    ),
]
REPLAYED = {idempotency.REPLAY_HEADER: "true"}


@router.get("/cases", operation_id="list_cases", response_model=CasePage)
def list_cases(
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    filters: CaseFilters,
    lang: Lang,
) -> Response:
    """Cases visible to you, newest first, filtered and paged; labels in your language."""
    items, total = service.list_cases(session, ctx, user, filters)
    tree = UnitTree.from_session(session)
    page = CasePage(
        items=[case_out(c, ctx, user, tree, lang=lang) for c in items],
        total=total,
        page=filters.page,
        per_page=filters.per_page,
    )
    return json_response(page)


@router.get("/cases.geojson", operation_id="list_cases_geojson")
def list_cases_geojson(
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    filters: CaseFilters,
    lang: Lang,
) -> dict[str, Any]:
    """The same list as a GeoJSON FeatureCollection (points at each case's location)."""
    items, total = service.list_cases(session, ctx, user, filters)
    return {
        "type": "FeatureCollection",
        "features": [case_feature(c, ctx, lang) for c in items],
        "total": total,
        "page": filters.page,
    }


@router.post(
    "/cases",
    operation_id="create_case",
    status_code=201,
    response_model=CaseOut,
    responses={200: {"model": CaseOut, "description": "a repeat: the case filed the first time"}},
)
def create_case(
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    body: CaseIn,
    lang: Lang,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """File a case; it is routed to a unit by area and category (overridable by unit_id).
    With an ``Idempotency-Key``, a repeat of the request answers with the case filed the
    first time (200) instead of filing it again."""
    key = idempotency.parse_key(idempotency_key)
    replayed = False
    if key is None:
        case = service.file_case(session, ctx, user, body)
    else:
        case, replayed = idempotency.file_case_once(session, ctx, user, body, key)
    if body.patrol is not None:  # filed during a patrol: it belongs to it
        tracks.link_case(session, user, str(body.patrol), case)
    session.commit()
    out = case_out(case, ctx, user, UnitTree.from_session(session), details=True, lang=lang)
    if replayed:
        response = json_response(out, status_code=200)
        response.headers.update(REPLAYED)
        return response
    return json_response(out, status_code=201)


@router.get("/cases/{case_id}", operation_id="get_case", response_model=CaseOut)
def get_case(
    session: DbSession, ctx: Ctx, user: CurrentUser, case_id: PathId, lang: Lang
) -> Response:
    """One case with its timeline, photos and the actions you may take now."""
    case = service.get_case(session, user, case_id)
    tree = UnitTree.from_session(session)
    return json_response(case_out(case, ctx, user, tree, details=True, lang=lang))


@router.post(
    "/cases/{case_id}/actions/{action}", operation_id="act_on_case", response_model=CaseOut
)
def act_on_case(
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    case_id: PathId,
    action: str,
    body: ActionIn,
    lang: Lang,
) -> Response:
    """Dispatch, reassign, accept, submit, verify, send_back, discard, reopen or comment."""
    case = service.act(session, ctx, user, case_id, action, body)
    session.commit()
    tree = UnitTree.from_session(session)
    return json_response(case_out(case, ctx, user, tree, details=True, lang=lang))


@router.post(
    "/cases/{case_id}/attachments",
    operation_id="upload_attachment",
    status_code=201,
    response_model=AttachmentOut,
    responses={
        200: {"model": AttachmentOut, "description": "a repeat: the file stored the first time"}
    },
)
def upload_attachment(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    case_id: PathId,
    file: Annotated[UploadFile, File(description="photo (JPEG/PNG/WebP/HEIC) or PDF/DOCX/XLSX")],
    role: Annotated[str, Form(pattern="^(before|after|document)$")] = "before",
    public: Annotated[
        bool, Form(description="show this photo with the public view of the case")
    ] = False,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Upload a before/after photo or a document; stored by content hash, photos without
    their metadata (GPS position, phone model …). With an ``Idempotency-Key``, a repeat
    answers with the file stored the first time (200) instead of attaching it again."""
    key = idempotency.parse_key(idempotency_key)
    settings: Settings = request.app.state.settings
    limit = int(settings.max_upload_mb * 1_000_000)
    content = file.file.read(limit + 1)
    options: dict[str, Any] = {
        "role": role,
        "filename": file.filename,
        "declared_type": file.content_type,
        "public": public,
    }
    replayed = False
    if key is None:
        attachment = service.attach_file(session, ctx, user, case_id, content, **options)
    else:
        attachment, replayed = idempotency.attach_file_once(
            session, ctx, user, case_id, content, key=key, **options
        )
    session.commit()
    out = AttachmentOut.model_validate(attachment)
    response = json_response(out, status_code=200 if replayed else 201)
    if replayed:
        response.headers.update(REPLAYED)
    return response


@router.get(
    "/attachments/{attachment_id}",
    operation_id="get_attachment",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "application/pdf": {}}}},
)
def get_attachment(
    session: DbSession, ctx: Ctx, user: CurrentUser, attachment_id: PathId
) -> Response:
    """The stored file, if you may see its case."""
    attachment = service.get_attachment(session, user, attachment_id)
    content, media_type = media.attachment_content(ctx, attachment)
    return Response(
        content,
        media_type=media_type,
        headers={
            "Cache-Control": "private, max-age=86400",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
        },
    )


@router.post("/cases/escalate-overdue", operation_id="escalate_overdue_cases")
def escalate_overdue(session: DbSession, ctx: Ctx, user: CurrentUser) -> dict[str, Any]:
    """Escalate every overdue case that passed the next step of the ladder (also run by
    ``gardencity escalate`` on a schedule)."""
    authorize(user, "case.escalate_overdue")
    raised = service.escalate_overdue(session, ctx)
    session.commit()
    return {
        "escalated": [
            {"id": c.id, "reference": c.reference, "level": c.escalation_level} for c in raised
        ]
    }
