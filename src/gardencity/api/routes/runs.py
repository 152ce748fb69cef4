"""Assessment runs (jobs with progress), their outputs, and the map's layers (GeoJSON, and the
heavy ones as vector tiles)."""

from __future__ import annotations

import gzip
import json
import math
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from gardencity.api.deps import CurrentUser, DbSession, PathId
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.api.lang import request_lang
from gardencity.api.security import DOCUMENT_POLICY
from gardencity.auth.permissions import authorize
from gardencity.errors import ConflictError, InvalidRequestError, NotFoundError
from gardencity.jobs import feature_index, layers, tiles
from gardencity.jobs.models import AssessmentRun
from gardencity.jobs.runner import JobRunner
from gardencity.jobs.runs import (
    OUTPUT_FILES,
    REPORT_GZIP,
    SUGGESTIONS,
    get_run,
    run_dir,
    run_message,
    start_run,
)
from gardencity.jobs.whatif import check_edits
from gardencity.messages import Catalogue
from gardencity.planning.suggest import shown_problems
from gardencity.text import CleanInput

MESSAGES = Catalogue(__package__)

router = APIRouter(prefix="/api/v1", tags=["assessment runs"], responses=ERROR_RESPONSES)

GEOJSON = "application/geo+json"
VECTOR_TILE = "application/vnd.mapbox-vector-tile"
MAX_TILE_ZOOM = 24


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    status: str
    progress: float
    message: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    summary: dict[str, Any]
    values: dict[str, Any]
    edits: dict[str, Any]
    error: str | None


def _out(run: AssessmentRun, request: Request) -> RunOut:
    """A run as the API shows it: its step in the request's language."""
    lang = request_lang(request, accept_header=True)
    out = RunOut.model_validate(run)
    error = run_message(out.error, lang) if out.error else out.error
    return out.model_copy(update={"message": run_message(out.message, lang), "error": error})


class RunIn(CleanInput):
    model_config = ConfigDict(extra="forbid")
    edits: dict[str, Any] | None = None


def workspace_of(request: Request) -> Path:
    workspace: Path | None = request.app.state.settings.workspace
    if workspace is None:
        raise ConflictError(MESSAGES.message("no_workspace"))
    return Path(workspace)


def _output(request: Request, session: DbSession, run_id: int, name: str) -> Path:
    run = get_run(session, run_id)
    path = run_dir(workspace_of(request), run.id) / OUTPUT_FILES[name]
    if run.status != "succeeded" or not path.is_file():
        raise NotFoundError(
            MESSAGES.message(
                "run_has_no_output",
                run_id=run_id,
                name=path.name,
                status=MESSAGES.message(f"run_status.{run.status}"),
            )
        )
    return path


def _run_tiles(request: Request, session: DbSession, run_id: int, name: str) -> tiles.TileSet:
    """Layer ``name``'s vector tiles of run ``run_id``. A run that succeeded keeps its
    outputs (a finished run is never changed), so its folder is remembered by id once found
    with its diagnostics: the dozens of tile requests of a map view ask the database once.
    The tiles' file is still looked for each time (a file cut again has a new version)."""
    folders: dict[int, Path] = request.app.state.run_tile_folders
    folder = folders.get(run_id)
    if folder is None:
        folder = folders[run_id] = _output(request, session, run_id, "diagnostics").parent
    return tiles.open_tiles(folder, name)


@router.get("/runs", operation_id="list_runs")
def list_runs(request: Request, session: DbSession, user: CurrentUser) -> list[RunOut]:
    """Every assessment run, newest first (with each indicator's value, for trends)."""
    authorize(user, "assessment.view")
    rows = session.scalars(select(AssessmentRun).order_by(AssessmentRun.id.desc())).all()
    return [_out(r, request) for r in rows]


@router.post("/runs", operation_id="start_run", status_code=202)
def create_run(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    body: Annotated[RunIn | None, Body()] = None,
) -> RunOut:
    """Start an assessment of the workspace (or, with ``edits``, a what-if variant of it) as a
    job; poll ``GET /api/v1/runs/{id}`` for its progress."""
    authorize(user, "assessment.run")
    workspace = workspace_of(request)
    edits = check_edits(body.edits) if body and body.edits is not None else None
    run = start_run(
        session, user_id=user.id, kind="what_if" if edits else "assessment", edits=edits
    )
    session.commit()
    runner: JobRunner = request.app.state.jobs
    runner.submit(run.id)
    del workspace
    return _out(run, request)


@router.get("/runs/{run_id}", operation_id="get_run")
def read_run(request: Request, session: DbSession, user: CurrentUser, run_id: PathId) -> RunOut:
    """A run's status and progress (0–1) with the step it is on (in the request's language)."""
    authorize(user, "assessment.view")
    return _out(get_run(session, run_id), request)


@router.get("/runs/{run_id}/suggestions", operation_id="get_run_suggestions")
def run_suggestions(
    request: Request, session: DbSession, user: CurrentUser, run_id: PathId
) -> JSONResponse:
    """建议选址 of an assessment: new pocket-park sites and the road segments to shade first
    (GeoJSON in WGS 84 with each one's gain), or why a part could not be suggested."""
    authorize(user, "assessment.view")
    run = get_run(session, run_id)
    path = run_dir(workspace_of(request), run.id) / SUGGESTIONS
    if run.status != "succeeded" or not path.is_file():
        raise NotFoundError(MESSAGES.message("no_suggestions", run_id=run_id))
    stored = json.loads(path.read_text("utf-8"))
    return JSONResponse(shown_problems(stored, request_lang(request, accept_header=True)))


@router.get(
    "/runs/{run_id}/files/{name}",
    operation_id="get_run_file",
    response_class=FileResponse,
    responses={200: {"content": {"application/json": {}, "application/geopackage+sqlite3": {}}}},
)
def run_file(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    run_id: PathId,
    name: Literal["scorecard.json", "diagnostics.gpkg", "report.html"],
) -> FileResponse:
    """scorecard.json, diagnostics.gpkg (opens in QGIS with styles) or report.html."""
    authorize(user, "assessment.view")
    key = {v: k for k, v in OUTPUT_FILES.items()}[name]
    path = _output(request, session, run_id, key)
    media = {
        "scorecard": "application/json",
        "diagnostics": "application/geopackage+sqlite3",
        "report": "text/html; charset=utf-8",
    }[key]
    disposition = "attachment" if key == "diagnostics" else "inline"
    headers: dict[str, str] | None = None
    if key == "report":  # a stand-alone document: its own styles and drawings, no script
        headers = {"Content-Security-Policy": DOCUMENT_POLICY, "Vary": "Accept-Encoding"}
        packed = path.with_name(REPORT_GZIP)  # as the run's job compressed it
        accepts = "gzip" in request.headers.get("accept-encoding", "")
        if accepts and packed.is_file() and packed.stat().st_mtime >= path.stat().st_mtime:
            path, headers = packed, {**headers, "Content-Encoding": "gzip"}
    return FileResponse(
        path,
        media_type=media,
        filename=f"run{run_id}-{name}",
        content_disposition_type=disposition,
        headers=headers,
    )


@router.get(
    "/runs/{run_id}/layers/{name}.geojson",
    operation_id="get_run_layer",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
)
def run_layer(
    request: Request, session: DbSession, user: CurrentUser, run_id: PathId, name: str
) -> Response:
    """A diagnostic layer of a run in WGS 84 (uncovered residential land, unshaded roads …)."""
    authorize(user, "assessment.view")
    path = _output(request, session, run_id, "diagnostics").parent
    content = layers.diagnostic_geojson(path, name)
    return Response(content, media_type=GEOJSON, headers={"Cache-Control": "private, max-age=60"})


@router.get("/runs/{run_id}/tiles/{name}.json", operation_id="get_run_tileset")
def run_tileset(
    request: Request, session: DbSession, user: CurrentUser, run_id: PathId, name: str
) -> dict[str, Any]:
    """A heavy layer of a run as vector tiles (TileJSON-like): the tile URL template (with
    the version of the layer's tiles: a URL's tile never changes), zoom range, bounds
    ``[west, south, east, north]`` in WGS 84, the feature count and fields."""
    authorize(user, "assessment.view")
    return tilejson(run_id, _run_tiles(request, session, run_id, name))


def tilejson(run_id: int, tileset: tiles.TileSet) -> dict[str, Any]:
    """What :func:`run_tileset` answers for ``tileset`` of run ``run_id`` (the map page
    carries them, so that its first tiles are asked for as soon as its scripts run)."""
    name = tileset.name
    template = f"/api/v1/runs/{run_id}/tiles/{name}/{{z}}/{{x}}/{{y}}.pbf?v={tileset.version}"
    return {"tilejson": "3.0.0", "tiles": [template], **tileset.describe()}


def _point(at: str) -> tuple[float, float]:
    """``lon,lat`` in WGS 84 decimal degrees."""
    parts = at.split(",")
    try:
        lon, lat = (float(part) for part in parts)
    except ValueError:
        lon = lat = math.nan
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):  # NaN fails too
        raise InvalidRequestError(MESSAGES.message("bad_point", at=at[:60]))
    return lon, lat


@router.get("/runs/{run_id}/tiles/{name}/features", operation_id="find_run_tile_feature")
def run_tile_feature_at(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    run_id: PathId,
    name: str,
    at: Annotated[str, Query(max_length=100, description="longitude,latitude (WGS 84)")],
    tolerance: Annotated[float, Query(ge=0, le=feature_index.MAX_TOLERANCE_M)] = 5.0,
) -> dict[str, Any]:
    """The feature of a heavy layer at a point of the map (``at``: longitude,latitude in
    WGS 84), as :func:`run_tile_feature` answers it by id: the smallest polygon holding the
    point, or the nearest line within ``tolerance`` metres of it (a few screen pixels at the
    map's zoom). For a click where the tiles carry no feature ids (a city's overview). 404
    when nothing is there."""
    authorize(user, "assessment.view")
    lon, lat = _point(at)
    tileset = _run_tiles(request, session, run_id, name)
    feature_id = feature_index.feature_id_at(tileset.path, name, lon, lat, tolerance)
    return _tile_feature(tileset, feature_id)


@router.get(
    "/runs/{run_id}/tiles/{name}/features/{feature_id}", operation_id="get_run_tile_feature"
)
def run_tile_feature(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    run_id: PathId,
    name: str,
    feature_id: PathId,
) -> dict[str, Any]:
    """One feature of a heavy layer's detail tiles by its id (the tile feature's ``id``):
    its attributes (``properties``: the details a click on the map shows; the tiles carry
    only what is painted) and its shape (``geometry``, GeoJSON in WGS 84). 404 when the
    layer has no such feature."""
    authorize(user, "assessment.view")
    return _tile_feature(_run_tiles(request, session, run_id, name), feature_id)


def _tile_feature(tileset: tiles.TileSet, feature_id: int) -> dict[str, Any]:
    """A feature's details and its shape (GeoJSON in WGS 84; null for tiles cut before
    they kept shapes), which the map outlines."""
    properties = tileset.feature(feature_id)
    geometry = feature_index.feature_shape(tileset.path, feature_id)
    return {"layer": tileset.name, "id": feature_id, "properties": properties, "geometry": geometry}


@router.get(
    "/runs/{run_id}/tiles/{name}/{z}/{x}/{y}.pbf",
    operation_id="get_run_tile",
    response_class=Response,
    responses={
        200: {"content": {VECTOR_TILE: {}}},
        204: {"description": "an empty tile"},
        304: {"description": "the tile the browser has (If-None-Match)"},
    },
)
def run_tile(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    run_id: PathId,
    name: str,
    z: int,
    x: int,
    y: int,
) -> Response:
    """One Mapbox Vector Tile (gzip) of a heavy layer of a run: residential land, green
    spaces, uncovered residential land, road segments. 204 where the layer has nothing.

    A run's tiles are cut once: the browser keeps a tile (``immutable`` under the URL that
    carries the tiles' version, ``v``) and revalidates it by its ETag."""
    authorize(user, "assessment.view")
    if not (0 <= z <= MAX_TILE_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        last = 2 ** min(max(z, 0), MAX_TILE_ZOOM) - 1
        raise InvalidRequestError(
            MESSAGES.message("bad_tile", z=z, x=x, y=y, max_zoom=MAX_TILE_ZOOM, last=last)
        )
    tileset = _run_tiles(request, session, run_id, name)
    version = tileset.version
    gzipped = "gzip" in request.headers.get("accept-encoding", "")
    etag = f'"{version}-{z}-{x}-{y}{"-gz" if gzipped else ""}"'
    versioned = request.query_params.get("v") == version
    lasting = "private, max-age=31536000, immutable" if versioned else "private, no-cache"
    cache = {"Cache-Control": lasting, "ETag": etag, "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=cache)
    data = tileset.tile(z, x, y)
    if data is None:
        return Response(status_code=204, headers=cache)
    if not gzipped:  # as stored, else plain
        return Response(gzip.decompress(data), media_type=VECTOR_TILE, headers=cache)
    return Response(data, media_type=VECTOR_TILE, headers={"Content-Encoding": "gzip", **cache})


@router.get(
    "/map/layers/{name}.geojson",
    operation_id="get_workspace_layer",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
)
def workspace_layer(request: Request, user: CurrentUser, name: str) -> Response:
    """A layer of the city workspace in WGS 84: built-up area, districts, green spaces (with
    their class) or residential land."""
    authorize(user, "assessment.view")
    content = layers.workspace_geojson(workspace_of(request), name)
    return Response(content, media_type=GEOJSON, headers={"Cache-Control": "private, max-age=60"})


@router.get(
    "/map/layers/canopy.png",
    operation_id="get_canopy_image",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def canopy_image(request: Request, user: CurrentUser) -> Response:
    """The canopy raster (tree, shrub, grass) as a transparent PNG in Web Mercator, to lay
    between the corners given by ``/api/v1/map/layers/canopy.json``."""
    authorize(user, "assessment.view")
    png, _ = layers.canopy_overlay(workspace_of(request))
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


@router.get("/map/layers/canopy.json", operation_id="get_canopy_overlay")
def canopy_description(request: Request, user: CurrentUser) -> dict[str, Any]:
    """Where the canopy image goes (``bounds``: [[south, west], [north, east]] in WGS 84), its
    classes with their colours, and the pixel count of each class."""
    authorize(user, "assessment.view")
    _, meta = layers.canopy_overlay(workspace_of(request))
    return meta
