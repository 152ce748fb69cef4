"""Calls computed in a short-lived fork of the caller."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from gardencity.errors import DataError
from gardencity.messages import Message
from gardencity.toolkit import ForkDiedError, ForkedCalls, RunContext, forked_calls, shared


def _pid_and(value: object) -> tuple[int, object]:
    return os.getpid(), value


def _sum_of(lock_and_values: tuple[threading.Lock, list[int]]) -> int:
    lock, values = lock_and_values
    with lock:
        return sum(values)


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


def test_calls_are_computed_one_after_the_other_in_one_fork_that_then_exits() -> None:
    calls = forked_calls()
    assert calls is not None
    big = np.arange(1_000_000)
    first, second = calls.submit(_pid_and, big), calls.submit(_pid_and, "two")
    calls.shutdown(wait=True)  # starts them, and waits for the fork to end
    (pid, got), (same_pid, two) = first.result(), second.result()
    assert pid == same_pid != os.getpid() and two == "two"
    assert np.array_equal(got, big)
    assert _gone(pid)  # exited: whatever it used is the system's again


def test_the_arguments_are_the_forks_own_not_pickled() -> None:
    """A lock cannot be pickled: an executor that sends its arguments could not take it."""
    with ForkedCalls() as calls:
        total = calls.submit(_sum_of, (threading.Lock(), [1, 2, 3]))
    assert total.result() == 6


def test_asking_for_a_result_starts_the_fork() -> None:
    calls = ForkedCalls()
    pending = calls.submit(_pid_and, 1)
    assert not pending.done()
    assert pending.result(timeout=60)[1] == 1  # no start() called: result() started it
    calls.shutdown()


def test_an_error_of_the_call_is_raised_by_its_result() -> None:
    with ForkedCalls() as calls:
        failed, fine = calls.submit(int, "not a number"), calls.submit(abs, -2)
    with pytest.raises(ValueError, match="not a number"):
        failed.result()
    assert fine.result() == 2  # the next call in the same fork still ran


def test_a_fork_that_dies_fails_its_calls_and_the_ones_after() -> None:
    with ForkedCalls() as calls:
        before, dies, after = calls.submit(abs, -1), calls.submit(os._exit, 3), calls.submit(abs, 1)
    assert before.result() == 1
    for future in (dies, after):
        with pytest.raises(ForkDiedError, match="exit code 3"):
            future.result()


def test_a_result_that_cannot_be_sent_fails_as_a_dead_fork() -> None:
    with ForkedCalls() as calls:
        unsent = calls.submit(threading.Lock)
    with pytest.raises(ForkDiedError):
        unsent.result()


def test_shutting_down_with_cancel_ends_a_fork_still_computing() -> None:
    calls = ForkedCalls()
    slow = calls.submit(time.sleep, 60)
    calls.start()
    started = time.perf_counter()
    calls.shutdown(wait=True, cancel_futures=True)
    assert time.perf_counter() - started < 30
    with pytest.raises(ForkDiedError):
        slow.result()
    with pytest.raises(RuntimeError):
        calls.submit(abs, 1)


def _pieces(land_use: list[str]) -> list[str]:
    if "residential" not in land_use:
        raise DataError(Message.literal("没有居住用地", "no residential land"))
    return [use for use in land_use if use == "residential"]


def test_an_intermediate_handed_to_a_fork_gives_its_result_or_its_error() -> None:
    run = RunContext({"land_use": ["residential", "park", "residential"]})
    with ForkedCalls() as calls:
        run.start(calls, _pieces, run.get("land_use"))
    assert shared(run, _pieces, run.get("land_use")) == ["residential", "residential"]
    failing = RunContext({"land_use": ["park"]})
    with ForkedCalls() as calls:
        failing.start(calls, _pieces, failing.get("land_use"))
    with pytest.raises(DataError, match="没有居住用地"):
        shared(failing, _pieces, failing.get("land_use"))
