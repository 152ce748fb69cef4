"""The run context: intermediates computed once per run over the run's own inputs."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from gardencity.toolkit import RunContext, shared


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"a": range(n)})


def total(table: pd.DataFrame, *, column: str = "a", scale: float = 1.0) -> float:
    return float(table[column].sum()) * scale


def test_an_intermediate_is_computed_once_per_method_parameters() -> None:
    run = RunContext({"table": _frame(4)})
    table = run.get("table")
    assert shared(run, total, table) == 6.0
    assert shared(run, total, table, column="a", scale=1.0) == 6.0  # the defaults, spelled out
    assert shared(run, total, table, scale=2.0) == 12.0
    assert run.computed == {f"{__name__}.total": 2}


def test_other_data_than_the_runs_is_a_plain_call() -> None:
    run = RunContext({"table": _frame(4)})
    shared(run, total, run.get("table"))
    edited = _frame(5)  # e.g. a what-if's edited layer under the same name
    assert shared(run, total, edited) == 10.0
    assert shared(run, total, _frame(4).copy()) == 6.0  # equal, but not the run's object
    assert run.computed == {f"{__name__}.total": 1}


def test_without_a_run_it_is_a_plain_call() -> None:
    assert shared(None, total, _frame(3)) == 3.0


def test_the_run_is_an_input_and_arguments_come_from_it() -> None:
    def measure(table: pd.DataFrame, missing: Any, run: RunContext | None = None, *, k: int) -> int:
        return k

    run = RunContext({"table": _frame(1), "missing": None})
    kwargs, missing = run.arguments(measure)
    assert kwargs["run"] is run and kwargs["table"] is run.get("table")
    assert missing == ["missing"] and "k" not in kwargs


def test_the_parks_that_serve_residents_are_found_once_per_assessment(
    demo_city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The straight-line and walking measures and the diagnostic layers share them (three
    computations per assessment before the run context)."""
    import gardencity.indicators.accessibility as accessibility
    from gardencity.assessment import run_assessment

    calls: list[int] = []
    original = accessibility.eligible_parks

    @functools.wraps(original)
    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(accessibility, "eligible_parks", counting)
    assessment = run_assessment(demo_city)
    assert len(calls) == 1
    assert {"eligible_parks", "uncovered_residential_walking"} <= set(assessment.diagnostics)
    assert assessment.result("park_service_coverage_walking").value is not None


def test_intermediates_are_computed_once_per_assessment(demo_assessment: Any) -> None:
    """The canopy is counted once for both coverage measures, the parks' cover of the
    residential pieces once for the measure and its diagnostic layer (issue 19)."""
    computed = demo_assessment.run.computed
    assert computed["gardencity.indicators.coverage.canopy_class_counts"] == 1
    assert computed["gardencity.indicators.service_cover.covered_pieces"] == 1
    assert all(count == 1 for count in computed.values()), computed


def _pid_and_total(table: pd.DataFrame, *, column: str = "a") -> tuple[int, float]:
    """Where it was computed (a process id) and the column's sum."""
    import os

    return os.getpid(), float(table[column].sum())


def _refusing(table: pd.DataFrame) -> float:
    import os

    if os.getpid() != _PARENT:
        raise RuntimeError("not in another process")
    return float(len(table))


_PARENT = __import__("os").getpid()


def test_an_intermediate_started_in_another_process_is_waited_for_and_counted_once() -> None:
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    run = RunContext({"table": _frame(4)})
    table = run.get("table")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        run.start(pool, _pid_and_total, table, column="a")
        run.start(pool, _pid_and_total, table)  # already started: not again
        pid, value = shared(run, _pid_and_total, table)
        assert shared(run, _pid_and_total, table) == (pid, value)
    assert pid != os.getpid() and value == 6.0
    assert run.computed == {f"{__name__}._pid_and_total": 1}
    # an input that is not the run's own is not started: computed here when asked
    other = _frame(3)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        run.start(pool, _pid_and_total, other)
    assert shared(run, _pid_and_total, other) == (os.getpid(), 3.0)


def test_an_intermediate_the_other_process_cannot_compute_is_computed_here() -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    run = RunContext({"table": _frame(5)})
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        run.start(pool, _refusing, run.get("table"))  # fails there
        assert shared(run, _refusing, run.get("table")) == 5.0
    closed = ProcessPoolExecutor(1)
    closed.shutdown()
    again = RunContext({"table": _frame(2)})
    again.start(closed, _refusing, again.get("table"))  # refused: nothing started
    assert again.computed == {}
    assert shared(again, _refusing, again.get("table")) == 2.0
