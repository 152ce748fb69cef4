"""Indicator measures: pure functions over GeoDataFrames, one module per family.

Each family module declares a :class:`~gardencity.indicators.registry.Family`
(``FAMILY``): its *measures* — functions whose name equals the ``measure`` of the catalogue
entries that use them; they take prepared inputs by keyword (``zones``, ``land_use``,
``green_spaces``, ``vegetation``, ``canopy``, ``roads``, ``walk_graph``, ``run`` …; see
``docs/architecture.md``) and the catalogue's method parameters as keyword-only arguments,
and return a ``pandas.Series`` of values indexed like ``zones`` — and, next to them, their
diagnostic layers, shortfall figures and report charts.

The built-in families are the modules of this package that define ``FAMILY``; other
packages add theirs under the entry-point group ``gardencity.indicator_families`` (an entry
point names a ``Family``), and code can call :func:`register_family`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from gardencity.errors import StandardError, UnknownIndicatorError
from gardencity.indicators.registry import Chart, Diagnostic, Family, FamilyRegistry, GapFigure
from gardencity.messages import Catalogue

__all__ = [
    "ENTRY_POINT_GROUP",
    "FAMILIES",
    "REGISTRY",
    "Chart",
    "Diagnostic",
    "Family",
    "FamilyRegistry",
    "GapFigure",
    "get_measure",
    "installed_families",
    "register_family",
    "unregister_family",
]
MESSAGES = Catalogue(__package__)

ENTRY_POINT_GROUP = "gardencity.indicator_families"

FAMILIES = FamilyRegistry()
"""Every registered indicator family (the built-in ones first)."""


def _builtin_families() -> list[Family]:
    families = []
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_") or module_info.name == "registry":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        family = getattr(module, "FAMILY", None)
        if isinstance(family, Family):
            families.append(family)
    return families


def installed_families() -> list[Family]:
    """The families other installed packages declare (entry-point group
    ``gardencity.indicator_families``)."""
    families = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        family = entry.load()
        if not isinstance(family, Family):
            raise StandardError(
                MESSAGES.message(
                    "not_a_family",
                    name=entry.name,
                    value=entry.value,
                    group=ENTRY_POINT_GROUP,
                    kind=type(family).__name__,
                )
            )
        families.append(family)
    return families


for _family in [*_builtin_families(), *installed_families()]:
    FAMILIES.register(_family)

REGISTRY = FAMILIES.measures
"""Every registered measure by name (a live, read-only view of :data:`FAMILIES`)."""


def register_family(family: Family) -> None:
    """Register an indicator family (its measures, diagnostics, shortfall figures, charts)."""
    FAMILIES.register(family)


def unregister_family(name: str) -> None:
    """Remove the family ``name`` from the registry."""
    FAMILIES.unregister(name)


def get_measure(name: str) -> Callable[..., Any]:
    """Return the measure function called ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownIndicatorError(
            MESSAGES.message("unknown_measure", name=name, known=sorted(REGISTRY))
        ) from None
