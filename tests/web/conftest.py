"""A live server for the browser tests: the S demo city with a seeded organisation and its
assessment, served by uvicorn on a free loopback port; Debian's Chromium via Playwright."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx
import pytest
import yaml

from tests._campaign import PASSWORD

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "web"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def jpeg(colour: tuple[int, int, int]) -> bytes:
    """A real (small) JPEG photo, so that the pages can show it."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


@dataclass
class LiveServer:
    url: str
    workspace: Path
    run_id: int
    units: dict[str, int]
    district_points: list[tuple[float, float]]  # (lon, lat) inside each district
    _tokens: dict[str, str] = field(default_factory=dict)
    # a connection idle for 2 s is not reused: uvicorn closes it after 5 s
    _client: httpx.Client = field(
        default_factory=lambda: httpx.Client(limits=httpx.Limits(keepalive_expiry=2)), repr=False
    )

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """A request as ``httpx.request`` sends it (no cookie kept from an earlier answer),
        without building a new client, and its SSL context, for each one."""
        self._client.cookies.clear()
        return self._client.request(method, url, **kwargs)

    def close(self) -> None:
        self._client.close()

    def headers(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            response = self._send(
                "POST",
                f"{self.url}/api/v1/auth/login",
                data={"username": username, "password": PASSWORD},
            )
            assert response.status_code == 200, response.text
            self._tokens[username] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def api(self, method: str, path: str, username: str, **kwargs: Any) -> Any:
        response = self._send(
            method, f"{self.url}{path}", headers=self.headers(username), timeout=60, **kwargs
        )
        assert response.status_code < 400, f"{method} {path}: {response.text}"
        return response.json() if response.content else None

    def unit_code(self, unit_id: int) -> str:
        return next(code for code, uid in self.units.items() if uid == unit_id)


@pytest.fixture(scope="session")
def live_server(
    demo_city: Path, demo_assessment: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    from gardencity.campaign.config import load_campaign_config
    from gardencity.campaign.context import ServiceContext
    from gardencity.campaign.seed import seed_organisation
    from gardencity.db.engine import open_database
    from gardencity.io.workspace import Workspace
    from gardencity.jobs.runs import import_outputs
    from gardencity.reports.outputs import write_outputs
    from gardencity.settings import Settings
    from gardencity.storage.files import FileStore

    root = tmp_path_factory.mktemp("web")
    workspace = root / "city"
    shutil.copytree(demo_city, workspace)
    outputs = root / "out"
    write_outputs(demo_assessment, outputs)
    settings = Settings.for_workspace(workspace)
    db = open_database(settings.database_url)
    districts = Workspace.open(workspace).load_layer("districts")
    assert districts is not None
    ctx = ServiceContext(load_campaign_config(), FileStore(settings.files_dir))
    with db.session() as session:
        seed = seed_organisation(session, ctx, districts, password=PASSWORD)
        run_id = import_outputs(session, workspace, outputs).id
    db.dispose()
    inner = districts.geometry.representative_point()
    points = [(p.x, p.y) for p in gpd.GeoSeries(inner, crs=districts.crs).to_crs(4326)]

    port = _free_port()
    # notifications: links to this server, a short poll for the inbox count, and no scheduled
    # jobs (they would act on the real clock in the middle of other tests)
    city_config = root / "campaign.yaml"
    city_config.write_text(
        yaml.safe_dump(
            {
                "notifications": {
                    "base_url": f"http://127.0.0.1:{port}/",
                    "inbox_poll_seconds": 2,
                    "schedule": dict.fromkeys(("escalation", "reminders", "digest", "flags")),
                }
            }
        ),
        "utf-8",
    )
    env = os.environ | {
        "GARDENCITY_CAMPAIGN_CONFIG": str(city_config),
        "GARDENCITY_DATABASE_URL": settings.database_url,
        "GARDENCITY_FILES_DIR": str(settings.files_dir),
        "GARDENCITY_WORKSPACE": str(workspace),
        "GARDENCITY_NODE_MODULES": str(REPO / "node_modules"),
        # every browser test logs in from 127.0.0.1: more than the default 20 a minute
        "GARDENCITY_LOGINS_PER_MINUTE": "1000",
        # and every resident's report in the tests comes from 127.0.0.1 too: more than the
        # default 10 a minute when several files report through one server
        "GARDENCITY_PUBLIC_WRITES_PER_MINUTE": "1000",
    }
    log = (root / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "gardencity.app:app_from_env",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-proxy-headers",  # as `gardencity serve` runs it (the app reads them)
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the server and its job worker
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, (root / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start in 60 s"
            time.sleep(0.3)
        live = LiveServer(url, workspace, run_id, dict(seed.units), points)
        yield live
        live.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)  # a job worker still running
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make install`"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shot() -> Any:
    """Save a screenshot of a page as a test artefact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return save


def watch_errors(page: Any) -> list[str]:
    """Collect the page's script errors and Content-Security-Policy violations in
    ``page.errors`` (the tests expect none)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    page.errors = errors
    return errors


def residential_parcel(server: LiveServer) -> tuple[Any, float, float]:
    """The largest residential parcel and a point inside it (lon, lat)."""
    land_use = gpd.read_file(server.workspace / "city.gpkg", layer="land_use")
    residential = land_use[land_use["code"].str.startswith("R")]
    parcel = residential.loc[residential.geometry.area.idxmax()]
    point = gpd.GeoSeries([parcel.geometry.representative_point()], crs=land_use.crs)
    lonlat = point.to_crs(4326).iloc[0]
    return parcel, lonlat.x, lonlat.y


def login(browser: Any, server: LiveServer, username: str, **context: Any) -> Any:
    """A new browser context logged in as ``username`` through the login page."""
    ctx = browser.new_context(base_url=server.url, locale="zh-CN", **context)
    page = ctx.new_page()
    watch_errors(page)
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    if page.url.split("?")[0].endswith("/login"):
        message = page.locator("body").inner_text()[:300]
        raise AssertionError(f"{username} could not log in: {message}")
    return page


def patrol_on_phone(browser: Any, server: LiveServer, lon: float, lat: float) -> Any:
    """A district's patrol logged in on a phone whose GPS says (``lon``, ``lat``)."""
    return login(
        browser,
        server,
        "patrol1",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": lon, "latitude": lat},
        permissions=["geolocation"],
    )
