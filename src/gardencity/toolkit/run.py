"""The run context: what one assessment run shares between its measures and diagnostic layers.

A measure and the diagnostic layers often need the same costly intermediate (the parks that
serve residents, the walking distance of every residential cell, the canopy share of every
road side-segment). The assessment hands its :class:`RunContext` to every measure and
diagnostic builder that names a ``run`` parameter; they compute such intermediates with
:func:`shared`, which computes each once per run and method parameters.

An *intermediate* is written like a measure: the prepared inputs it reads are its ordinary
parameters, named as in ``docs/architecture.md`` §Prepared inputs (``run`` itself included),
and its method parameters are keyword-only.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, Future
from typing import Any, ParamSpec, Protocol, TypeVar, cast

from gardencity.io.threads import with_callers_threads

__all__ = ["InputSource", "RunContext", "shared"]

P = ParamSpec("P")
R = TypeVar("R")
_INPUT_KINDS = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class InputSource(Protocol):
    """Prepared inputs by name (the assessment's ``AssessmentInputs``)."""

    def names(self) -> tuple[str, ...]: ...

    def get(self, name: str) -> Any: ...


class _Inputs:
    """A plain mapping of prepared inputs as an :class:`InputSource`."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def names(self) -> tuple[str, ...]:
        return tuple(self._values)

    def get(self, name: str) -> Any:
        return self._values[name]


class RunContext:
    """The prepared inputs of one run and the intermediates computed from them.

    Parameters
    ----------
    inputs
        The run's prepared inputs: an object with ``names()`` and ``get(name)`` (the
        assessment passes its ``AssessmentInputs``), or a dict of them.

    Examples
    --------
    >>> calls = []
    >>> def doubled(values, *, factor=2):
    ...     calls.append(factor)
    ...     return [v * factor for v in values]
    >>> run = RunContext({"values": [1, 2]})
    >>> shared(run, doubled, run.get("values")), shared(run, doubled, run.get("values"))
    ([2, 4], [2, 4])
    >>> shared(run, doubled, [5], factor=3)   # not the run's input: a plain call
    [15]
    >>> calls
    [2, 3]
    """

    def __init__(self, inputs: InputSource | dict[str, Any]) -> None:
        self._inputs = _Inputs(inputs) if isinstance(inputs, dict) else inputs
        self._results: dict[tuple[Callable[..., Any], str], Any] = {}
        self.computed: dict[str, int] = {}
        """How many times each intermediate was computed in this run (by qualified name)."""

    def __getstate__(self) -> dict[str, Any]:
        """A saved context keeps its inputs; its intermediates are computed again if asked."""
        return {**self.__dict__, "_results": {}, "computed": {}}

    def names(self) -> tuple[str, ...]:
        """The names of the inputs, ``run`` (this context) included."""
        names = self._inputs.names()
        return names if "run" in names else (*names, "run")

    def get(self, name: str) -> Any:
        """The prepared input ``name`` (``run``: this context)."""
        if name == "run" and "run" not in self._inputs.names():
            return self
        return self._inputs.get(name)

    def arguments(self, function: Callable[..., Any]) -> tuple[dict[str, Any], list[str]]:
        """The run's inputs that ``function`` names, and those it needs but the run lacks.

        Keyword-only parameters (method parameters) and names that are not inputs are left
        to the caller; an input that is ``None`` where the function has no default is missing.
        """
        kwargs: dict[str, Any] = {}
        missing: list[str] = []
        names = self.names()
        for name, param in inspect.signature(function).parameters.items():
            if param.kind not in _INPUT_KINDS or name not in names:
                continue
            value = self.get(name)
            if value is None and param.default is inspect.Parameter.empty:
                missing.append(name)
            kwargs[name] = value
        return kwargs, missing

    def call(self, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """``function(*args, **kwargs)``, once per run and method parameters if every input
        passed is the run's own (the same object); else a plain call."""
        key = self._key(function, args, kwargs)
        if key is None:
            return function(*args, **kwargs)
        if key not in self._results:
            self._results[key] = function(*args, **kwargs)
            self._count(function)
        result = self._results[key]
        if isinstance(result, _Started):  # computed by another process meanwhile
            result = self._results[key] = result.outcome(function, args, kwargs)
        return cast(R, result)

    def start(
        self, executor: Executor, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs
    ) -> None:
        """Have ``executor`` (another process, with picklable ``function`` and arguments)
        compute what :meth:`call` would, while the caller goes on, with the caller's threads
        (:func:`~gardencity.io.threads.with_callers_threads`); :meth:`call` waits for it
        then. Where the executor cannot take it, or fails at it, :meth:`call` computes it
        here (an error it raises is raised here, as it would have been)."""
        key = self._key(function, args, kwargs)
        if key is None or key in self._results:
            return
        try:
            future = executor.submit(with_callers_threads(function), *args, **kwargs)
        except (BrokenExecutor, RuntimeError, OSError):
            return
        self._results[key] = _Started(future)
        self._count(function)

    def _key(
        self, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[Callable[..., Any], str] | None:
        """The key of the call among the run's intermediates; None where an input passed
        is not the run's own."""
        bound = inspect.signature(function).bind(*args, **kwargs)
        bound.apply_defaults()
        params: dict[str, Any] = {}
        names = self.names()
        for name, value in bound.arguments.items():
            kind = bound.signature.parameters[name].kind
            if kind is inspect.Parameter.KEYWORD_ONLY:
                params[name] = value
            elif kind not in _INPUT_KINDS or name not in names or value is not self.get(name):
                return None
        return (function, json.dumps(params, sort_keys=True, default=repr))

    def _count(self, function: Callable[..., Any]) -> None:
        label = f"{function.__module__}.{function.__qualname__}"
        self.computed[label] = self.computed.get(label, 0) + 1


class _Started:
    """An intermediate handed to another process."""

    def __init__(self, future: Future[Any]) -> None:
        self.future = future

    def outcome(
        self, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        try:
            return self.future.result()
        except Exception:  # the process died, or the work failed there: done here instead
            return function(*args, **kwargs)


def shared(
    run: RunContext | None, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs
) -> R:
    """``function(*args, **kwargs)``, computed once in ``run`` (see :meth:`RunContext.call`);
    a plain call when there is no run. Callers must not modify what they get back."""
    if run is None:
        return function(*args, **kwargs)
    return run.call(function, *args, **kwargs)
