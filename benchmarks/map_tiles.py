"""The map on a large city, in Debian's Chromium over loopback: the first map, then each heavy
layer switched on, drawn from the run's vector tiles (and, for comparison, as GeoJSON).

The demo city (generated and assessed once, cached in benchmarks/cache/) is copied with an
organisation and its assessment imported as run 1, which cuts the tiles; a live server
(uvicorn, its own process) serves it. Each of ``REPEAT`` visits (after a warm-up) is a new
browser context, so no tile comes from the browser's cache, at 1440×900:

* ``first_map_ms``: navigation start until the layers shown by default are drawn
  (``#map[data-ready-ms]``: outlines, uncovered residential land, cases);
* ``switch_ms[layer]``: from the checkbox's change event until the layer's tiles in view
  are drawn (the grid's ``load`` plus two frames; ``gc.mapDrawn``), one layer at a time,
  each switched off again before the next; ``tiles_fetched[layer]``: how many tiles that
  took, their kB as sent (gzip) and unpacked.

``views[zoom]``: the same switches with the map first set to ``zoom`` (``ZOOM_VIEWS``) over
the densest part of the city (``at``: the centre of the zoom-14 tile of green spaces with
the most features; ``--at LAT,LON`` to give it), where every feature is drawn on its own.

``--geojson SIZE`` measures the same on a copy whose run has no tiles (the map then loads
GeoJSON, as before tiles). Targets: first map ≤ 1 s, a layer switch ≤ 300 ms. Results go to
benchmarks/results/map_tiles.json. ``--first-map`` measures the first map only (with
``first_tile_ms``: when its first tile was asked for, and the server's CPU seconds) and
prints it, writing nothing.

``--layers residential --zooms 14.5`` measures only those switches and views (printed).

    python -m benchmarks.map_tiles [--size L] [--geojson M] [--repeat 5] [--first-map]
        [--layers LAYER,...] [--zooms ZOOM,...]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.server_tools import machine, tree_cpu_seconds, uvicorn_server
from benchmarks.web_pages import CHROMIUM_ARGS, PASSWORD, prepare

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "map_tiles.json"
HEAVY = [
    "residential",
    "green_spaces",
    "uncovered_residential_walking",
    "road_shade_segments",
    "unshaded_road_segments",
]
VIEWPORT = {"width": 1440, "height": 900}
TARGETS = {"first_map_ms": 1000, "switch_ms": 300}
#: the zooms of the close views (the map's own zoom; data tiles of 512 px are one below)
ZOOM_VIEWS = (13.5, 14.5)
#: the map set to a view, resolved once every shown tiled layer has drawn its tiles there
SET_VIEW = """([lat, lon, zoom]) => new Promise((done) => {
  const map = gc.mapLoaded.built_up_area._map;
  map.setView([lat, lon], zoom, { animate: false });
  const busy = () => Object.values(gc.mapLoaded).some((l) => l.tiled && l._map && l.isLoading());
  const wait = () => (busy() ? setTimeout(wait, 50) : setTimeout(done, 200));
  setTimeout(wait, 50);
})"""


#: when the first tile was asked for, in ms from the navigation's start
FIRST_TILE = """Math.min(...performance.getEntriesByType("resource")
  .filter((e) => e.name.includes(".pbf")).map((e) => e.startTime))"""


def _visit(
    browser: Any,
    url: str,
    state: dict[str, Any],
    view: tuple[float, float, float] | None = None,
    layers: tuple[str, ...] = tuple(HEAVY),
) -> dict[str, Any]:
    context = browser.new_context(base_url=url, viewport=VIEWPORT, storage_state=state)
    page = context.new_page()
    page.goto("/map")
    page.wait_for_selector("#map[data-ready='1']", timeout=300_000)
    first = float(page.locator("#map").get_attribute("data-ready-ms") or "nan")
    first_tile = float(page.evaluate(FIRST_TILE))
    if view is not None:
        page.evaluate(SET_VIEW, list(view))
    switches: dict[str, float] = {}
    fetched: dict[str, list[float]] = {}
    for name in layers:
        page.check(f"#layer-{name}")
        page.wait_for_selector(f"#map[data-layer_{name}='drawn']", timeout=300_000)
        switches[name] = float(page.evaluate(f"gc.mapDrawn[{name!r}]"))
        fetched[name] = page.evaluate(TILES_FETCHED, name)
        page.uncheck(f"#layer-{name}")
    tiled = page.evaluate("Object.keys(gc.mapLoaded).filter((k) => gc.mapLoaded[k].tiled)")
    zoom = page.evaluate("gc.mapLoaded.built_up_area._map.getZoom()")
    context.close()
    return {"first_map_ms": first, "first_tile_ms": first_tile, "switch_ms": switches,
            "tiled": sorted(tiled), "fetched": fetched, "zoom": zoom}  # fmt: skip


#: a layer's tiles the browser fetched: how many, and their bytes (as sent, gzip; unpacked)
TILES_FETCHED = """(name) => {
  const tiles = performance.getEntriesByType("resource")
    .filter((e) => e.name.includes(`/tiles/${name}/`));
  return [tiles.length, tiles.reduce((n, e) => n + e.transferSize, 0) / 1000,
          tiles.reduce((n, e) => n + e.decodedBodySize, 0) / 1000];
}"""


def _summary(visits: list[dict[str, Any]]) -> dict[str, Any]:
    layers = list(visits[0]["switch_ms"])
    switches = {n: [v["switch_ms"][n] for v in visits] for n in layers}
    return {
        "switch_ms": {n: round(statistics.median(t)) for n, t in switches.items()},
        "switch_ms_max": {n: round(max(t)) for n, t in switches.items()},
        # per layer switch: [tiles fetched, kB sent, kB unpacked]
        "tiles_fetched": {n: [round(v, 1) for v in visits[0]["fetched"][n]] for n in layers},
    }


def measure(
    url: str,
    repeat: int,
    at: tuple[float, float] | None = None,
    first_only: bool = False,
    chosen: tuple[tuple[str, ...], tuple[float, ...]] = (tuple(HEAVY), ZOOM_VIEWS),
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        login = browser.new_context(base_url=url)
        page = login.new_page()
        page.goto("/login")
        page.fill("#username", "admin")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        state = login.storage_state()
        login.close()
        heavy, zooms = chosen
        layers = () if first_only else heavy
        visits = [_visit(browser, url, state, None, layers) for _ in range(repeat + 1)][1:]
        close = {
            zoom: [_visit(browser, url, state, (*at, zoom), heavy) for _ in range(repeat + 1)][1:]
            for zoom in (zooms if at else ())
        }
        browser.close()
    firsts = [v["first_map_ms"] for v in visits]
    if first_only:
        return {
            "first_map_ms": round(statistics.median(firsts)),
            "first_map_ms_all": firsts,
            "first_tile_ms": round(statistics.median(v["first_tile_ms"] for v in visits)),
        }
    overview = _summary(visits)
    result = {
        "first_map_ms": round(statistics.median(firsts)),
        "first_map_ms_max": round(max(firsts)),
        "switch_ms": overview["switch_ms"],
        "switch_ms_max": overview["switch_ms_max"],
        "tiled_layers": visits[0]["tiled"],
        "zoom": visits[0]["zoom"],
        "tiles_fetched": overview["tiles_fetched"],
    }
    if at:
        result["at"] = [round(v, 5) for v in at]
        result["views"] = {str(zoom): _summary(v) for zoom, v in close.items()}
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


def densest(workspace: Path) -> tuple[float, float]:
    """(lat, lon) of the centre of the zoom-14 tile of green spaces with the most features
    (its largest tile: the detail tiles carry ids and classes only)."""
    import sqlite3

    from gardencity.jobs.runs import run_dir

    path = run_dir(workspace, 1) / "tiles" / "green_spaces.mbtiles"
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
        x, row = db.execute(
            "SELECT tile_column, tile_row FROM tiles WHERE zoom_level = 14 "
            "ORDER BY length(tile_data) DESC LIMIT 1"
        ).fetchone()
    n = 2**14
    y = n - 1 - row  # rows counted from the north
    lon = (x + 0.5) / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    return lat, lon


def _serve_and_measure(
    workspace: Path,
    repeat: int,
    at: tuple[float, float] | None = None,
    first_only: bool = False,
    chosen: tuple[tuple[str, ...], tuple[float, ...]] = (tuple(HEAVY), ZOOM_VIEWS),
) -> dict[str, Any]:
    database = (workspace / "campaign" / "campaign.db").resolve()
    env = {
        "GARDENCITY_DATABASE_URL": f"sqlite:///{database}",
        "GARDENCITY_FILES_DIR": str(workspace / "campaign" / "files"),
        "GARDENCITY_WORKSPACE": str(workspace),
    }
    with uvicorn_server(env) as (port, pid):
        cpu = tree_cpu_seconds(pid)
        result = measure(f"http://127.0.0.1:{port}", repeat, at, first_only, chosen)
        result["server_cpu_s"] = round(tree_cpu_seconds(pid) - cpu, 2)
    result["load_average_after"] = [round(v, 1) for v in os.getloadavg()]  # others' work too
    return result


def _features(workspace: Path) -> dict[str, int]:
    from gardencity.jobs.runs import run_dir
    from gardencity.jobs.tiles import open_tiles, tiles_available

    run = run_dir(workspace, 1)
    return {n: open_tiles(run, n).describe()["features"] for n in tiles_available(run)}


def _prepared(size: str, reuse: bool) -> Path:
    workspace = HERE / "cache" / f"web_{size}"
    if reuse and (workspace / "campaign" / "campaign.db").is_file():
        return workspace
    return prepare(size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="L")
    parser.add_argument("--geojson", default="M", help="size for the GeoJSON path ('' to skip)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the prepared workspace")
    parser.add_argument("--at", help="LAT,LON of the close views (default: the densest part)")
    parser.add_argument("--first-map", action="store_true", help="the first map only, printed")
    parser.add_argument("--layers", help="LAYER,... switched on (default: every heavy one)")
    parser.add_argument("--zooms", help="ZOOM,... of the close views (default: 13.5,14.5)")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "what": __doc__.split("\n\n")[0].replace("\n", " "),
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "provisional": "measured on a machine shared with other work: re-run on a quiet one",
        "viewport": VIEWPORT,
        "repeat": args.repeat,
        "targets_ms": TARGETS,
    }
    if args.first_map:
        measured = _serve_and_measure(_prepared(args.size, args.reuse), args.repeat, None, True)
        print(json.dumps(measured, ensure_ascii=False))
        return
    started = time.perf_counter()
    workspace = _prepared(args.size, args.reuse)  # imports the run, which cuts the tiles
    if not args.reuse:  # the city copied, its organisation seeded, the run imported and cut
        results["prepare_s"] = round(time.perf_counter() - started, 1)
    results["features"] = _features(workspace)
    at = tuple(float(v) for v in args.at.split(",")) if args.at else densest(workspace)
    chosen = (
        tuple(args.layers.split(",")) if args.layers else tuple(HEAVY),
        tuple(float(z) for z in args.zooms.split(",")) if args.zooms else ZOOM_VIEWS,
    )
    measured = _serve_and_measure(workspace, args.repeat, (at[0], at[1]), False, chosen)
    if args.layers or args.zooms:  # a part of the measure: printed, not written
        return
    results["tiles"] = {args.size: measured}
    if args.geojson:
        from gardencity.jobs.runs import run_dir

        plain = _prepared(args.geojson, args.reuse)
        shutil.rmtree(run_dir(plain, 1) / "tiles", ignore_errors=True)  # a run from before tiles
        results["geojson"] = {args.geojson: _serve_and_measure(plain, args.repeat)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"-> {RESULTS}")


if __name__ == "__main__":
    main()
