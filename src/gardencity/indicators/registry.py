"""The registry of indicator families: each family module declares, next to its measures, what
the assessment and the report make of them.

A family (:class:`Family`) names its measures and may declare

* diagnostic layers (:class:`Diagnostic`): layers of ``diagnostics.gpkg`` built from the
  catalogue parameters of the first indicator that uses one of its measures;
* shortfall figures (:class:`GapFigure`): extra numbers in an indicator's ``gap`` (such as
  the hectares of residential land left uncovered);
* charts (:class:`Chart`): the report's bar chart or map of the districts' values.

The assessment, the diagnostics and the report read only this registry, so a new indicator
touches its family module and the catalogue only (see ``docs/adding-an-indicator.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import geopandas as gpd
import pandas as pd

from gardencity.errors import StandardError

__all__ = ["Chart", "Diagnostic", "Family", "FamilyRegistry", "GapFigure"]

Measure = Callable[..., pd.Series]
DiagnosticBuilder = Callable[..., Mapping[str, gpd.GeoDataFrame]]
ChartKind = Literal["bar", "map"]


@dataclass(frozen=True)
class Diagnostic:
    """Layers of ``diagnostics.gpkg`` that show where the city falls short on ``measure``.

    Parameters
    ----------
    measure
        The measure whose catalogue parameters ``build`` takes (those of the first indicator
        of the standard that uses it; without such an indicator the layers are not built).
    layers
        The names of the layers ``build`` returns (unique among all families).
    build
        Called like a measure: the prepared inputs it names (``run`` included) and the
        measure's parameters as keyword arguments; returns ``{layer name: GeoDataFrame}``
        (fewer layers, or none, when the data has nothing to show). A missing input or a
        :class:`~gardencity.errors.GardenCityError` skips its layers.
    """

    measure: str
    layers: tuple[str, ...]
    build: DiagnosticBuilder


@dataclass(frozen=True)
class GapFigure:
    """An extra figure of a shortfall: ``gap[name] = compute(series, gap_unit)``.

    Parameters
    ----------
    measure
        Indicators of this measure get the figure when they fall short.
    name
        The key in the indicator's ``gap`` (e.g. ``uncovered_ha``).
    compute
        From the measure's result (with its ``attrs``) and the catalogue's gap unit: the
        figure, or ``None`` where it does not apply.
    """

    measure: str
    name: str
    compute: Callable[[pd.Series, str], float | None]


@dataclass(frozen=True)
class Chart:
    """A figure of the report for every indicator of ``measure`` with a scope in ``scopes``.

    Parameters
    ----------
    measure
        The measure charted.
    kind
        ``bar``: the districts' values against the threshold; ``map``: the districts
        coloured by value (the threshold of the standard's lowest-district indicator of the
        same measure, if any, else the indicator's own).
    scopes
        The indicator scopes charted (by default the city-wide indicator only: a
        ``min_district`` indicator shows the same district values).
    title_label
        Key of the report's labels (``reports/i18n``) for the title; default the
        indicator's name.
    """

    measure: str
    kind: ChartKind = "bar"
    scopes: tuple[str, ...] = ("built_up_area",)
    title_label: str | None = None


@dataclass(frozen=True)
class Family:
    """An indicator family: its measures and what is derived from them.

    Parameters
    ----------
    name
        Unique name (the built-in families use their module's name).
    measures
        The measure functions; a catalogue entry names one by its function name.
    diagnostics, gap_figures, charts
        Declarations for the family's own measures.

    Examples
    --------
    >>> def tree_count(zones, trees):
    ...     return zones.geometry.area * 0
    >>> family = Family("toy", (tree_count,), charts=(Chart("tree_count"),))
    >>> registry = FamilyRegistry()
    >>> registry.register(family)
    >>> sorted(registry.measures), [c.kind for c in registry.charts("tree_count")]
    (['tree_count'], ['bar'])
    """

    name: str
    measures: tuple[Measure, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    gap_figures: tuple[GapFigure, ...] = ()
    charts: tuple[Chart, ...] = ()

    def measure_names(self) -> tuple[str, ...]:
        return tuple(m.__name__ for m in self.measures)


class FamilyRegistry:
    """The registered families, in registration order, and lookups over them."""

    def __init__(self) -> None:
        self._families: dict[str, Family] = {}
        self._measures: dict[str, Measure] = {}
        self.measures: Mapping[str, Measure] = MappingProxyType(self._measures)
        """Every registered measure by name (a live, read-only view)."""

    def __iter__(self) -> Iterator[Family]:
        return iter(tuple(self._families.values()))

    def __contains__(self, name: object) -> bool:
        return name in self._families

    def register(self, family: Family) -> None:
        """Add ``family``; every problem of its declarations is reported at once."""
        problems = self._problems(family)
        if problems:
            from gardencity.messages import Catalogue, Listing

            listed = Listing(tuple(problems), ("；", "; "))
            raise StandardError(
                Catalogue(__package__).message(
                    "family_invalid", family=family.name, problems=listed
                )
            )
        self._families[family.name] = family
        self._measures.update({m.__name__: m for m in family.measures})

    def unregister(self, name: str) -> None:
        """Remove the family ``name`` (e.g. a family a test registered)."""
        family = self._families.pop(name)
        for measure in family.measure_names():
            self._measures.pop(measure, None)

    @contextmanager
    def registered(self, family: Family) -> Iterator[Family]:
        """Register ``family`` for the duration of a ``with`` block."""
        self.register(family)
        try:
            yield family
        finally:
            self.unregister(family.name)

    def _problems(self, family: Family) -> list[str]:
        problems = []
        if family.name in self._families:
            problems.append(f"a family named '{family.name}' is already registered")
        own = family.measure_names()
        taken = sorted(set(own) & set(self._measures))
        if taken:
            problems.append(f"measure(s) {taken} already belong to another family")
        if len(set(own)) != len(own):
            problems.append("a measure is listed twice")
        declared: list[Diagnostic | GapFigure | Chart] = [
            *family.diagnostics,
            *family.gap_figures,
            *family.charts,
        ]
        foreign = sorted({d.measure for d in declared} - set(own))
        if foreign:
            problems.append(f"declarations for measure(s) {foreign} that are not the family's")
        layers = [name for d in family.diagnostics for name in d.layers]
        existing = {name for d in self.diagnostics() for name in d.layers}
        clash = sorted({n for n in layers if n in existing or layers.count(n) > 1})
        if clash:
            problems.append(f"diagnostic layer name(s) {clash} are not unique")
        return problems

    def measure(self, name: str) -> Measure:
        return self._measures[name]

    def diagnostics(self) -> list[Diagnostic]:
        """Every family's diagnostic layers, in registration order."""
        return [d for family in self._families.values() for d in family.diagnostics]

    def gap_figures(self, measure: str) -> list[GapFigure]:
        return [g for f in self._families.values() for g in f.gap_figures if g.measure == measure]

    def charts(self, measure: str | None) -> list[Chart]:
        return [c for f in self._families.values() for c in f.charts if c.measure == measure]

    def chart(self, measure: str | None, kind: ChartKind, scope: str) -> Chart | None:
        """The chart of ``kind`` for an indicator of ``measure`` and ``scope``, if declared."""
        return next((c for c in self.charts(measure) if c.kind == kind and scope in c.scopes), None)
