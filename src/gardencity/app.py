"""The server application: the JSON API, the web pages and the job runner on one FastAPI app.

``create_app(settings)`` builds a fresh app (tests build many).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gardencity import __version__
from gardencity.api.errors import install_error_handlers
from gardencity.api.public_cache import PublicCache
from gardencity.api.security import install_security
from gardencity.auth.throttle import RateLimiter
from gardencity.campaign.config import load_campaign_config
from gardencity.campaign.context import Clock, ServiceContext, system_clock
from gardencity.db.engine import REQUEST_THREADS, open_database
from gardencity.settings import Settings
from gardencity.storage.files import FileStore

__all__ = ["app_from_env", "create_app", "freeze_startup_heap", "tune_serving_process"]


def create_app(
    settings: Settings, *, clock: Clock = system_clock, background: bool = True
) -> FastAPI:
    """A campaign server for ``settings``: database migrated, file store ready, routes in.

    With ``background`` the process also delivers notifications and runs the scheduler
    (threads started and stopped with the app); tests that drive them by hand turn it off.
    """
    from gardencity.api.patrol_inputs import ranking_inputs_for
    from gardencity.jobs import JobRunner, mark_interrupted
    from gardencity.maintenance.checklists import load_checklists
    from gardencity.notifications.config import load_notification_config
    from gardencity.notifications.outbox import Notifier
    from gardencity.notifications.runtime import NotificationRuntime

    db = open_database(settings.database_url)
    files = FileStore(settings.files_dir, max_bytes=int(settings.max_upload_mb * 1_000_000))
    campaign = load_campaign_config(settings.campaign_config)
    notifier = Notifier(load_notification_config(settings.campaign_config), campaign, clock)
    ctx = ServiceContext(
        campaign, files, clock, listener=notifier, ranking_inputs=ranking_inputs_for(settings)
    )
    city = {"city_name": settings.city_name, "city_name_en": settings.city_name_en}
    notices = NotificationRuntime(db, ctx, notifier, **city)

    jobs = JobRunner(settings.database_url, settings.workspace or settings.files_dir)
    limiter = RateLimiter.for_database(
        settings.database_url,
        db.engine,
        clock=clock,
        lockout_after=settings.login_lockout_after,
        lockout_max_s=settings.login_lockout_max_minutes * 60,
    )
    if settings.workspace is not None:
        with db.session() as session:
            mark_interrupted(session)  # their worker died with the previous server

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        tune_serving_process()
        if background:
            notices.start()
        yield
        notices.stop()
        jobs.shutdown()
        limiter.dispose()
        db.dispose()

    app = FastAPI(
        title="gardencity 创园平台 API",
        version=__version__,
        description=(
            "Garden City campaign (园林城市创建): cases, responsible units, red and black "
            "flags, targets and Open311 GeoReport v2."
        ),
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.ctx = ctx
    app.state.checklists = load_checklists(settings.maintenance_config, set(campaign.categories))
    app.state.limiter = limiter
    app.state.public_cache = PublicCache(settings.public_cache_seconds)
    app.state.run_tile_folders = {}  # run id -> its folder, once it served tiles
    app.state.jobs = jobs
    app.state.notifications = notices
    _install_routes(app, settings)

    @app.get("/api/v1/health", operation_id="health", tags=["meta"])
    async def health() -> dict[str, str]:  # on the event loop: answers while threads are busy
        return {"status": "ok", "version": __version__, "database": db.backend}

    return app


def _install_routes(app: FastAPI, settings: Settings) -> None:
    """Error handlers, the security layer, every API router and the web pages."""
    from gardencity.api.routes import (
        auth,
        benchmark,
        cases,
        dashboard,
        exports,
        inspection,
        maintenance,
        notifications,
        open311,
        organisation,
        patrols,
        public,
        rankings,
        runs,
        vocabulary,
    )
    from gardencity.web import install_web
    from gardencity.web.pages import refusal_page

    install_error_handlers(app)
    install_security(app, settings, page_refusal=refusal_page)
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
        notifications,
        patrols,
        maintenance,
        vocabulary,
    ):
        app.include_router(module.router)
    install_web(app)


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory gardencity.app:app_from_env --no-proxy-headers`` (settings
    from GARDENCITY_*; the app reads proxy headers itself, from the trusted proxies only)."""
    app = create_app(Settings())  # type: ignore[call-arg]
    freeze_startup_heap()
    return app


SWITCH_INTERVAL_S = 0.001
"""How long a thread may hold the GIL while others wait (Python's default: 5 ms)."""
UPLOAD_SPOOL_BYTES = 8 * 1024 * 1024
"""Uploads up to this size are received in memory (Starlette's default: 1 MB)."""


def tune_serving_process() -> None:
    """Settings of a process that serves requests (run by the app's lifespan).

    The event loop and the request threads take turns at the GIL, and a thread that wants
    it waits until the holder drops it: for up to the switch interval when the holder is
    busy. The loop needs the GIL for every step (each 64 KB of an upload, each answer to a
    health check), and so does a request thread after every SQLite call; a switch interval
    of 1 ms instead of 5 ms keeps these waits short under load (benchmarks/office_load.py:
    p99 and throughput both better). The request threads are as many as the database pool
    keeps connections for (``REQUEST_THREADS``). Starlette writes an upload larger than its
    spool size to a temporary file through the thread pool, one hand-over per 64 KB; phone
    photos (3–5 MB) stay in memory below ``UPLOAD_SPOOL_BYTES``.
    """
    from anyio.to_thread import current_default_thread_limiter
    from starlette.formparsers import MultiPartParser

    current_default_thread_limiter().total_tokens = REQUEST_THREADS
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, UPLOAD_SPOOL_BYTES)


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
