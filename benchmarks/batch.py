"""assess-batch on a 2-worker Dask LocalCluster against one worker: 20 M demo cities.

    python -m benchmarks.batch [--cities 20] [--size M]

The cities (different seeds, cached in benchmarks/cache/batch_<size>/) are generated once.
Each configuration assesses all of them through :func:`gardencity.jobs.batch.assess_batch`;
the wall time includes starting and stopping the cluster. The scorecards of the two runs
must be identical (indicator values and statuses). Beside them the machine's own scaling is
recorded: the same pure-Python work in one process, then in two at once. Results go to
benchmarks/results/batch.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from gardencity.assessment.scorecard import Scorecard

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "batch.json"


def _cities(size: str, count: int) -> list[Path]:
    from gardencity.demo import generate_demo_city

    root = HERE / "cache" / f"batch_{size}"
    paths = []
    for i in range(count):
        city = root / f"city_{i + 1:02d}"
        if not (city / "city.toml").exists():
            generate_demo_city(city, size, seed=1000 + i, overwrite=True)
        paths.append(city)
    return paths


def _values(scorecards: dict[str, Scorecard]) -> dict[str, list[Any]]:
    return {
        city: [(i.id, i.value, i.status.value) for i in card.indicators]
        for city, card in sorted(scorecards.items())
    }


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def _machine_scaling(n: int = 30_000_000) -> dict[str, float]:
    """The same pure-Python work in one process, then in two at once: how much faster two
    workers can be at best on this machine (virtual cores may share a physical one)."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        pool.submit(_spin, 1).result()
        start = time.perf_counter()
        pool.submit(_spin, n).result()
        one = time.perf_counter() - start
        start = time.perf_counter()
        list(pool.map(_spin, [n, n]))
        two = time.perf_counter() - start
    return {
        "one_job_s": round(one, 2),
        "two_jobs_at_once_s": round(two, 2),
        "speedup": round(2 * one / two, 2),
    }


def main() -> None:
    from gardencity.jobs.batch import assess_batch

    parser = argparse.ArgumentParser()
    parser.add_argument("--cities", type=int, default=20)
    parser.add_argument("--size", default="M")
    args = parser.parse_args()
    cities = _cities(args.size, args.cities)
    runs: dict[str, Any] = {}
    values = {}
    for workers in (1, 2):
        result = assess_batch(cities, n_workers=workers)
        if result.failures:
            raise SystemExit(f"cities failed: {result.failures}")
        runs[f"{workers}_worker"] = {"wall_s": round(result.seconds, 1)}
        values[workers] = _values(result.scorecards)
        print(f"{workers} worker(s): {result.seconds:.1f} s", flush=True)
    speedup = runs["1_worker"]["wall_s"] / runs["2_worker"]["wall_s"]
    out = {
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "cities": args.cities,
        "size": args.size,
        "runs": runs,
        "speedup": round(speedup, 2),
        "identical_results": values[1] == values[2],
        "machine_scaling": _machine_scaling(),
        "target": {"speedup": 1.8},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps({k: out[k] for k in ("runs", "speedup", "identical_results")}))


if __name__ == "__main__":
    main()
