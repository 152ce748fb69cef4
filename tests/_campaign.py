"""Helpers for the campaign server tests: seeded templates, copies per test, log-ins."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import psycopg
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import select

from gardencity.app import create_app
from gardencity.auth.models import User
from gardencity.auth.sessions import issue_token
from gardencity.campaign.config import load_campaign_config
from gardencity.campaign.context import ManualClock, ServiceContext
from gardencity.campaign.seed import SeedResult, seed_organisation
from gardencity.db.engine import open_database
from gardencity.settings import Settings
from gardencity.storage.files import FileStore

PASSWORD = "test-pass-1"
START = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Beijing


def two_districts() -> gpd.GeoDataFrame:
    """Two 2 km × 2 km districts side by side (CGCS2000 / 3-degree GK CM 117°E)."""
    x, y = 500_000.0, 3_800_000.0
    return gpd.GeoDataFrame(
        {"name": ["鼓楼区", "云龙区"]},
        geometry=[
            shapely.box(x, y, x + 2000, y + 2000),
            shapely.box(x + 2000, y, x + 4000, y + 2000),
        ],
        crs=4548,
    )


def _admin_url(server: str, database: str) -> str:
    return server.replace("postgresql+psycopg://", "postgresql://") + database


def build_seeded_template(backend: str, store: dict[str, Any]) -> tuple[str, SeedResult]:
    built: dict[str, tuple[str, SeedResult]] = store["built"]
    if backend in built:
        return built[backend]
    if backend == "sqlite":
        url = f"sqlite:///{store['tmp'] / 'template.db'}"
    else:
        server = store["pg"]
        if not server:
            pytest.skip("PostgreSQL test server not running: use `make test`")
        name = f"gc_seed_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(_admin_url(server, "postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE gardencity_template")
        url = f"{server}{name}"
    db = open_database(url)
    ctx = ServiceContext(
        load_campaign_config(), FileStore(store["tmp"] / "files"), ManualClock(START)
    )
    with db.session() as session:
        seed = seed_organisation(session, ctx, two_districts(), password=PASSWORD, cell_m=1000)
    db.dispose()
    built[backend] = (url, seed)
    return built[backend]


@dataclass
class CampaignEnv:
    client: TestClient
    seed: SeedResult
    clock: ManualClock
    backend: str
    url: str
    app: Any
    _tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            self._tokens[username] = self._open_session(username)
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def _open_session(self, username: str) -> str:
        """The secret of a new log-in session of ``username``: the session that POST
        /api/v1/auth/login opens, without its Argon2id check of the password (slow by design,
        a quarter of a CPU second a log-in; the log-in itself is tested in
        tests/api/test_credentials.py and tests/api/test_login_limits.py)."""
        lifetime = timedelta(hours=self.app.state.settings.session_hours)
        with self.app.state.db.session() as session:
            user = session.scalars(select(User).where(User.username == username)).one()
            assert user.is_active, f"{username} could not log in: inactive"
            return issue_token(session, user, kind="session", lifetime=lifetime, now=self.clock())

    def forget_logins(self) -> None:
        self._tokens.clear()

    def unit(self, code: str) -> int:
        return self.seed.units[code]

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        """WGS 84 of a point given in the test city's metric CRS."""
        point = gpd.GeoSeries([shapely.Point(x, y)], crs=4548).to_crs(4326).iloc[0]
        return point.x, point.y

    def file(self, username: str, **fields: Any) -> dict[str, Any]:
        lon, lat = fields.pop("at", self.lonlat(500_300, 3_800_300))
        body = {"category": "bare_soil", "lon": lon, "lat": lat} | fields
        response = self.client.post("/api/v1/cases", json=body, headers=self.headers(username))
        assert response.status_code == 201, response.text
        return dict(response.json())

    def act(self, username: str, case: dict[str, Any], action: str, **fields: Any) -> Any:
        current = self.client.get(f"/api/v1/cases/{case['id']}", headers=self.headers(username))
        version = current.json().get("version", case.get("version", 1))
        body = {"version": version} | fields
        return self.client.post(
            f"/api/v1/cases/{case['id']}/actions/{action}",
            json=body,
            headers=self.headers(username),
        )


@contextmanager
def seeded_database(
    backend: str, store: dict[str, Any], tmp_path: Path
) -> Iterator[tuple[str, SeedResult]]:
    """A fresh copy of the seeded organisation: its URL (dropped afterwards) and the seed."""
    template, seed = build_seeded_template(backend, store)
    if backend == "sqlite":
        copy = tmp_path / "campaign.db"
        shutil.copyfile(template.removeprefix("sqlite:///"), copy)
        yield f"sqlite:///{copy}", seed
        return
    server = store["pg"]
    name = f"gc_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_url(server, "postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template.rsplit('/', 1)[1]}")
    try:
        yield f"{server}{name}", seed
    finally:
        with psycopg.connect(_admin_url(server, "postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def campaign_fixture(
    backend: str, store: dict[str, Any], tmp_path: Path, **settings: Any
) -> Iterator[CampaignEnv]:
    with seeded_database(backend, store, tmp_path) as (url, seed):
        clock = ManualClock(START)
        app = create_app(
            Settings(database_url=url, files_dir=tmp_path / "files", **settings),
            clock=clock,
            background=False,
        )
        try:
            with TestClient(app) as client:
                yield CampaignEnv(client, seed, clock, backend, url, app)
        finally:
            app.state.db.dispose()
