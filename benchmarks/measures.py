"""The slow measures timed on their own, and each engine beside a well-kept peer, in one run
(``make bench-measures``).

    python -m benchmarks.measures [S M L] [--repeat N] [--only NAME …]

For each size, the inputs are read once (outside the timings); then, ``N`` times each (the
median recorded, with the core count):

* the measures road green compliance, green space ratio and shaded roads, each beside its
  previous implementation (``benchmarks/measures_reference.py``), values asserted identical
  (green space ratio: within a relative 1e-12, :data:`RELATIVE_TOLERANCE`, since it sums the
  unions' areas without building the unions; the largest relative difference is recorded);
  on L every zone's value is also compared with the golden scorecard
  (``tests/data/golden/demo_L.json``), with the same tolerance;
* canopy shares (``raster_class_counts``) beside exactextract: the zones as they are (exactextract
  weights partly covered pixels, so the shares differ by the boundary pixels: recorded), and the
  zones as the pixels whose centres they hold (no partial pixel: identical counts asserted);
* straight-line coverage beside the naive overlay (``buffer`` → ``union_all`` →
  ``geopandas.overlay``): difference recorded and asserted below 1e-9 percentage points;
* walking coverage with scipy's Dijkstra beside pandana's contraction hierarchies (the
  network distances from pandana, everything else the same): pandana keeps distances in single
  precision, so the cells within that rounding (a few cm) of a service radius may change side;
  asserted: no other cell does.

Results go to benchmarks/results/measures.json (figures from a shared machine are provisional).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks import measures_reference as reference
from benchmarks.run import _city, _inputs

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "measures.json"
GOLDEN = HERE.parent / "tests" / "data" / "golden"
MEASURES = ("road_green_compliance", "green_space_ratio", "shaded_road_coverage")
PEERS = ("canopy_exactextract", "straight_naive_overlay", "walking_pandana")
#: measures whose values may differ from the previous implementation's in the last digits
#: (computed by another method), and by how much at most (relative); the others: identical
RELATIVE_TOLERANCE = {"green_space_ratio": 1e-12}


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    """Median wall time of ``repeat`` calls, all the times, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), [round(t, 3) for t in times], out


def cpu_timed(function: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall and CPU (this process) times of ``repeat`` calls, and the last result: on a
    shared machine the CPU time is the steadier figure."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        out = function()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), out


def _args(inputs: Any, names: tuple[str, ...]) -> list[Any]:
    return [inputs.get(name) for name in names]


def _calls(inputs: Any, params: dict[str, Any]) -> dict[str, tuple[Callable[[], Any], ...]]:
    """Per measure: (current, reference) calls on the same inputs."""
    from gardencity.indicators.green_space import green_space_ratio
    from gardencity.indicators.roads import road_green_compliance, shaded_road_coverage

    road = _args(inputs, ("zones", "roads", "green_spaces"))
    green = _args(inputs, ("zones", "green_spaces", "land_use"))
    shade = _args(inputs, ("zones", "roads", "canopy", "vegetation", "trees", "slow_lanes"))
    p = {name: params[name] for name in MEASURES}
    return {
        "road_green_compliance": (
            lambda: road_green_compliance(*road, **p["road_green_compliance"]),
            lambda: reference.road_green_compliance(*road, **p["road_green_compliance"]),
        ),
        "green_space_ratio": (
            lambda: green_space_ratio(*green, **p["green_space_ratio"]),
            lambda: reference.green_space_ratio(*green, **p["green_space_ratio"]),
        ),
        "shaded_road_coverage": (
            lambda: shaded_road_coverage(*shade, **p["shaded_road_coverage"]),
            lambda: reference.shaded_road_coverage(*shade, **p["shaded_road_coverage"]),
        ),
    }


def relative_difference(a: float, b: float) -> float:
    """``|a − b| / max(|a|, |b|)`` (0 when both are 0; NaN where they differ in being NaN)."""
    if a == b or (np.isnan(a) and np.isnan(b)):
        return 0.0
    return float(abs(a - b) / max(abs(a), abs(b)))


def _numbers(value: Any, prefix: str = "") -> dict[str, Any]:
    """The numbers in a series' values and attributes, by a path of keys (others as they are)."""
    if isinstance(value, pd.Series):
        out = {f"{prefix}[{k}]": float(v) for k, v in value.items()}
        out.update(_numbers(value.attrs, f"{prefix}.attrs"))
        return out
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(_numbers(item, f"{prefix}.{key}"))
        return out
    return {prefix: float(value) if isinstance(value, int | float) else value}


def differences(new: pd.Series, before: pd.Series, tolerance: float | None) -> tuple[bool, float]:
    """Whether ``new`` equals ``before`` (values and attributes: exactly, or with
    ``tolerance`` within that relative difference), and the largest relative difference."""
    a, b = _numbers(new), _numbers(before)
    if new.name != before.name or a.keys() != b.keys():
        return False, float("inf")
    largest = 0.0
    for key, value in a.items():
        if isinstance(value, float) and isinstance(b[key], float):
            largest = max(largest, relative_difference(value, b[key]))
        elif value != b[key]:
            return False, float("inf")
    same = largest == 0.0 if tolerance is None else largest <= tolerance
    return same, largest


def golden_differences(
    size: str, measure: str, series: pd.Series, tolerance: float | None = None
) -> tuple[list[str], float] | None:
    """Where ``series`` differs from the golden scorecard's value and district values (exact
    comparison, as tests/golden.py does, or within the relative ``tolerance``) and the largest
    relative difference; None without a golden file for the size."""
    path = GOLDEN / f"demo_{size}.json"
    if not path.exists():
        return None
    golden = json.loads(path.read_text(encoding="utf-8"))["indicators"][measure]
    expected = {"built_up_area": golden["value"], **golden["by_district"]}
    actual = {str(k): float(v) for k, v in series.items()}
    found, largest = [], 0.0
    for k, v in expected.items():
        mine = actual.get(k)
        difference = float("inf") if mine is None else relative_difference(mine, v)
        largest = max(largest, difference)
        if difference > (tolerance or 0.0):
            found.append(f"{k}: {mine!r} != {v!r}")
    return found, largest


def measure_rows(
    inputs: Any, params: dict[str, Any], size: str, repeat: int, chosen: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (current, old) in _calls(inputs, params).items():
        if chosen and name not in chosen:
            continue
        new_s, new_cpu, new = cpu_timed(current, repeat)
        old_s, old_cpu, before = cpu_timed(old, repeat)
        tolerance = RELATIVE_TOLERANCE.get(name)
        same, largest = differences(new, before, tolerance)
        assert same, f"{name}: the values changed\n{pd.concat([new, before], axis=1)}"
        golden = golden_differences(size, name, new, tolerance)
        assert not golden or not golden[0], f"{name}: differs from the golden scorecard: {golden}"
        out[name] = {
            "median_s": round(new_s, 3),
            "median_cpu_s": round(new_cpu, 3),
            "reference_median_s": round(old_s, 3),
            "reference_median_cpu_s": round(old_cpu, 3),
            "speedup": round(old_s / max(new_s, 1e-9), 2),
            "speedup_cpu": round(old_cpu / max(new_cpu, 1e-9), 2),
            "identical_to_reference": largest == 0.0,
            "golden_checked": golden is not None,
            "value": float(new.iloc[0]),
        }
        if tolerance is not None:
            out[name]["relative_tolerance"] = tolerance
            out[name]["max_relative_difference_to_reference"] = largest
            if golden is not None:
                out[name]["max_relative_difference_to_golden"] = golden[1]
        print(
            f"{size} {name}: {new_s:.2f} s, CPU {new_cpu:.2f} s "
            f"(before {old_s:.2f} s, CPU {old_cpu:.2f} s: ×{old_cpu / new_cpu:.1f} in CPU)"
            + ("" if tolerance is None else f"; largest relative difference {largest:.1e}")
        )
    return out


# --- peers -------------------------------------------------------------------------------------


def _canopy_counts(canopy: Any, zones: Any) -> pd.DataFrame:
    from gardencity.indicators.coverage import canopy_class_counts

    return canopy_class_counts(zones, canopy)


def _exactextract_counts(canopy: Any, zones: Any, classes: list[int]) -> pd.DataFrame:
    """Per zone: the coverage-weighted valid pixels and those of each class (exactextract)."""
    from exactextract import exact_extract

    frame = zones.reset_index(names="zone")[["zone", "geometry"]]
    rows = exact_extract(
        str(canopy.path), frame, ["count", "unique", "frac"], include_cols=["zone"], output="pandas"
    )
    out = pd.DataFrame(0.0, index=zones.index, columns=["valid", *classes])
    for row in rows.itertuples():
        out.loc[row.zone, "valid"] = row.count
        for value, frac in zip(row.unique, row.frac, strict=True):
            if int(value) in classes:
                out.loc[row.zone, int(value)] = frac * row.count
    return out


def _pixel_zones(canopy: Any, zones: Any) -> Any:
    """Each zone as the union of the pixels whose centres it holds (no partial pixel)."""
    import geopandas as gpd
    import shapely
    from affine import Affine
    from rasterio import features

    from gardencity.toolkit.rasters import _pixel_window

    geoms = []
    for geom in zones.geometry.to_numpy():
        r0, r1, c0, c1 = _pixel_window(canopy, geom)
        transform = canopy.transform @ Affine.translation(c0, r0)
        inside = features.rasterize(
            [(geom, 1)], (r1 - r0, c1 - c0), transform=transform, dtype=np.uint8
        )
        regions = features.shapes(inside, mask=inside.astype(bool), transform=transform)
        shapes = [shapely.geometry.shape(shape) for shape, _ in regions]
        geoms.append(shapely.union_all(shapes))
    return gpd.GeoDataFrame(index=zones.index, geometry=geoms, crs=zones.crs)


def peer_canopy(inputs: Any, repeat: int) -> dict[str, Any]:
    zones, canopy = inputs.get("zones"), inputs.get("canopy")
    ours_s, _, ours = timed(lambda: _canopy_counts(canopy, zones), repeat)
    classes = [int(c) for c in ours.columns[1:]]
    peer_s, _, peer = timed(lambda: _exactextract_counts(canopy, zones, classes), repeat)
    share = 100 * ours[classes].sum(axis=1) / ours["valid"]
    peer_share = 100 * peer[classes].sum(axis=1) / peer["valid"]
    aligned = _pixel_zones(canopy, zones)
    exact = _exactextract_counts(canopy, aligned, classes)
    assert np.array_equal(np.rint(exact.to_numpy()), ours.to_numpy(dtype=float)), (exact, ours)
    assert np.abs(exact.to_numpy() - np.rint(exact.to_numpy())).max() < 1e-6
    return {
        "ours_median_s": round(ours_s, 3),
        "exactextract_median_s": round(peer_s, 3),
        "speedup": round(peer_s / max(ours_s, 1e-9), 2),
        "share_difference_pp_max": float((share - peer_share).abs().max()),
        "identical_on_pixel_zones": True,
        "note": "exactextract weights partly covered pixels; on the zones as whole pixels "
        "(pixel centres inside) every count is identical",
    }


def peer_straight(inputs: Any, params: dict[str, Any], size: str, repeat: int) -> dict[str, Any]:
    from benchmarks.run import step_coverage_naive
    from gardencity.indicators.accessibility import park_service_coverage

    args = _args(inputs, ("zones", "land_use", "green_spaces", "historic_districts"))
    ours_s, _, ours = timed(
        lambda: park_service_coverage(*args, **params["park_service_coverage"]), repeat
    )
    naive = step_coverage_naive(size)
    difference = abs(float(ours.iloc[0]) - naive["value"])
    assert difference < 1e-9, difference
    return {
        "ours_median_s": round(ours_s, 3),
        "naive_overlay_s": round(naive["compute_s"], 3),
        "speedup": round(naive["compute_s"] / max(ours_s, 1e-9), 1),
        "difference_pp": difference,
    }


def _pandana_distances(network: Any) -> Callable[..., np.ndarray]:
    def distances(graph: Any, sources: Any, limit: float) -> np.ndarray:
        src = np.unique(np.asarray(sources, dtype=np.int64))
        out = np.full(graph.n_nodes, np.inf)
        if src.size == 0:
            return out
        xs, ys = pd.Series(graph.nodes[src, 0]), pd.Series(graph.nodes[src, 1])
        network.set_pois("sources", limit, 1, xs, ys)
        near = network.nearest_pois(limit, "sources", num_pois=1, max_distance=np.inf)
        out[near.index.to_numpy()] = near[1].to_numpy(dtype=float)
        return out

    return distances


def peer_walking(inputs: Any, params: dict[str, Any], repeat: int) -> dict[str, Any]:
    import pandana

    from gardencity.indicators import accessibility

    names = ("zones", "land_use", "green_spaces", "walk_graph", "park_entrances")
    args = [*_args(inputs, names), inputs.get("historic_districts")]
    p = params["park_service_coverage_walking"]
    ours_s, _, ours = timed(lambda: accessibility.park_service_coverage_walking(*args, **p), repeat)
    graph = args[3]
    started = time.perf_counter()
    edges = graph.matrix.tocoo()
    one_way = edges.row < edges.col
    network = pandana.Network(
        pd.Series(graph.nodes[:, 0]),
        pd.Series(graph.nodes[:, 1]),
        pd.Series(edges.row[one_way]),
        pd.Series(edges.col[one_way]),
        pd.DataFrame({"length": edges.data[one_way]}),
        twoway=True,
    )
    build_s = time.perf_counter() - started
    scipy_distances = accessibility.multi_source_distances
    ours_cells = accessibility.walking_table(*args, **p)
    accessibility.multi_source_distances = _pandana_distances(network)  # type: ignore[assignment]
    try:
        peer_s, _, peer = timed(lambda: accessibility.park_service_coverage_walking(*args, **p), 1)
        peer_cells = accessibility.walking_table(*args, **p)
    finally:
        accessibility.multi_source_distances = scipy_distances
    # pandana keeps distances in single precision: a cell whose walk is within that rounding of
    # a service radius may fall on the other side of it; nothing else may differ
    ours_d, peer_d = ours_cells[2], peer_cells[2]
    both = np.isfinite(ours_d) & np.isfinite(peer_d)
    rounding = float(np.abs(ours_d[both] - peer_d[both]).max()) if both.any() else 0.0
    assert rounding < 0.05, rounding
    flipped = ours_cells[3] != peer_cells[3]
    radii = np.unique([band["radius_m"] for band in p["bands"]])
    nearest = np.where(np.isfinite(ours_d), ours_d, peer_d)[flipped]
    at_radius = np.abs(nearest[:, None] - radii[None, :]).min(axis=1) <= 0.05
    assert at_radius.all(), nearest[~at_radius]
    return {
        "ours_median_s": round(ours_s, 3),
        "pandana_network_build_s": round(build_s, 3),
        "pandana_measure_s": round(peer_s, 3),
        "speedup_with_build": round((build_s + peer_s) / max(ours_s, 1e-9), 2),
        "speedup_without_build": round(peer_s / max(ours_s, 1e-9), 2),
        "identical": bool(peer.equals(ours)),
        "distance_rounding_m_max": rounding,
        "cells_on_the_other_side_of_a_radius": int(flipped.sum()),
        "cells": len(flipped),
        "value_difference_pp_max": float((peer - ours).abs().max()),
        "note": "pandana's distances are single precision (up to a few cm off at 500 m): the "
        "cells that change side all lie within that rounding of a service radius",
    }


def main(sizes: list[str], repeat: int, chosen: list[str]) -> None:
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["machine"] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_1_5_15_min_at_start": [round(x, 1) for x in os.getloadavg()],
    }
    results["repeat"] = repeat
    runs = results.setdefault("runs", {})
    for size in sizes:
        _city(size)
        inputs, params = _inputs(size)
        for layer in ("zones", "roads", "green_spaces", "land_use", "walk_graph", "canopy"):
            inputs.get(layer)
        row: dict[str, Any] = dict(runs.get(size, {})) if chosen else {}
        runs[size] = row

        def save() -> None:
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")

        row.update(measure_rows(inputs, params, size, repeat, chosen))
        save()
        for name in PEERS:
            if chosen and name not in chosen:
                continue
            if name == "canopy_exactextract":
                row[name] = peer_canopy(inputs, repeat)
            elif name == "straight_naive_overlay":
                row[name] = peer_straight(inputs, params, size, repeat)
            else:
                row[name] = peer_walking(inputs, params, repeat)
            print(f"{size} {name}: {row[name]}", flush=True)
            save()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", metavar="SIZE", help="of S, M, L, XL (default L)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME", help="these only")
    args = parser.parse_args()
    if set(args.sizes) - set(("S", "M", "L", "XL")):
        parser.error(f"sizes are {', '.join(('S', 'M', 'L', 'XL'))}, not {' '.join(args.sizes)}")
    main(args.sizes or ["L"], args.repeat, args.only)
