"""The report's layer maps, each drawn as soon as the diagnostic layers it shows are built.

The assessment builds each family's diagnostic layers as soon as its indicator is computed
(:class:`gardencity.assessment.diagnostics.DiagnosticLayers`); :class:`EarlyLayerMaps` hears
them, with the zones, and has the figure worker draw each layer map whose layers are all
there while the other indicators are computed. At the end it gives the report's maps in
their order: those drawn early where the final layers are the very ones drawn, any other
drawn then. The maps are the ones :func:`gardencity.reports.html.layer_map_plans` prepares
from the assessment's layers.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd

from gardencity.reports.html import layer_map_plan, report_maps_of
from gardencity.reports.worker import FigureWorker

__all__ = ["EarlyLayerMaps"]

#: a map and the very layers it shows: its title and the identity of each diagnostic layer
_Key = tuple[str, tuple[int, ...]]
Drawn = Callable[[], list[dict[str, str]]]


class EarlyLayerMaps:
    """Layer maps started on ``figures`` as their layers are built (see the module)."""

    def __init__(self, figures: FigureWorker, lang: str) -> None:
        self._figures = figures
        self._lang = lang
        self._zones: gpd.GeoDataFrame | None = None
        self._layers: dict[str, gpd.GeoDataFrame] = {}
        self._started: dict[_Key, Drawn] = {}

    @property
    def started(self) -> int:
        """How many maps were started as their layers were built."""
        return len(self._started)

    def zones_read(self, zones: gpd.GeoDataFrame) -> None:
        """The assessment's zones (the districts are drawn on every map)."""
        self._zones = zones

    def add(self, name: str, layer: gpd.GeoDataFrame) -> None:
        """A diagnostic layer just built: the maps it completes are started."""
        self._layers[name] = layer
        if self._zones is None:
            return
        for title, layers, sources in report_maps_of(self._zones, self._layers):
            key = _key(title, sources, self._layers)
            if key not in self._started and all(n in self._layers for n in sources):
                plan = layer_map_plan(self._zones, title, layers, self._lang)
                self._started[key] = self._figures.layer_maps([plan])

    def maps(self, zones: gpd.GeoDataFrame, diagnostics: dict[str, gpd.GeoDataFrame]) -> Drawn:
        """The report's layer maps of ``zones`` and ``diagnostics`` (the assessment's), in
        their order; the function returned gives them."""
        early = self._started if zones is self._zones else {}
        parts: list[Drawn] = []
        for title, layers, sources in report_maps_of(zones, diagnostics):
            drawn = early.get(_key(title, sources, diagnostics))
            if drawn is None:
                drawn = self._figures.layer_maps([layer_map_plan(zones, title, layers, self._lang)])
            parts.append(drawn)
        return lambda: [figure for part in parts for figure in part()]


def _key(title: str, sources: tuple[str, ...], layers: dict[str, gpd.GeoDataFrame]) -> _Key:
    return title, tuple(id(layers.get(name)) for name in sources)
