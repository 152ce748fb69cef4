"""The benchmark runner (``make bench``): demo cities S, M, L generated once (cached in
benchmarks/cache/), the whole assessment and the costly indicators timed, each beside the
naive GeoPandas method measured in the same run, with wall time and peak memory per step.

    python -m benchmarks.run [S M L] [--steps STEP …]   (--steps: re-measure only these)

Every step runs in a fresh process, so its peak memory (``ru_maxrss``) is its own; the
result of each fast step is compared with its naive twin. Results go to
benchmarks/results/bench.json (committed with the code). A full run (no ``--steps``) with L
then runs ``benchmarks.measures`` (the slow measures and their peers, measures.json).

Naive twins:

* straight-line coverage: ``buffer`` → ``union_all`` → ``gpd.overlay(residential, union)``;
* canopy shares: one ``rasterio.mask`` read per zone polygon (per-polygon zonal statistics).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = HERE / "cache"
RESULTS = HERE / "results" / "bench.json"
STEPS = (
    "assess",
    "coverage_fast",
    "coverage_naive",
    "walking_fast",
    "canopy_fast",
    "canopy_naive",
    "whatif_park",
)


def _city(size: str) -> Path:
    from gardencity.demo import generate_demo_city

    city = CACHE / f"demo_{size}"
    if not (city / "city.toml").exists():
        generate_demo_city(city, size, overwrite=True)
    return city


def _inputs(size: str) -> tuple[Any, dict[str, Any]]:
    from gardencity.assessment.inputs import AssessmentInputs
    from gardencity.io.workspace import Workspace
    from gardencity.standards import load_standard

    ws = Workspace.open(_city(size))
    standard = load_standard(ws.config.city.standard)
    params = {spec.id: dict(spec.params) for spec in standard.indicators}
    return AssessmentInputs(ws), params


def step_assess(size: str) -> dict[str, Any]:
    from gardencity.assessment import run_assessment

    assessment = run_assessment(_city(size))
    value = next(i["value"] for i in assessment.to_dict()["indicators"])
    return {
        "value": value,
        "per_indicator_s": {k: round(v, 3) for k, v in assessment.timings_s.items()},
    }


def step_coverage_fast(size: str) -> dict[str, Any]:
    from gardencity.indicators.accessibility import park_service_coverage

    inputs, params = _inputs(size)
    args = [inputs.get(n) for n in ("zones", "land_use", "green_spaces", "historic_districts")]
    started = time.perf_counter()
    value = park_service_coverage(*args, **params["park_service_coverage"])
    return {"value": float(value.iloc[0]), "compute_s": time.perf_counter() - started}


def step_coverage_naive(size: str) -> dict[str, Any]:
    import geopandas as gpd
    import shapely

    from gardencity.toolkit import eligible_parks

    inputs, params = _inputs(size)
    p = params["park_service_coverage"]
    zones, land_use = inputs.get("zones"), inputs.get("land_use")
    parks = eligible_parks(
        inputs.get("green_spaces"),
        inputs.get("historic_districts"),
        bands=p["bands"],
        eligible_classes=p["eligible_classes"],
        require_open=p.get("require_open", True),
    )
    started = time.perf_counter()
    residential = land_use[land_use["category"] == "residential"][["geometry"]]
    residential = gpd.clip(residential, zones.geometry.iloc[0])
    buffers = shapely.buffer(
        parks.geometry.to_numpy(), parks["radius_m"].to_numpy(), quad_segs=p.get("quad_segs", 16)
    )
    union = gpd.GeoDataFrame(geometry=[shapely.union_all(buffers)], crs=zones.crs)
    covered = gpd.overlay(residential, union, how="intersection")
    value = 100.0 * covered.area.sum() / residential.area.sum()
    return {"value": float(value), "compute_s": time.perf_counter() - started}


def step_walking_fast(size: str) -> dict[str, Any]:
    from gardencity.indicators.accessibility import park_service_coverage_walking

    inputs, params = _inputs(size)
    names = (
        "zones",
        "land_use",
        "green_spaces",
        "walk_graph",
        "park_entrances",
        "historic_districts",
    )
    args = [inputs.get(n) for n in names]
    started = time.perf_counter()
    value = park_service_coverage_walking(*args, **params["park_service_coverage_walking"])
    return {"value": float(value.iloc[0]), "compute_s": time.perf_counter() - started}


def step_canopy_fast(size: str) -> dict[str, Any]:
    from gardencity.indicators.coverage import green_coverage_ratio

    inputs, _ = _inputs(size)
    zones, canopy = inputs.get("zones"), inputs.get("canopy")
    started = time.perf_counter()
    value = green_coverage_ratio(zones, canopy=canopy, source="raster")
    return {"value": float(value.iloc[0]), "compute_s": time.perf_counter() - started}


def step_canopy_naive(size: str) -> dict[str, Any]:
    import numpy as np
    from rasterio.features import geometry_mask

    inputs, _ = _inputs(size)
    zones, canopy = inputs.get("zones"), inputs.get("canopy")
    green = [int(v) for v in (canopy.classes or {}).values()]
    started = time.perf_counter()
    shares = []
    for geometry in zones.geometry:  # one full-raster mask per polygon
        inside = geometry_mask(
            [geometry], out_shape=canopy.array.shape, transform=canopy.transform, invert=True
        )
        if canopy.nodata is not None:
            inside &= canopy.array != canopy.nodata
        values = canopy.array[inside]
        shares.append(100.0 * np.isin(values, green).sum() / max(values.size, 1))
    return {"value": float(shares[0]), "compute_s": time.perf_counter() - started}


def step_whatif_park(size: str) -> dict[str, Any]:
    """One park added after a first assessment: the incremental re-evaluation, timed."""
    import shapely

    from gardencity.assessment import run_assessment
    from gardencity.whatif import IncrementalAssessment

    city = _city(size)
    started = time.perf_counter()
    base = run_assessment(city)
    base_s = time.perf_counter() - started
    whatif = IncrementalAssessment(city, base=base)
    setup_s = time.perf_counter() - started - base_s
    centre = whatif.zones.geometry.iloc[0].centroid
    started = time.perf_counter()
    whatif.add_park(shapely.Point(centre.x + 150, centre.y + 150).buffer(120))
    after = whatif.assessment()
    compute_s = time.perf_counter() - started
    changed = {
        r.id: [base.result(r.id).value, r.value]
        for r in after.indicators
        if r.value != base.result(r.id).value
    }
    return {
        "value": after.result("park_service_coverage").value,
        "compute_s": compute_s,
        "first_assessment_s": round(base_s, 3),
        "setup_s": round(setup_s, 3),
        "changed": changed,
    }


def run_step(step: str, size: str) -> dict[str, Any]:
    function: Callable[[str], dict[str, Any]] = globals()[f"step_{step}"]
    started = time.perf_counter()
    out = function(size)
    out["wall_s"] = round(time.perf_counter() - started, 3)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if "compute_s" in out:
        out["compute_s"] = round(out["compute_s"], 3)
    return out


def main(sizes: list[str], only: list[str] | None = None) -> None:
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["machine"] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    runs = results.setdefault("runs", {})
    for size in sizes:
        _city(size)  # generate once, outside the timed steps
        steps: dict[str, Any] = dict(runs.get(size, {})) if only else {}
        for step in only or STEPS:
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.run", "--step", step, size],
                check=True,
                capture_output=True,
                text=True,
            )
            steps[step] = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{size} {step}: {steps[step]['wall_s']} s, {steps[step]['peak_rss_mb']} MB",
                flush=True,
            )
        for fast, naive in (("coverage_fast", "coverage_naive"), ("canopy_fast", "canopy_naive")):
            if fast not in steps or naive not in steps:
                continue
            steps[f"{fast}:speedup"] = round(
                steps[naive]["compute_s"] / max(steps[fast]["compute_s"], 1e-6), 1
            )
            steps[f"{fast}:difference_pp"] = abs(steps[naive]["value"] - steps[fast]["value"])
        runs[size] = steps
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    if only is None and "L" in sizes:
        subprocess.run([sys.executable, "-m", "benchmarks.measures", "L"], check=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", metavar="SIZE", help="of S, M, L (default S M L)")
    parser.add_argument("--steps", nargs="+", choices=STEPS, help="re-measure only these")
    # one step in this process, for main (a fresh process each): --step STEP SIZE
    parser.add_argument("--step", nargs=2, metavar=("STEP", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if set(args.sizes) - set(("S", "M", "L")):
        parser.error(f"sizes are {', '.join(('S', 'M', 'L'))}, not {' '.join(args.sizes)}")
    if args.step:
        print(json.dumps(run_step(*args.step)))
    else:
        main(args.sizes or ["S", "M", "L"], args.steps)
