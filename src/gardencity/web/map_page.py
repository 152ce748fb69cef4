"""一张图, the map page. The page carries what the map waits for before it can ask for a
tile: the built-up area's bounds (the first view; else set once the area's outline is in)
and the descriptions of the latest run's vector tiles, so that the map's scripts ask for the
tiles in view as soon as they run."""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

import shapely
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gardencity.api.routes.runs import tilejson
from gardencity.auth.permissions import PERMISSIONS
from gardencity.campaign.context import ServiceContext
from gardencity.errors import GardenCityError
from gardencity.jobs import layers, tiles
from gardencity.jobs.runs import OUTPUT_FILES, run_dir
from gardencity.web.page_data import case_words
from gardencity.web.pages import STAFF, latest_run_id, login_redirect, page_user, render

__all__ = ["map_bounds", "router"]

router = APIRouter(include_in_schema=False)
#: how long the built-up area's bounds are remembered at most
BOUNDS_SECONDS = 60
#: the workspace's files the built-up area is read from
SOURCE_SUFFIXES = {".gpkg", ".toml", ".shp", ".geojson"}


@router.get("/map")
def map_page(request: Request) -> Response:
    user = page_user(request)
    if user is None:
        return login_redirect(request)
    if user.role not in STAFF:
        return RedirectResponse("/public", status_code=303)
    run_id = latest_run_id(request)
    ctx: ServiceContext = request.app.state.ctx
    data: dict[str, Any] = {"run_id": run_id, **case_words(ctx, request)}
    workspace: Path | None = request.app.state.settings.workspace
    if workspace is not None and user.role in {str(r) for r in PERMISSIONS["assessment.view"]}:
        data["map_bounds"] = map_bounds(workspace)
        if run_id is not None:
            data["tilesets"] = _tilesets(workspace, run_id)
    return render(request, "map", user, data=data, run_id=run_id)


def map_bounds(workspace: Path) -> list[list[float]] | None:
    """The built-up area's bounds as Leaflet takes them, ``[[south, west], [north, east]]``
    in WGS 84 (those of the outline the map draws), or None when the city has none.

    Remembered while the workspace's files are unchanged, for at most a minute (as long as
    the browser keeps the outline: a PostGIS workspace changes without its files)."""
    try:
        sources = [p for p in workspace.iterdir() if p.suffix in SOURCE_SUFFIXES]
        changed = max((p.stat().st_mtime_ns for p in sources), default=0)
    except OSError:  # no such folder (the outline's API says what is missing)
        return None
    return _bounds(workspace, changed, int(time.monotonic() // BOUNDS_SECONDS))


@functools.lru_cache(maxsize=8)
def _bounds(workspace: Path, _changed: int, _minute: int) -> list[list[float]] | None:
    try:
        shapes = shapely.from_geojson(layers.workspace_geojson(workspace, "built_up_area"))
    except GardenCityError:
        return None
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
    found = {}
    for name in tiles.tiles_available(path):
        tileset = tiles.open_tiles(path, name)
        stat = tileset.path.stat()
        found[name] = _tileset(tileset, run_id, (stat.st_mtime_ns, stat.st_size))
    return found


@functools.lru_cache(maxsize=64)
def _tileset(tileset: tiles.TileSet, run_id: int, _file: tuple[int, int]) -> dict[str, Any]:
    """A tiled layer's description, remembered while its file is the same."""
    return tilejson(run_id, tileset)
