"""Calls computed in a short-lived fork of this process, which returns all its memory.

A long-lived helper process keeps part of the memory a large job took (the C heap does not
give every freed page back), and arguments sent to it are copied and pickled. A fork of
the caller has the arguments already (shared with the caller until either writes them),
and gives back everything it used when it exits, once it has sent its results. The run
context (:meth:`gardencity.toolkit.RunContext.start`) hands intermediates to it while the
caller computes other measures.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from multiprocessing.connection import Connection
from typing import Any, ParamSpec, TypeVar

__all__ = ["ForkDiedError", "ForkedCalls", "forked_calls"]

P = ParamSpec("P")
R = TypeVar("R")
_Call = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]
_File = Any  # an open binary temporary file


class ForkDiedError(ChildProcessError):
    """The fork computing a call ended before sending its result."""


class _Pending(Future[R]):
    """A call's future, which starts the fork of its batch when its result is asked for."""

    def __init__(self, start: Callable[[], None]) -> None:
        super().__init__()
        self._start = start

    def result(self, timeout: float | None = None) -> R:
        self._start()
        return super().result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._start()
        return super().exception(timeout)


class ForkedCalls(Executor):
    """An executor that computes calls in a fork of this process, made by :meth:`start`.

    The calls submitted before :meth:`start` (called by :meth:`shutdown`, or when a result
    is first asked for) are computed one after the other in one fork, so that no two hold
    their memory at once, each result sent as soon as it is ready. The functions and their
    arguments are not pickled: the fork has them, as they were when it was made (the calls
    must not need what the caller changes after :meth:`start`). Results, or the errors
    raised, are pickled back; a fork that dies first (killed, out of memory, or with a
    result that cannot be pickled) fails the futures left with :class:`ForkDiedError`.
    The fork exits once its last result is sent, so whatever memory the calls took is
    returned to the system. Use :func:`forked_calls`, which gives None where processes
    cannot be forked.

    Examples
    --------
    >>> with ForkedCalls() as calls:
    ...     six, seven = calls.submit(sum, [1, 2, 3]), calls.submit(max, 7, 1)
    ...     calls.start()
    ...     six.result(), seven.result()
    (6, 7)
    """

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("fork")
        self._batch: list[tuple[_Call, Future[Any]]] = []
        self._started: list[tuple[threading.Thread, Any]] = []
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit a call after shutdown")
            future: Future[R] = _Pending(self.start)
            self._batch.append(((fn, args, kwargs), future))
            return future

    def start(self) -> None:
        """Fork, and compute there the calls submitted since the last start."""
        with self._lock:
            batch, self._batch = self._batch, []
            if not batch:
                return
            receive, send = self._context.Pipe(duplex=False)
            # each call's result is written to its file, closed once read (_collect)
            calls = [(*call, tempfile.TemporaryFile()) for call, _ in batch]  # noqa: SIM115
            # daemonic: ended, not waited for, if this process exits first
            process = self._context.Process(target=_compute, args=(send, calls), daemon=True)
            try:
                process.start()
            except OSError as error:  # no process to be had (a limit on processes, no memory)
                for (*_, file), (_, future) in zip(calls, batch, strict=True):
                    file.close()
                    future.set_exception(ForkDiedError(str(error)))
                return
            finally:
                send.close()  # the fork's end: its death shows here as the end of the pipe
            futures = [future for _, future in batch]
            for future in futures:
                future.set_running_or_notify_cancel()  # False where cancelled: left so
            files = [file for *_, file in calls]
            collect = threading.Thread(
                target=_collect, args=(process, receive, futures, files), daemon=True
            )
            collect.start()
            self._started.append((collect, process))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No more calls: those submitted are started; ``cancel_futures`` ends the forks
        still computing (their futures fail), ``wait`` waits for every fork to end."""
        with self._lock:
            self._closed = True
        self.start()
        for collect, process in self._started:
            if cancel_futures and process.exitcode is None:
                process.terminate()
            if wait:
                collect.join()


def forked_calls() -> ForkedCalls | None:
    """A :class:`ForkedCalls`, or None where this process cannot fork (not Linux, or a
    daemonic process, which may not have children)."""
    if (
        sys.platform != "linux"
        or "fork" not in multiprocessing.get_all_start_methods()
        or multiprocessing.current_process().daemon
    ):
        return None
    return ForkedCalls()


def _compute(send: Connection, calls: list[tuple[Any, ...]]) -> None:
    """In the fork: each call's result, or the error it raised, written pickled to the
    call's file; then a word on the pipe that it is there."""
    for fn, args, kwargs, file in calls:
        try:
            outcome: tuple[bool, Any] = (True, fn(*args, **kwargs))
        except Exception as error:  # the caller raises it
            outcome = (False, error)
        try:
            pickle.dump(outcome, file, protocol=pickle.HIGHEST_PROTOCOL)
            file.flush()
        except Exception:  # not picklable: ending without a result says the call failed
            os._exit(1)
        del outcome  # written: its memory serves the next call
        send.send_bytes(b"")
    send.close()
    # ended here, without the interpreter's exit: a lock another thread of the caller
    # held when it forked (its output's, say) would never be released in this process
    os._exit(0)


def _collect(
    process: Any, receive: Connection, futures: list[Future[Any]], files: list[_File]
) -> None:
    """In the caller, on a thread: the fork's results into ``futures``, in order, each
    read as soon as it is written (a file read at once, rather than a pipe read in many
    small pieces, each of which would wait for the caller's thread); then the fork
    reaped."""
    try:
        for i, (future, file) in enumerate(zip(futures, files, strict=True)):
            try:
                receive.recv_bytes()
            except (EOFError, OSError):
                process.join()
                for left in futures[i:]:
                    left.set_exception(ForkDiedError(f"exit code {process.exitcode}"))
                return
            file.seek(0)
            succeeded, value = pickle.loads(file.read())
            file.close()
            if future.cancelled():
                pass
            elif succeeded:
                future.set_result(value)
            else:
                future.set_exception(value)
            del value
        process.join()
    finally:
        receive.close()
        for file in files:
            file.close()
