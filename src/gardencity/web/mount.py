"""Mount the pages and their static files on the app."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

__all__ = ["VENDOR_FILES", "install_web", "node_modules"]

log = logging.getLogger("gardencity.web")
HERE = Path(__file__).parent
# URL prefix -> folder inside node_modules (only these are served)
VENDOR_FILES = {
    "leaflet": "leaflet/dist",
    "geoman": "@geoman-io/leaflet-geoman-free/dist",
    "protomaps-leaflet": "protomaps-leaflet/dist",
    "pbf": "pbf/dist",
    "echarts": "echarts/dist",
    "axe-core": "axe-core",
}


def node_modules() -> Path:
    """``GARDENCITY_NODE_MODULES`` or the repository's ``node_modules`` (``make install``)."""
    configured = os.environ.get("GARDENCITY_NODE_MODULES")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "node_modules"


def install_web(app: FastAPI) -> None:
    from gardencity.web.basemap import read_basemap
    from gardencity.web.basemap import router as basemap_router
    from gardencity.web.inspection_pages import router as inspection_router
    from gardencity.web.installable import router as installable_router
    from gardencity.web.maintenance_pages import router as maintenance_router
    from gardencity.web.map_page import router as map_router
    from gardencity.web.notification_pages import router as notification_router
    from gardencity.web.pages import router
    from gardencity.web.patrol_pages import router as patrol_router
    from gardencity.web.vocabulary_css import router as vocabulary_router

    app.mount("/static/web", StaticFiles(directory=HERE / "static"), name="web-static")
    modules = node_modules()
    for prefix, folder in VENDOR_FILES.items():
        path = modules / folder
        if path.is_dir():
            app.mount(f"/static/vendor/{prefix}", StaticFiles(directory=path), name=prefix)
        else:
            log.warning(
                "front-end library missing: %s; run `make install` (npm ci) so that the map "
                "and charts work",
                path,
            )
    settings = app.state.settings
    if settings.basemap_mbtiles is not None:
        read_basemap(Path(settings.basemap_mbtiles))  # a bad file stops the start, saying why
    app.include_router(basemap_router)
    app.include_router(router)
    app.include_router(map_router)
    app.include_router(inspection_router)
    app.include_router(notification_router)
    app.include_router(patrol_router)
    app.include_router(maintenance_router)
    app.include_router(vocabulary_router)
    app.include_router(installable_router)
