"""The server application: the JSON API, the web pages and the job runner on one FastAPI app.

``create_app(settings)`` builds a fresh app (tests build many).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gardencity import __version__
from gardencity.api.deps import RateLimiter
from gardencity.api.errors import install_error_handlers
from gardencity.api.public_cache import PublicCache
from gardencity.campaign.config import load_campaign_config
from gardencity.campaign.context import Clock, ServiceContext, system_clock
from gardencity.db.engine import open_database
from gardencity.settings import Settings
from gardencity.storage.files import FileStore

__all__ = ["app_from_env", "create_app", "freeze_startup_heap"]


def create_app(settings: Settings, *, clock: Clock = system_clock) -> FastAPI:
    """A campaign server for ``settings``: database migrated, file store ready, routes in."""
    from gardencity.api.routes import (
        auth,
        benchmark,
        cases,
        dashboard,
        exports,
        inspection,
        open311,
        organisation,
        public,
        rankings,
        runs,
    )
    from gardencity.jobs import JobRunner, mark_interrupted
    from gardencity.web import install_web

    db = open_database(settings.database_url)
    files = FileStore(settings.files_dir, max_bytes=int(settings.max_upload_mb * 1_000_000))
    ctx = ServiceContext(load_campaign_config(settings.campaign_config), files, clock)

    jobs = JobRunner(settings.database_url, settings.workspace or settings.files_dir)
    if settings.workspace is not None:
        with db.session() as session:
            mark_interrupted(session)  # their worker died with the previous server

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()
        db.dispose()

    app = FastAPI(
        title="gardencity 创园平台 API",
        version=__version__,
        description=(
            "园林城市创建：案卷、责任单位、红黑旗、目标与 Open311 / Garden City campaign: "
            "cases, responsible units, red and black flags, targets and Open311 GeoReport v2."
        ),
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.ctx = ctx
    app.state.limiter = RateLimiter()
    app.state.public_cache = PublicCache(settings.public_cache_seconds)
    app.state.jobs = jobs
    install_error_handlers(app)
    for module in (
        auth,
        cases,
        organisation,
        rankings,
        exports,
        public,
        open311,
        runs,
        dashboard,
        inspection,
        benchmark,
    ):
        app.include_router(module.router)
    install_web(app)

    @app.get("/api/v1/health", operation_id="health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__, "database": db.backend}

    return app


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory gardencity.app:app_from_env`` (settings from GARDENCITY_*)."""
    app = create_app(Settings())  # type: ignore[call-arg]
    freeze_startup_heap()
    return app


def freeze_startup_heap() -> None:
    """Exempt what start-up left alive (modules, the app, the standards) from garbage collection.

    A server process imports geopandas, shapely, pyproj and SQLAlchemy: hundreds of thousands
    of long-lived objects that every full collection would walk again, a pause of a few hundred
    milliseconds on a 2-core machine, every few seconds under load (measured: 14 pauses of up
    to 416 ms in 20 s over 4 workers). Frozen, they stay out of the collector's way; request
    garbage is still collected. Call once per serving process, after the app is built.
    """
    gc.collect()
    gc.freeze()
