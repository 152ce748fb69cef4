"""Peer benchmarking: other cities' published figures (entered or imported) and the city's rank
on each indicator against them."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict

from gardencity.api.deps import Ctx, CurrentUser, DbSession, PathId
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.api.routes.inspection import chosen_standard
from gardencity.api.routes.runs import workspace_of
from gardencity.auth.permissions import authorize
from gardencity.errors import InvalidRequestError
from gardencity.inspection import peer_store
from gardencity.inspection.peer_store import PeerFigureIn
from gardencity.jobs.runs import latest_scorecard
from gardencity.messages import Catalogue

MESSAGES = Catalogue(__package__)
router = APIRouter(prefix="/api/v1", tags=["benchmarking"], responses=ERROR_RESPONSES)
MAX_TABLE_BYTES = 5_000_000


class PeerFigureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    city: str
    province: str | None
    year: int
    indicator_id: str
    value: float
    source: str | None
    entered_by: int | None
    entered_at: datetime


class PeerRankOut(BaseModel):
    indicator_id: str
    name_zh: str
    unit: str
    direction: str
    value: float
    rank: int
    n_cities: int
    leader: str
    leader_value: float
    behind_leader: float


@router.get("/benchmark/figures", operation_id="list_peer_figures")
def list_peer_figures(session: DbSession, user: CurrentUser) -> list[PeerFigureOut]:
    """Every stored figure of the peer cities."""
    return [PeerFigureOut.model_validate(f) for f in peer_store.list_figures(session, user)]


@router.post("/benchmark/figures", operation_id="add_peer_figure", status_code=201)
def add_peer_figure(
    request: Request, session: DbSession, ctx: Ctx, user: CurrentUser, body: PeerFigureIn
) -> PeerFigureOut:
    """Enter one published figure (the same city, indicator and year again replaces it)."""
    row = peer_store.add_figure(session, ctx, user, body, chosen_standard(request))
    session.commit()
    return PeerFigureOut.model_validate(row)


@router.post("/benchmark/figures/import", operation_id="import_peer_figures", status_code=201)
def import_peer_figures(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="CSV or Excel table of published figures")],
) -> list[PeerFigureOut]:
    """Import a table (long: city, indicator_id, value, year …; or wide: city, year and one
    column per indicator id); nothing is stored when a row has a problem."""
    authorize(user, "benchmark.manage")
    content = file.file.read(MAX_TABLE_BYTES + 1)
    if len(content) > MAX_TABLE_BYTES:
        raise InvalidRequestError(MESSAGES.message("peer_table_too_large"))
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise InvalidRequestError(MESSAGES.message("peer_table_kind"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"peers{suffix}"
        path.write_bytes(content)
        rows = peer_store.import_figures(session, ctx, user, path, chosen_standard(request))
    session.commit()
    return [PeerFigureOut.model_validate(r) for r in rows]


@router.delete(
    "/benchmark/figures/{figure_id}",
    operation_id="delete_peer_figure",
    status_code=204,
    response_class=Response,
)
def delete_peer_figure(session: DbSession, user: CurrentUser, figure_id: PathId) -> Response:
    """Remove a figure entered by mistake."""
    peer_store.delete_figure(session, user, figure_id)
    session.commit()
    return Response(status_code=204)


@router.get("/benchmark/ranking", operation_id="peer_ranking")
def peer_ranking(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    province: Annotated[str | None, Query(max_length=50)] = None,
) -> list[PeerRankOut]:
    """The city's rank on each indicator among the stored peers (only one province's cities
    with ``province``), from the latest assessment run."""
    authorize(user, "benchmark.view")
    _, scorecard = latest_scorecard(session, workspace_of(request))
    rows = peer_store.peer_ranking(session, user, scorecard, province=province)
    return [PeerRankOut.model_validate(r) for r in rows]
