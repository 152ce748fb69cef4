"""Indicator measures: pure functions over GeoDataFrames, one module per family.

Each public function in a family module is a *measure*. Its name equals the ``measure`` of the
catalogue entries that use it. It takes prepared inputs by keyword (``zones``, ``land_use``,
``green_spaces``, ``vegetation``, ``canopy``, ``roads``, ``walk_graph`` …; see
``docs/architecture.md``) and the catalogue's method parameters as keyword-only arguments,
and returns a ``pandas.Series`` of values indexed like ``zones``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from gardencity.errors import UnknownIndicatorError

__all__ = ["FAMILIES", "REGISTRY", "get_measure"]

FAMILIES = (
    "coverage",
    "green_space",
    "accessibility",
    "roads",
    "biodiversity",
    "climate",
    "management",
)


def _build_registry() -> dict[str, Callable[..., Any]]:
    registry: dict[str, Callable[..., Any]] = {}
    for family in FAMILIES:
        module = importlib.import_module(f"gardencity.indicators.{family}")
        for name in getattr(module, "__all__", ()):
            registry[name] = getattr(module, name)
    return registry


REGISTRY: dict[str, Callable[..., Any]] = _build_registry()


def get_measure(name: str) -> Callable[..., Any]:
    """Return the measure function called ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownIndicatorError(
            f"No measure named '{name}'. Known measures: {', '.join(sorted(REGISTRY))}. "
            f"Fix: correct the `measure` of the catalogue entry."
        ) from None
