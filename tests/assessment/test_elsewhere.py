"""Whole measures computed by the figure worker on a small city: the same scorecard, and
the caller computes a measure itself where the worker could not."""

from __future__ import annotations

import functools
import os
import signal
import sys
from concurrent.futures import Future
from pathlib import Path

import pandas as pd
import pytest

from gardencity.assessment import Assessment, elsewhere, run_assessment
from gardencity.assessment.elsewhere import PROCESSES_BESIDE_FORKS, ComputedMeasures
from gardencity.indicators import FAMILIES
from gardencity.io.threads import THREADS_VARIABLE, using_threads, work_threads
from gardencity.reports import FigureWorker
from tests.golden import compact

COVERS = "gardencity.indicators.green_space.green_kinds"
ROAD_GREEN = "gardencity.indicators.roads.road_green_segments"


#: where a measure handed over notes the process computing it (the worker, a fork of the
#: test's process, has the path it had when it was forked)
NOTED: list[Path] = []
HERE = os.getpid()


def _noted_series(*args, **kwargs):  # type: ignore[no-untyped-def]
    """:func:`elsewhere._series`, noting the process that computes it (picklable: the
    worker takes it by name)."""
    with NOTED[0].open("a") as pids:
        pids.write(f"{os.getpid()}\n")
    return _SERIES(*args, **kwargs)


def _dying_series(*args, **kwargs):  # type: ignore[no-untyped-def]
    """:func:`elsewhere._series`, ending any process but the test's at once."""
    if os.getpid() != HERE:
        os._exit(9)
    return _SERIES(*args, **kwargs)


_SERIES = elsewhere._series


def test_a_small_citys_green_space_ratio_and_road_green_are_computed_by_the_worker(
    demo_city: Path, demo_assessment: Assessment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not here, nor in a fork of their own: the figure worker's maps take it little time."""
    monkeypatch.setattr(elsewhere, "_series", _noted_series)
    monkeypatch.setattr(sys.modules[__name__], "NOTED", [tmp_path / "pids"])
    with FigureWorker() as figures:
        if figures.pid is None:
            pytest.skip("no process can be forked here")
        assessment = run_assessment(demo_city, executor=figures.executor)
        worker = figures.pid
    for intermediate in (COVERS, ROAD_GREEN):
        assert intermediate in demo_assessment.run.computed  # without a worker: here
        assert intermediate not in assessment.run.computed  # the worker computed the measure
    pids = {int(pid) for pid in (tmp_path / "pids").read_text().split()}
    assert pids == {worker}
    assert compact(assessment.to_dict()) == compact(demo_assessment.to_dict())


def test_a_measure_is_computed_here_when_the_worker_died_computing_it(
    demo_city: Path, demo_assessment: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """And everything else the worker was to do (the canopy's counts, the maps) too."""
    monkeypatch.setattr(elsewhere, "_series", _dying_series)
    with FigureWorker() as figures:
        if figures.pid is None:
            pytest.skip("no process can be forked here")
        assessment = run_assessment(demo_city, executor=figures.executor)
    for intermediate in (COVERS, ROAD_GREEN):
        assert intermediate in assessment.run.computed  # computed here, once the worker died
    assert compact(assessment.to_dict()) == compact(demo_assessment.to_dict())


def test_a_large_citys_green_space_ratio_is_computed_here(
    demo_city: Path, demo_assessment: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(elsewhere, "MAX_ROWS", 100)  # the demo city's layers are larger
    with FigureWorker() as figures:
        assessment = run_assessment(demo_city, executor=figures.executor)
    assert assessment.run.computed[COVERS] == 1
    assert compact(assessment.to_dict()) == compact(demo_assessment.to_dict())


def test_a_measure_is_computed_here_when_the_worker_died(
    demo_city: Path, demo_assessment: Assessment
) -> None:
    with FigureWorker() as figures:
        if figures.pid is None:
            pytest.skip("no process can be forked here")
        os.kill(figures.pid, signal.SIGKILL)
        assessment = run_assessment(demo_city, executor=figures.executor)
    assert compact(assessment.to_dict()) == compact(demo_assessment.to_dict())


def test_a_result_is_there_once_it_came_back_and_never_where_it_failed() -> None:
    done: Future[pd.Series] = Future()
    done.set_result(pd.Series([1.0]))
    failed: Future[pd.Series] = Future()
    failed.set_exception(RuntimeError("the measure failed in the other process"))
    computed = ComputedMeasures({"done": done, "failed": failed})
    assert "done" in computed
    assert computed["done"].tolist() == [1.0]
    assert "failed" not in computed
    assert "other" not in computed


def test_the_fork_is_made_before_the_checks_thread_starts(
    demo_city: Path, demo_assessment: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fork made while the checks' thread holds a lock (PROJ's database) waits on it for
    ever: the work sent elsewhere starts first."""
    from gardencity.assessment import evaluate

    order: list[str] = []
    real_start, real_check = evaluate.start_elsewhere, evaluate.start_check

    def start_elsewhere(*args, **kwargs):  # type: ignore[no-untyped-def]
        order.append("fork")
        return real_start(*args, **kwargs)

    def start_check(*args, **kwargs):  # type: ignore[no-untyped-def]
        order.append("checks")
        return real_check(*args, **kwargs)

    monkeypatch.setattr(evaluate, "start_elsewhere", start_elsewhere)
    monkeypatch.setattr(evaluate, "start_check", start_check)
    with FigureWorker() as figures:
        assessment = run_assessment(demo_city, executor=figures.executor)
    assert order == ["fork", "checks"]
    assert compact(assessment.to_dict()) == compact(demo_assessment.to_dict())


class _NotingThreads:
    """The measure ``name``, noting in ``seen`` the process computing it and its threads;
    picklable, so that the figure worker can be handed it."""

    def __init__(self, name: str, seen: Path) -> None:
        self.name, self.seen = name, seen
        functools.update_wrapper(self, FAMILIES.measures[name])  # the same parameters

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        (self.seen / f"{self.name} {os.getpid()}").write_text(str(work_threads()))
        return FAMILIES.measures[self.name](*args, **kwargs)


def test_beside_its_forks_each_process_keeps_to_the_cores_they_leave(
    demo_city: Path, demo_assessment: Assessment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's measure and the caller's alike (their threads would only contend for the
    cores the service fork and the figure worker keep busy); after the run, the default
    again."""
    monkeypatch.delenv(THREADS_VARIABLE, raising=False)
    default = work_threads()
    seen = tmp_path / "seen"
    seen.mkdir()
    registry = {
        **FAMILIES.measures,
        "green_space_ratio": _NotingThreads("green_space_ratio", seen),  # handed over
        "parks_per_10k": _NotingThreads("parks_per_10k", seen),  # computed here
    }
    with FigureWorker() as figures:
        if figures.pid is None:
            pytest.skip("no process can be forked here")
        assessment = run_assessment(demo_city, registry=registry, executor=figures.executor)
    noted = {tuple(p.name.split()): p.read_text() for p in seen.iterdir()}
    share = str(max(1, len(os.sched_getaffinity(0)) // PROCESSES_BESIDE_FORKS))
    forked = [pid for name, pid in noted if name == "green_space_ratio"]
    assert len(forked) == 1 and forked[0] != str(os.getpid())
    assert noted == {
        ("green_space_ratio", forked[0]): share,
        ("parks_per_10k", str(os.getpid())): share,
    }
    assert work_threads() == default
    assert compact(assessment.to_dict()) == compact(demo_assessment.to_dict())


@pytest.mark.parametrize("given", ["run", "environment"])
def test_threads_the_run_or_the_environment_sets_are_kept_beside_the_forks(
    demo_city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    seen = tmp_path / "seen"
    seen.mkdir()
    registry = {**FAMILIES.measures, "parks_per_10k": _NotingThreads("parks_per_10k", seen)}
    if given == "environment":
        monkeypatch.setenv(THREADS_VARIABLE, "3")
    with FigureWorker() as figures, using_threads(3 if given == "run" else None):
        if figures.pid is None:
            pytest.skip("no process can be forked here")
        run_assessment(demo_city, registry=registry, executor=figures.executor)
    assert [p.read_text() for p in seen.iterdir()] == ["3"]
