"""An offline base map: the city's own raster MBTiles file, served by the app itself.

A campaign office often has no internet on its intranet, or may not send its map views to an
outside tile server. ``GARDENCITY_BASEMAP_MBTILES`` names an MBTiles file (the SQLite tile
format of MapBox, https://github.com/mapbox/mbtiles-spec: PNG, JPEG or WebP tiles, rows
counted from the south as TMS does); the pages then draw it under every map from
``/tiles/{z}/{x}/{y}``. Vector tiles (``pbf``) need a renderer the pages do not have: such a
file is refused with a message that says so.
"""

from __future__ import annotations

import sqlite3
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gardencity.errors import NotFoundError, WorkspaceError
from gardencity.io.mbtiles import open_mbtiles
from gardencity.messages import Catalogue

__all__ = ["BASEMAP_URL", "Basemap", "read_basemap", "router"]

BASEMAP_URL = "/tiles/{z}/{x}/{y}"
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
router = APIRouter(include_in_schema=False)
MESSAGES = Catalogue(__package__)


class Basemap:
    """A raster MBTiles file: its format, attribution, zoom range and tiles."""

    def __init__(self, path: Path, metadata: dict[str, str]) -> None:
        self.path = path
        self.format = metadata.get("format", "png").lower()
        self.media_type = MEDIA_TYPES[self.format]
        self.attribution = metadata.get("attribution", "")
        self.name = metadata.get("name", path.stem)
        self.max_zoom = int(metadata.get("maxzoom", 19) or 19)

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile at zoom ``z``, column ``x``, row ``y`` counted from the north (as the
        map asks for it), or None."""
        return open_mbtiles(self.path).tile(z, x, y)


@cache
def read_basemap(path: Path) -> Basemap:
    """The base map in ``path``, checked: an MBTiles file of raster tiles.

    Raises
    ------
    WorkspaceError
        The file is missing, is not an MBTiles file, or holds vector tiles.
    """
    if not path.is_file():
        raise WorkspaceError(MESSAGES.message("basemap_missing", path=path))
    try:
        mbtiles = open_mbtiles(path)
        mbtiles.check()
        metadata = mbtiles.metadata()
    except sqlite3.Error as exc:
        raise WorkspaceError(
            MESSAGES.message("basemap_not_mbtiles", path=path, detail=exc)
        ) from exc
    kind = str(metadata.get("format", "png")).lower()
    if kind not in MEDIA_TYPES:
        raise WorkspaceError(MESSAGES.message("basemap_vector", path=path, kind=kind))
    return Basemap(path, metadata)


@router.get(BASEMAP_URL)
def basemap_tile(request: Request, z: int, x: int, y: int) -> Response:
    """One tile of the offline base map (cached by the browser for a day)."""
    path = request.app.state.settings.basemap_mbtiles
    if path is None:
        raise NotFoundError(MESSAGES.message("no_basemap"))
    basemap = read_basemap(Path(path))
    data = basemap.tile(z, x, y)
    if data is None:
        return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})
    return Response(
        data, media_type=basemap.media_type, headers={"Cache-Control": "public, max-age=86400"}
    )
