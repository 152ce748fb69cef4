"""Time the demo-city generation and the full assessment on the S, M and L demo cities.

Each size runs in its own process so the peak memory (ru_maxrss) is that size's alone.
Results go to benchmarks/results/assess_sizes.json (committed with the code).

    python -m benchmarks.assess_sizes [S M L]
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / "cache"
RESULTS = HERE / "results" / "assess_sizes.json"


def run_one(size: str) -> dict[str, object]:
    from gardencity.assessment import run_assessment
    from gardencity.demo import generate_demo_city
    from gardencity.reports import write_outputs

    city = CACHE / f"demo_{size}"
    started = time.perf_counter()
    generated = False
    if not (city / "city.toml").exists():
        generate_demo_city(city, size)
        generated = True
    generation_s = time.perf_counter() - started
    started = time.perf_counter()
    assessment = run_assessment(city)
    assess_s = time.perf_counter() - started
    started = time.perf_counter()
    write_outputs(assessment, CACHE / f"out_{size}")
    outputs_s = time.perf_counter() - started
    counts: dict[str, int] = {}
    from gardencity.io.workspace import Workspace

    ws = Workspace.open(city)
    for name in ("land_use", "green_spaces", "roads"):
        layer = ws.load_layer(name)
        counts[name] = 0 if layer is None else len(layer)
    residential = ws.load_layer("land_use")
    assert residential is not None
    counts["residential_parcels"] = int((residential["category"] == "residential").sum())
    parks = ws.load_layer("green_spaces")
    assert parks is not None
    counts["parks_g1"] = int(parks["green_class"].str.startswith("G1").sum())
    area_km2 = float(assessment.zones.geometry.iloc[0].area / 1e6)
    return {
        "size": size,
        "built_up_area_km2": round(area_km2, 1),
        "counts": counts,
        "generation_s": round(generation_s, 1) if generated else None,
        "assess_s": round(assess_s, 2),
        "outputs_s": round(outputs_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        "per_indicator_s": {k: round(v, 2) for k, v in assessment.timings_s.items()},
    }


def main(sizes: list[str]) -> None:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": {}}
    results["machine"] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for size in sizes:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.assess_sizes", "--one", size],
            check=True,
            capture_output=True,
            text=True,
        )
        run = json.loads(out.stdout.strip().splitlines()[-1])
        results["runs"][size] = run
        print(
            f"{size}: {run['built_up_area_km2']} km², assess {run['assess_s']} s, "
            f"outputs {run['outputs_s']} s, peak {run['peak_rss_mb']} MB",
            flush=True,
        )
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(run_one(sys.argv[2])))
    else:
        main(sys.argv[1:] or ["S", "M", "L"])
