"""The application factory: ``create_app(settings)`` builds a fresh app (tests build many)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gardencity import __version__
from gardencity.api.deps import RateLimiter
from gardencity.api.errors import install_error_handlers
from gardencity.campaign.config import load_campaign_config
from gardencity.campaign.context import Clock, ServiceContext, system_clock
from gardencity.db.engine import open_database
from gardencity.settings import Settings
from gardencity.storage.files import FileStore

__all__ = ["app_from_env", "create_app"]


def create_app(settings: Settings, *, clock: Clock = system_clock) -> FastAPI:
    """A campaign server for ``settings``: database migrated, file store ready, routes in."""
    from gardencity.api.routes import (
        auth,
        cases,
        exports,
        inspection,
        open311,
        organisation,
        public,
        rankings,
    )

    db = open_database(settings.database_url)
    files = FileStore(settings.files_dir, max_bytes=int(settings.max_upload_mb * 1_000_000))
    ctx = ServiceContext(load_campaign_config(settings.campaign_config), files, clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
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
    install_error_handlers(app)
    for module in (auth, cases, organisation, rankings, exports, public, open311, inspection):
        app.include_router(module.router)

    @app.get("/api/v1/health", operation_id="health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__, "database": db.backend}

    return app


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory gardencity.api.app:app_from_env`` (settings from GARDENCITY_*)."""
    return create_app(Settings())  # type: ignore[call-arg]
