"""Intermediate results shared within one assessment run.

A measure and the diagnostic layers often need the same costly intermediate (the walking
distance of every residential cell, the canopy share of every road side-segment). Inside
:func:`shared_results` (the assessment run opens it), a function decorated with
:func:`shared` computes once per distinct arguments (inputs by identity, parameters by
value) and returns the same object afterwards; outside it, it is a plain function call.
Callers must not modify what they get back.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

__all__ = ["shared", "shared_results"]

P = ParamSpec("P")
R = TypeVar("R")
_RUN: ContextVar[dict[Any, Any] | None] = ContextVar("gardencity_shared_results", default=None)


@contextmanager
def shared_results() -> Iterator[None]:
    """Share decorated functions' results until the block ends."""
    token = _RUN.set({})
    try:
        yield
    finally:
        _RUN.reset(token)


def _key(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return ("value", value)
    if isinstance(value, list | tuple):
        return ("items", tuple(_key(v) for v in value))
    if isinstance(value, Mapping):
        return ("mapping", tuple(sorted((str(k), _key(v)) for k, v in value.items())))
    return ("object", id(value))


def shared(function: Callable[P, R]) -> Callable[P, R]:
    """Compute ``function`` once per distinct arguments inside :func:`shared_results`.

    >>> calls = []
    >>> @shared
    ... def double(x: int, scale: int = 2) -> int:
    ...     calls.append(x)
    ...     return x * scale
    >>> with shared_results():
    ...     double(3), double(3, scale=2), double(4)
    (6, 6, 8)
    >>> calls
    [3, 4]
    """
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        cache = _RUN.get()
        if cache is None:
            return function(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        key = (function.__qualname__, tuple((n, _key(v)) for n, v in bound.arguments.items()))
        if key not in cache:  # the arguments are kept too, so that no id is reused
            cache[key] = (function(*args, **kwargs), bound.arguments)
        result: R = cache[key][0]
        return result

    return wrapper
