"""Page load times of the web pages on the M demo city, over loopback, in Debian's Chromium.

The M city (cached in benchmarks/cache/) gets an organisation, its assessment as a run and
some cases; a live server (uvicorn, its own process) serves it. For each page, after one
warm-up visit, five visits are timed:

* ``load_ms``: navigation start to the end of the browser's ``load`` event (HTML, CSS, JS,
  fonts), from the Navigation Timing API;
* ``ready_ms``: until the page's data has arrived: the end of the last response (API calls,
  GeoJSON layers) from the Resource Timing API, measured once the network is idle; for the
  map, until every layer shown by default is drawn (the heavy ones are one click away).
  Playwright's 500 ms idle window is not counted.

The target is under 1 s per page. Results go to benchmarks/results/web_pages.json.

    python -m benchmarks.web_pages
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
CACHE = HERE / "cache"
RESULTS = HERE / "results" / "web_pages.json"
PASSWORD = "bench-pass-1"
PAGES = ["/login", "/cockpit", "/map", "/cases", "/patrol", "/rankings", "/targets", "/runs"]
PUBLIC = ["/public"]
REPEAT = 5
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]


def prepare(size: str = "M") -> Path:
    """The demo city with its assessment imported as run 1 and a seeded organisation."""
    from gardencity.assessment import run_assessment
    from gardencity.campaign.config import load_campaign_config
    from gardencity.campaign.context import ServiceContext
    from gardencity.campaign.seed import seed_organisation
    from gardencity.db.engine import open_database
    from gardencity.demo import generate_demo_city
    from gardencity.io.workspace import Workspace
    from gardencity.jobs.runs import import_outputs
    from gardencity.reports import write_outputs
    from gardencity.settings import Settings
    from gardencity.storage.files import FileStore

    city = CACHE / f"demo_{size}"
    if not (city / "city.toml").exists():
        generate_demo_city(city, size)
    out = CACHE / f"out_{size}"
    if not (out / "scorecard.json").exists():
        write_outputs(run_assessment(city), out)
    workspace = CACHE / f"web_{size}"
    if workspace.exists():
        shutil.rmtree(workspace)
    shutil.copytree(city, workspace, ignore=shutil.ignore_patterns("campaign", "runs"))
    settings = Settings.for_workspace(workspace)
    db = open_database(settings.database_url)
    districts = Workspace.open(workspace).load_layer("districts")
    assert districts is not None
    ctx = ServiceContext(load_campaign_config(), FileStore(settings.files_dir))
    with db.session() as session:
        seed_organisation(session, ctx, districts, password=PASSWORD)
        import_outputs(session, workspace, out)
    db.dispose()
    return workspace


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed_cases(url: str, workspace: Path, count: int = 300) -> None:
    import geopandas as gpd

    from gardencity.io.workspace import Workspace

    districts = Workspace.open(workspace).load_layer("districts")
    assert districts is not None
    points = gpd.GeoSeries(districts.geometry.representative_point()).to_crs(4326)
    token = httpx.post(
        f"{url}/api/v1/auth/login", data={"username": "admin", "password": PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        for i in range(count):
            p = points.iloc[i % len(points)]
            response = client.post(
                "/api/v1/cases",
                json={"category": "weeds", "lon": p.x + (i % 7) * 1e-4, "lat": p.y, "title": "x"},
            )
            response.raise_for_status()
        client.post("/api/v1/rankings/compute").raise_for_status()


TIMINGS = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const ends = performance.getEntriesByType('resource').map((r) => r.responseEnd);
    const drawn = document.querySelector('[data-ready-ms]');
    if (drawn) ends.push(Number(drawn.dataset.readyMs));
    return [nav.loadEventEnd, Math.max(nav.loadEventEnd, ...ends)];
}"""


def _visit(page: Any, path: str) -> tuple[float, float]:
    page.goto(path, wait_until="load")
    page.wait_for_load_state("networkidle")
    if path == "/map":
        page.wait_for_selector("#map[data-ready='1']", timeout=120_000)
    load, ready = page.evaluate(TIMINGS)
    return float(load), float(ready)


def measure(url: str) -> dict[str, dict[str, float]]:
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(base_url=url, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto("/login")
        page.fill("#username", "admin")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        for path in PAGES + PUBLIC:
            loads, readies = [], []
            for attempt in range(REPEAT + 1):
                load, ready = _visit(page, path)
                if attempt:  # the first visit warms the caches
                    loads.append(load)
                    readies.append(ready)
            results[path] = {
                "load_ms": round(statistics.median(loads), 1),
                "ready_ms": round(statistics.median(readies), 1),
                "load_ms_max": round(max(loads), 1),
                "ready_ms_max": round(max(readies), 1),
            }
            print(path, results[path], flush=True)
        browser.close()
    return results


def main() -> None:
    workspace = prepare("M")
    port = _free_port()
    database = (workspace / "campaign" / "campaign.db").resolve()
    env = os.environ | {
        "GARDENCITY_DATABASE_URL": f"sqlite:///{database}",
        "GARDENCITY_FILES_DIR": str(workspace / "campaign" / "files"),
        "GARDENCITY_WORKSPACE": str(workspace),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "gardencity.app:app_from_env",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        _seed_cases(url, workspace)
        pages = measure(url)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    worst = max(v["load_ms"] for v in pages.values())
    worst_ready = max(v["ready_ms"] for v in pages.values())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "city": "M demo city (about 95 km²), 300 cases, loopback, Debian chromium",
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "repeat": REPEAT,
                "target_ms": 1000,
                "worst_load_ms": worst,
                "worst_ready_ms": worst_ready,
                "pages": pages,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"worst page load {worst:.0f} ms -> {RESULTS}")


if __name__ == "__main__":
    main()
