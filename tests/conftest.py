"""Shared fixtures: the S demo city (generated once per run, a copy per worker) and the M one
(once per run), real data paths, small zone builders."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data; the tests that use it must run (never skip) where it exists."""
    assert SHARED_DATA.is_dir(), f"{SHARED_DATA} is missing: clone the repo beside shared/"
    return SHARED_DATA


def built_once_per_run(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], Path]
) -> Path:
    """What ``build(folder)`` returns, built by the first of the run's workers (pytest-xdist)
    that asks for it; the others wait for it and read the same files. The tests read these
    folders only (they copy one before changing it)."""
    base = tmp_path_factory.getbasetemp()
    # the workers' temporary folders share their parent; a run without workers has its own
    run = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, done = run / f"shared-{name}", run / f"shared-{name}.done"
    with (run / f"shared-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed build left
            folder.mkdir()
            done.write_text(str(build(folder).relative_to(folder)), "utf-8")
    return folder / done.read_text("utf-8")


@pytest.fixture(scope="session")
def demo_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The S demo city, generated once per run; each worker has a copy of its own: many tests
    run the server and its jobs on it (caches written beside it)."""
    from gardencity.demo import generate_demo_city

    generated = built_once_per_run(
        tmp_path_factory, "demo-S", lambda folder: generate_demo_city(folder / "city", "S")
    )
    city = tmp_path_factory.mktemp("demo") / "city"
    shutil.copytree(generated, city)
    return city


@pytest.fixture(scope="session")
def demo_city_m(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The M demo city, generated once per run (the golden scorecard and the report read it)."""
    from gardencity.demo import generate_demo_city

    return built_once_per_run(
        tmp_path_factory, "demo-M", lambda folder: generate_demo_city(folder / "city", "M")
    )


@pytest.fixture(scope="session")
def demo_assessment(demo_city: Path):  # type: ignore[no-untyped-def]
    from gardencity.assessment import run_assessment

    return run_assessment(demo_city)


@pytest.fixture(scope="session")
def demo_report(demo_assessment, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:  # type: ignore[no-untyped-def]
    """The demo city's report.html in a language, written once a session (the tests that
    read it leave it as it is)."""
    from gardencity.reports import write_report

    written: dict[str, Path] = {}

    def report(lang: str) -> Path:
        if lang not in written:
            written[lang] = write_report(
                demo_assessment.to_dict(),
                demo_assessment.zones,
                demo_assessment.diagnostics,
                tmp_path_factory.mktemp(f"report-{lang}") / "report.html",
                lang=lang,
            )
        return written[lang]

    return report


ZoneMaker = Callable[..., gpd.GeoDataFrame]


@pytest.fixture
def make_zones() -> ZoneMaker:
    """A 1 km × 1 km built-up area split into two 500 m wide districts (EPSG:4547 by default)."""

    def make(
        crs: str | int = 4547,
        population: tuple[float, float] = (1000.0, 1000.0),
        origin: tuple[float, float] = (500_000.0, 3_000_000.0),
    ) -> gpd.GeoDataFrame:
        x, y = origin
        geoms = [
            shapely.box(x, y, x + 1000, y + 1000),
            shapely.box(x, y, x + 500, y + 1000),
            shapely.box(x + 500, y, x + 1000, y + 1000),
        ]
        return (
            gpd.GeoDataFrame(
                {
                    "name": ["城", "西区", "东区"],
                    "population": [sum(population), *population],
                    "kind": ["built_up_area", "district", "district"],
                },
                index=["built_up_area", "d1", "d2"],
                geometry=geoms,
                crs=4547,
            )
            .rename_axis("zone_id")
            .to_crs(crs)
        )

    return make


# --- campaign server: a fresh database per test, on SQLite and on PostgreSQL/PostGIS ---------


@pytest.fixture(scope="session")
def postgres_server() -> str | None:
    """The URL of the test PostgreSQL/PostGIS server that `make test` starts."""
    url = os.environ.get("GARDENCITY_TEST_POSTGRES_URL")
    if not url and os.environ.get("CI", "").lower() == "true":
        pytest.fail("GARDENCITY_TEST_POSTGRES_URL is not set: CI must run `make test`")
    return url


@pytest.fixture
def postgis_database(postgres_server: str | None) -> Iterator[str]:
    """URL (postgresql://…/db) of a fresh database copied from ``gardencity_template`` (which
    has PostGIS), dropped after the test."""
    import uuid

    import psycopg

    if not postgres_server:
        pytest.skip("PostgreSQL test server not running: use `make test`")
    server = postgres_server.replace("postgresql+psycopg://", "postgresql://")
    name = f"gc_ws_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{server}postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE gardencity_template")
    yield f"{server}{name}"
    with psycopg.connect(f"{server}postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def seeded_templates(
    postgres_server: str | None, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, object]:
    """One seeded organisation per backend, built once and copied for every test."""
    return {"tmp": tmp_path_factory.mktemp("seeded"), "pg": postgres_server, "built": {}}


@pytest.fixture(params=["sqlite", "postgresql"])
def campaign(request: pytest.FixtureRequest, seeded_templates: dict, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A running campaign app (TestClient) on a fresh copy of the seeded organisation."""
    from tests._campaign import campaign_fixture

    with campaign_fixture(request.param, seeded_templates, tmp_path) as env:
        yield env


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files with slow tests first, each file's tests in their order: with `--dist loadfile
    --no-loadscope-reorder` (make test) the workers start with the long files, and the many
    short ones keep both workers busy until the end."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)
