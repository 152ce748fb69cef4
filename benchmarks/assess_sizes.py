"""The whole ``gardencity assess`` command on the demo cities, beside its floor, and the what-if.

For each size, every figure a median of ``--repeat`` runs, each in a fresh process:

* ``floor_s``: reading every input the command reads (every layer of city.gpkg with pyogrio,
  through Arrow where pyarrow is installed, both rasters whole with rasterio), interpreter
  start and imports included;
* ``assess_cli_s`` and ``assess_cli_peak_rss_mb``: ``python -m gardencity assess`` end to end
  (scorecard.json, diagnostics.gpkg, report.html; the program's modules byte-compiled
  beforehand, as an installed package's are), its wall time, its peak memory (taken in
  one more run of its own, since sampling a process's memory slows it), and its
  ratio to the floor (``assess_to_floor``), measured side by side in the same sitting;
* ``floor_cpu_s``, ``assess_cli_cpu_s``: their CPU seconds, and ``floor_runq_wait_s``,
  ``assess_cli_runq_wait_s``: the seconds their threads waited for a core (summed over the
  threads), which is where the wall time beyond the CPU time goes on a loaded machine;
* ``whatif_setup_s`` (the what-if engine built after an assessment held in memory),
  ``whatif_evaluate_s`` (a park drawn, the indicators decided, the park taken out again) and
  ``whatif_fresh_s`` (a fresh process answering its first what-if from the state the
  assessment left beside its outputs, start-up included).

XL (about 1,500 km², 370,000 residential parcels, a 1 m canopy raster of 1.6 G pixels) is
opt-in (``make bench-xl``): it is generated once into the cache (its generation's wall time,
CPU time and peak memory recorded beside the city's size), and assessed without the what-if.

Results go to benchmarks/results/assess_sizes.json (committed with the code), with the
machine's core count. Sizes and repeats::

    python -m benchmarks.assess_sizes [S M L XL] [--repeat N] [--skip-whatif]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = HERE / "cache"
RESULTS = HERE / "results" / "assess_sizes.json"

# reads what `gardencity assess` reads, nothing more: the floor of the command
FLOOR_SCRIPT = """
import sys
from pathlib import Path
import pyogrio, rasterio
try:
    import pyarrow  # Arrow reading where it is installed (it is not a dependency)
    arrow = True
except ImportError:
    arrow = False
city = Path(sys.argv[1])
for name, _ in pyogrio.list_layers(city / "city.gpkg"):
    pyogrio.read_dataframe(city / "city.gpkg", layer=str(name), use_arrow=arrow)
for raster in ("canopy.tif", "lst.tif"):
    with rasterio.open(city / raster) as src:  # every pixel, 1,024 rows at a time
        for row in range(0, src.height, 1024):
            src.read(1, window=((row, min(row + 1024, src.height)), (0, src.width)))
"""

# the XL city is generated in its own process, so that its generation is measured too
GENERATE_SCRIPT = """
import sys
from gardencity.demo import generate_demo_city
generate_demo_city(sys.argv[1], sys.argv[2], overwrite=True)
"""


def _city(size: str) -> Path:
    city = CACHE / f"demo_{size}"
    if not (city / "city.toml").exists():
        # imported only to generate: a server answering a what-if does not import it
        from gardencity.demo import generate_demo_city

        generate_demo_city(city, size, overwrite=True)
    return city


def _generated(size: str) -> dict[str, Any]:
    """The demo city of ``size`` in the cache, generated in a measured process if it is not
    there yet; its size in parcels, parks and pixels, and what its generation took."""
    import pyogrio
    import rasterio

    city = CACHE / f"demo_{size}"
    figures: dict[str, Any] = {}
    if not (city / "city.toml").exists():
        wall, peak, _, cpu = _run_measured([sys.executable, "-c", GENERATE_SCRIPT, str(city), size])
        figures["generate"] = {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                               "peak_rss_mb": round(peak)}  # fmt: skip
    land = pyogrio.read_dataframe(city / "city.gpkg", layer="land_use", columns=["code"])
    green = pyogrio.read_dataframe(city / "city.gpkg", layer="green_spaces",
                                   columns=["green_class"], read_geometry=False)  # fmt: skip
    area = pyogrio.read_dataframe(city / "city.gpkg", layer="built_up_area").area.iloc[0]
    with rasterio.open(city / "canopy.tif") as src:
        pixels, resolution = src.width * src.height, abs(src.res[0])
    figures["city"] = {
        "built_up_km2": round(float(area) / 1e6, 1),
        "residential_parcels": int(land["code"].str.startswith("R").sum()),
        "parks": int(green["green_class"].str.startswith("G1").sum()),
        "canopy_pixels": pixels,
        "canopy_resolution_m": resolution,
        "input_mb": {p.name: round(p.stat().st_size / 2**20, 1)
                     for p in sorted(city.iterdir()) if p.is_file()},
    }  # fmt: skip
    return figures


_LAST_RUNQ_WAIT_S: list[float] = [0.0]


def _run_measured(
    command: list[str], *, sample_memory: bool = True
) -> tuple[float, float, str, float]:
    """Wall seconds, peak memory (MB), stdout and CPU seconds (user + system) of ``command``
    with the processes it starts: CPU time is the steadier figure on a shared machine (the
    seconds its threads waited for a core are kept in ``_LAST_RUNQ_WAIT_S``). The
    peak is the larger of the process's own peak RSS and, with ``sample_memory``, the highest
    sum of PSS over the process and its descendants (sampled every 20 ms), so work handed to
    a worker process still counts. Reading a large process's PSS walks its page tables and
    holds its memory map's lock, which slows the process measured (by about a third on L):
    the assess command's time is therefore taken in runs that do not sample it."""
    with tempfile.TemporaryFile(mode="w+") as out, tempfile.TemporaryFile(mode="w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=HERE.parent)
        tree_peak = _TreePeak(process.pid, memory=sample_memory)
        tree_peak.start()
        _, status, usage = os.wait4(process.pid, 0)  # with its waited-for descendants
        wall = time.perf_counter() - started
        tree_peak.stop()
        _LAST_RUNQ_WAIT_S[:] = [tree_peak.runq_wait_s]
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise RuntimeError(f"{command} failed ({process.returncode}):\n{err.read()[-4000:]}")
        cpu = usage.ru_utime + usage.ru_stime
        peak = max(usage.ru_maxrss / 1024, tree_peak.peak_bytes / 2**20)
        return wall, peak, out.read(), cpu


class _TreePeak:
    """The highest total PSS of a process and its descendants, sampled on a thread, and the
    time their threads waited for a core (``runq_wait_s``, from /proc/<pid>/task/*/schedstat
    where Linux keeps it): on a loaded machine, the wall time that is not CPU time.

    The observer must not slow what it observes: on two cores, each sample taken while the
    command keeps both busy is taken from the command. Without memory, a sample reads only
    the few files of the process's own tree (its descendants from /proc/<pid>/task/*/children,
    not by scanning every process of the machine as psutil does), every 50 ms: a process
    ending loses at most its last 50 ms of waiting."""

    def __init__(self, pid: int, every_s: float = 0.02, *, memory: bool = True) -> None:
        import threading

        self.pid, self.peak_bytes, self.memory = pid, 0, memory
        self.every_s = every_s if memory else max(every_s, 0.05)
        self._waits: dict[str, int] = {}  # nanoseconds each thread waited, as last read
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    @property
    def runq_wait_s(self) -> float:
        return sum(self._waits.values()) / 1e9

    def _sample(self) -> None:
        import psutil

        while not self._done.is_set():
            total = 0
            for pid in _tree(self.pid):
                self._read_waits(pid)
                if self.memory:
                    # it may have ended between the listing and the reading
                    with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                        total += psutil.Process(pid).memory_full_info().pss
            self.peak_bytes = max(self.peak_bytes, total)
            self._done.wait(self.every_s)

    def _read_waits(self, pid: int) -> None:
        for task in _listing(f"/proc/{pid}/task"):
            # the thread may have ended, or the kernel keep no schedstat
            with (
                contextlib.suppress(OSError, IndexError, ValueError),
                open(f"/proc/{pid}/task/{task}/schedstat") as stat,
            ):
                self._waits[f"{pid}/{task}"] = int(stat.read().split()[1])


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants alive, as their threads' /proc children files list them."""
    found, pending = [], [pid]
    while pending:
        parent = pending.pop()
        found.append(parent)
        for task in _listing(f"/proc/{parent}/task"):
            with (
                contextlib.suppress(OSError, ValueError),
                open(f"/proc/{parent}/task/{task}/children") as children,
            ):
                pending.extend(int(child) for child in children.read().split())
    return found


def _listing(folder: str) -> list[str]:
    """The names in ``folder``; none where it is gone (its process ended)."""
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def measure_size(size: str, repeat: int, whatif: bool) -> dict[str, Any]:
    city = _city(size)
    python = sys.executable
    floors: list[float] = []
    walls: list[float] = []
    peaks: list[float] = []
    floor_cpu: list[float] = []
    cpus: list[float] = []
    floor_waits: list[float] = []  # seconds the threads waited for a core, summed
    waits: list[float] = []
    out_dir = Path(tempfile.mkdtemp(prefix=f"assess-{size}-"))
    assess = [python, "-m", "gardencity", "assess", str(city), "--out", str(out_dir)]
    try:
        for _ in range(repeat):  # alternated, so both see the same load on the machine
            floor = _run_measured([python, "-c", FLOOR_SCRIPT, str(city)], sample_memory=False)
            floors.append(floor[0])
            floor_cpu.append(floor[3])
            floor_waits.append(_LAST_RUNQ_WAIT_S[0])
            wall, peak, _, cpu = _run_measured(assess, sample_memory=False)
            waits.append(_LAST_RUNQ_WAIT_S[0])
            walls.append(wall)
            peaks.append(peak)
            cpus.append(cpu)
        peaks.append(_run_measured(assess)[1])  # one more run, its memory sampled
        sizes = {p.name: round(p.stat().st_size / 2**20, 2) for p in sorted(out_dir.iterdir())}
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    result: dict[str, Any] = {
        "floor_s": _median(floors),
        "assess_cli_s": _median(walls),
        "assess_to_floor": round(statistics.median(walls) / statistics.median(floors), 2),
        "assess_cli_peak_rss_mb": round(max(peaks)),
        "output_mb": sizes,
        "floor_cpu_s": _median(floor_cpu),
        "assess_cli_cpu_s": _median(cpus),
        "assess_to_floor_cpu": round(statistics.median(cpus) / statistics.median(floor_cpu), 2),
        "floor_runq_wait_s": _median(floor_waits),
        "assess_cli_runq_wait_s": _median(waits),
        "runs": {
            "floor_s": floors,
            "assess_cli_s": walls,
            "floor_cpu_s": floor_cpu,
            "cpu_s": cpus,
            "runq_wait_s": waits,
        },
    }
    if whatif:
        result.update(_measure_whatif(size, repeat))
    return result


def _measure_whatif(size: str, repeat: int) -> dict[str, Any]:
    setup: list[float] = []
    evaluate: list[float] = []
    fresh: list[float] = []
    saved: dict[str, Any] = {}
    me = [sys.executable, "-m", "benchmarks.assess_sizes"]
    for _ in range(repeat):
        answer = _run_measured([*me, "--whatif", size], sample_memory=False)[2]
        saved = json.loads(answer.strip().splitlines()[-1])
        setup.append(saved["setup_s"])
        evaluate.append(saved["evaluate_s"])
        fresh.append(_run_measured([*me, "--whatif-fresh", size], sample_memory=False)[0])
    return {
        "whatif_setup_s": _median(setup),
        "whatif_evaluate_s": _median(evaluate),
        "whatif_fresh_s": _median(fresh),
        "whatif_state_save_s": saved.get("save_s"),
        "whatif_state_mb": saved.get("state_mb"),
        "whatif_runs": {"setup_s": setup, "evaluate_s": evaluate, "fresh_s": fresh},
    }


def _park_near_centre(engine: Any) -> Any:
    import shapely

    centre = engine.zones.geometry.iloc[0].centroid
    return shapely.Point(centre.x + 150, centre.y + 150).buffer(120)


def whatif_in_memory(size: str) -> dict[str, Any]:
    """Set-up after an assessment held in memory, then evaluations (median of five)."""
    from gardencity.assessment import run_assessment
    from gardencity.whatif import IncrementalAssessment

    city = _city(size)
    base = run_assessment(city)
    started = time.perf_counter()
    engine = IncrementalAssessment(city, base=base)
    setup_s = time.perf_counter() - started
    times = []
    for _ in range(5):
        started = time.perf_counter()
        key = engine.add_park(_park_near_centre(engine))
        engine.assessment()
        engine.remove_park(key)
        times.append(time.perf_counter() - started)
    from gardencity.whatif.persist import STATE_FILE, save_engine

    started = time.perf_counter()
    saved = save_engine(engine, _state_dir(size) / STATE_FILE)
    save_s = time.perf_counter() - started
    return {
        "setup_s": round(setup_s, 3),
        "evaluate_s": round(statistics.median(times), 4),
        "save_s": round(save_s, 3),
        "state_mb": round(saved.stat().st_size / 2**20, 1),
    }


def _state_dir(size: str) -> Path:
    folder = CACHE / f"whatif_{size}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def whatif_fresh(size: str) -> dict[str, Any]:
    """A fresh process's first what-if: the engine the assessment saved, loaded, then a park."""
    from gardencity.whatif.persist import STATE_FILE, load_engine

    started = time.perf_counter()
    engine = load_engine(_state_dir(size) / STATE_FILE, _city(size))
    if engine is None:
        raise RuntimeError("no saved what-if state: run the --whatif step first")
    load_s = time.perf_counter() - started
    key = engine.add_park(_park_near_centre(engine))
    value = engine.assessment().result("park_service_coverage").value
    engine.remove_park(key)
    return {"load_s": round(load_s, 3), "value": value}


def _byte_compiled() -> None:
    """The program's modules compiled to bytecode once, as installing a package does: a
    working copy installed in place (``pip install -e``) with ``PYTHONDONTWRITEBYTECODE``
    set would otherwise compile every module from source in every run, which the floor
    (only installed packages) never does."""
    import compileall

    import gardencity

    compileall.compile_dir(Path(gardencity.__file__).parent, quiet=1)


def main(sizes: list[str], repeat: int, whatif: bool) -> None:
    _byte_compiled()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.pop("runs", None)  # figures of the earlier layout of this file
    results["machine"] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    sized = results.setdefault("sizes", {})
    for size in sizes:
        if size == "XL":  # generated once and measured; the what-if is measured on L
            city = _generated(size)
            if "generate" not in city and "generate" in sized.get(size, {}):
                city = {"generate": sized[size]["generate"], **city}  # generated earlier
            sized[size] = {"repeat": repeat, **city, **measure_size(size, repeat, False)}
        else:
            _city(size)  # generated once, outside the timed runs
            sized[size] = {"repeat": repeat, **measure_size(size, repeat, whatif)}
        run = sized[size]
        print(
            f"{size}: assess {run['assess_cli_s']} s (floor {run['floor_s']} s, "
            f"×{run['assess_to_floor']}), peak {run['assess_cli_peak_rss_mb']} MB"
            + (
                f"; what-if set-up {run['whatif_setup_s']} s, evaluation "
                f"{run['whatif_evaluate_s']} s, first in a fresh process {run['whatif_fresh_s']} s"
                if "whatif_setup_s" in run
                else ""
            ),
            flush=True,
        )
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", metavar="SIZE", help="of S, M, L, XL (default M L)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--skip-whatif", action="store_true", help="the command only")
    # one what-if measurement in this process, for main (a fresh process each)
    parser.add_argument("--whatif", metavar="SIZE", help=argparse.SUPPRESS)
    parser.add_argument("--whatif-fresh", metavar="SIZE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if set(args.sizes) - set(("S", "M", "L", "XL")):
        parser.error(f"sizes are {', '.join(('S', 'M', 'L', 'XL'))}, not {' '.join(args.sizes)}")
    if args.whatif:
        print(json.dumps(whatif_in_memory(args.whatif)))
    elif args.whatif_fresh:
        print(json.dumps(whatif_fresh(args.whatif_fresh)))
    else:
        main(args.sizes or ["M", "L"], args.repeat, not args.skip_whatif)
