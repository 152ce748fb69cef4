"""An assessment keeps to the threads it is given, with the same results."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from gardencity.assessment import run_assessment
from gardencity.io.threads import (
    THREADS_VARIABLE,
    InlineExecutor,
    helper_executor,
    using_threads,
    work_pool,
    work_threads,
)
from tests._threads import threads_started


def test_one_thread_runs_each_piece_here_and_more_start_threads() -> None:
    with using_threads(1):
        assert work_threads() == 1
        assert isinstance(helper_executor(), InlineExecutor)
        with work_pool() as pool:
            assert set(pool.map(lambda _: threading.get_ident(), range(8))) == {
                threading.get_ident()
            }
        with using_threads(None):  # leaves the setting as it is
            assert work_threads() == 1
    with using_threads(3):
        assert work_threads() == 3
    failed = InlineExecutor().submit(int, "x")
    with pytest.raises(ValueError):
        failed.result()
    with threads_started() as names, using_threads(2), work_pool() as pool:
        list(pool.map(lambda _: threading.get_ident(), range(8)))
    assert names


def test_a_run_given_one_thread_starts_none_and_decides_the_same(
    demo_city: Path,
    demo_assessment,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(THREADS_VARIABLE, raising=False)
    with threads_started() as names:
        one = run_assessment(demo_city, threads=1)
    assert names == []
    assert work_threads() == 2  # the setting ends with the run
    default = {i["id"]: (i["value"], i["status"]) for i in demo_assessment.to_dict()["indicators"]}
    assert {i["id"]: (i["value"], i["status"]) for i in one.to_dict()["indicators"]} == default
