"""The feature under a click, looked up by its place (a city's overview zooms, where the
tiles carry no feature ids), on a large city.

The demo city (generated and assessed once, cached in benchmarks/cache/) is copied with its
assessment imported as run 1, which cuts the tiles and keeps each layer's feature shapes
with their R-tree. For each heavy layer:

* ``index``: the shapes and R-tree's size in the layer's MBTiles file (MB), and the time to
  write them again from the shapes (wall and CPU seconds: what they add to a tile cut);
* ``lookup_ms``: ``POINTS`` lookups (half at a point inside a random feature, half at
  random points of the layer's bounds), as :func:`feature_at` (``direct``) and through the
  API (``api``: ``GET /api/v1/runs/1/tiles/{layer}/features?at=…``, in-process
  TestClient): median, 95th percentile and slowest, wall and CPU; ``found``: the share
  that found a feature. Target: ≤ 50 ms a lookup.

    python -m benchmarks.feature_lookup [--size L] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from benchmarks.server_tools import machine
from benchmarks.web_pages import CACHE, PASSWORD, prepare

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "feature_lookup.json"
POINTS = 400
#: metres of tolerance, as the map asks at zoom 14 (4 pixels of about 8 m)
TOLERANCE_M = 32.0
TARGET_MS = 50


def _spread(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 2),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max": round(ordered[-1], 2),
    }


def _points(path: Path, rng: np.random.Generator) -> list[tuple[float, float]]:
    with sqlite3.connect(path) as db:
        ids = [row[0] for row in db.execute("SELECT id FROM feature_shapes")]
        chosen = rng.choice(ids, size=POINTS // 2, replace=len(ids) < POINTS // 2).tolist()
        shapes = [
            db.execute("SELECT shape FROM feature_shapes WHERE id = ?", (int(i),)).fetchone()[0]
            for i in chosen
        ]
        west, east, south, north = db.execute(
            "SELECT MIN(west), MAX(east), MIN(south), MAX(north) FROM feature_bounds"
        ).fetchone()
    db.close()
    inside = shapely.point_on_surface(shapely.from_wkb(shapes))
    points = [(p.x, p.y) for p in inside]
    lon = rng.uniform(west, east, POINTS - len(points))
    lat = rng.uniform(south, north, POINTS - len(points))
    return points + list(zip(lon.tolist(), lat.tolist(), strict=True))


def _index(path: Path) -> dict[str, float]:
    """The index's size, and the time to write it again from its shapes."""
    import geopandas as gpd
    import pandas as pd

    from gardencity.jobs.feature_index import write_feature_index

    with sqlite3.connect(path) as db:
        shapes = db.execute("SELECT SUM(length(shape)) FROM feature_shapes").fetchone()[0]
        nodes = db.execute("SELECT SUM(length(data)) FROM feature_bounds_node").fetchone()[0]
        rows = db.execute("SELECT id, shape FROM feature_shapes ORDER BY id").fetchall()
    db.close()
    series = gpd.GeoSeries(shapely.from_wkb([r[1] for r in rows]), crs=4326)
    ids = pd.Index([r[0] for r in rows])
    wall, cpu = time.perf_counter(), time.process_time()
    with sqlite3.connect(":memory:") as scratch:
        write_feature_index(scratch, series, ids)
    scratch.close()
    return {
        "features": len(rows),
        "mb": round((shapes + nodes) / 1e6, 2),
        "write_s": round(time.perf_counter() - wall, 3),
        "write_cpu_s": round(time.process_time() - cpu, 3),
    }


def _timed(ask: Any, points: list[tuple[float, float]]) -> dict[str, Any]:
    wall: list[float] = []
    cpu: list[float] = []
    found = 0
    for lon, lat in points:
        w, c = time.perf_counter(), time.process_time()
        found += bool(ask(lon, lat))
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return {"wall": _spread(wall), "cpu": _spread(cpu), "found": round(found / len(points), 3)}


def measure(size: str, reuse: bool = False) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from gardencity.app import create_app
    from gardencity.jobs.feature_index import feature_at
    from gardencity.jobs.runs import run_dir
    from gardencity.jobs.tiles import tiles_available
    from gardencity.settings import Settings

    started = time.perf_counter()
    workspace = CACHE / f"web_{size}"
    if not (reuse and (run_dir(workspace, 1) / "tiles").is_dir()):
        workspace = prepare(size)
    prepared_s = time.perf_counter() - started
    run = run_dir(workspace, 1)
    rng = np.random.default_rng(15)
    app = create_app(Settings.for_workspace(workspace), background=False)
    layers: dict[str, Any] = {}
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/auth/login", data={"username": "admin", "password": PASSWORD}
        ).json()["access_token"]
        client.cookies.clear()
        headers = {"Authorization": f"Bearer {token}"}
        for name in tiles_available(run):
            path = run / "tiles" / f"{name}.mbtiles"
            points = _points(path, rng)
            url = f"/api/v1/runs/1/tiles/{name}/features"

            def api(lon: float, lat: float, url: str = url) -> bool:
                query = {"at": f"{lon:.7f},{lat:.7f}", "tolerance": TOLERANCE_M}
                answer = client.get(url, params=query, headers=headers)
                assert answer.status_code in (200, 404), answer.text
                return answer.status_code == 200

            def direct(lon: float, lat: float, path: Path = path) -> bool:
                return feature_at(path, lon, lat, TOLERANCE_M) is not None

            direct(*points[0])  # the file opened once
            layers[name] = {
                "index": _index(path),
                "lookup_ms": {"direct": _timed(direct, points), "api": _timed(api, points)},
            }
            print(name, json.dumps(layers[name]), flush=True)
    return {
        "size": size,
        "points": POINTS,
        "tolerance_m": TOLERANCE_M,
        "target_ms": TARGET_MS,
        "prepare_s": round(prepared_s, 1),
        "layers": layers,
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="L")
    parser.add_argument(
        "--reuse", action="store_true", help="the city and run of the last measure, if any"
    )
    args = parser.parse_args()
    result = measure(args.size, args.reuse)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[args.size] = result
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
