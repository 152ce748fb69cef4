"""一张图, the map page. The page carries what the map needs before it can ask for a tile: the
vocabulary (the layers' labels and styles), the built-up area's bounds (the first view) and
the descriptions of the latest run's vector tiles; the map's scripts then ask for the tiles
in view at once, instead of after three answers in a row."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import shapely
from fastapi import APIRouter, Request
from fastapi.responses import Response

from gardencity.api.lang import request_lang
from gardencity.api.routes.runs import tilejson
from gardencity.auth.permissions import PERMISSIONS
from gardencity.campaign.context import ServiceContext
from gardencity.errors import GardenCityError
from gardencity.jobs import layers, tiles
from gardencity.jobs.runs import OUTPUT_FILES, run_dir
from gardencity.vocabulary import vocabulary
from gardencity.web.pages import _case_words, _staff_page, latest_run_id, page_user

__all__ = ["map_bounds", "router"]

router = APIRouter(include_in_schema=False)


@router.get("/map")
def map_page(request: Request) -> Response:
    user = page_user(request)
    run_id = latest_run_id(request) if user is not None else None
    ctx: ServiceContext = request.app.state.ctx
    lang = request_lang(request)
    data: dict[str, Any] = {"run_id": run_id, **_case_words(ctx, request)}
    if user is not None and user.role in {str(r) for r in PERMISSIONS["assessment.view"]}:
        workspace: Path | None = request.app.state.settings.workspace
        data["vocabulary"] = {"lang": lang, **vocabulary().for_lang(lang)}
        data["map_bounds"] = map_bounds(workspace) if workspace is not None else None
        if workspace is not None and run_id is not None:
            data["tilesets"] = _tilesets(workspace, run_id)
    return _staff_page(request, "map", data=data, run_id=run_id)


def map_bounds(workspace: Path) -> list[list[float]] | None:
    """The built-up area's bounds as Leaflet takes them, ``[[south, west], [north, east]]``
    in WGS 84 (those of the layer the map draws), or None when the city has none."""
    try:
        content = layers.workspace_geojson(workspace, "built_up_area")
    except GardenCityError:
        return None
    return _bounds(content)


@functools.lru_cache(maxsize=8)
def _bounds(geojson: bytes) -> list[list[float]] | None:
    shapes = shapely.from_geojson(geojson)
    if shapes.is_empty:
        return None
    west, south, east, north = shapes.bounds
    return [[south, west], [north, east]]


def _tilesets(workspace: Path, run_id: int) -> dict[str, Any]:
    """The run's tiled layers as the tile API describes them (name -> TileJSON); none when
    the run's diagnostics are gone (its tiles are not served then)."""
    path = run_dir(workspace, run_id)
    if not (path / OUTPUT_FILES["diagnostics"]).is_file():
        return {}
    return {n: tilejson(run_id, tiles.open_tiles(path, n)) for n in tiles.tiles_available(path)}
