"""The report's figures, each drawn as soon as what it shows is computed.

:class:`EarlyDistrictFigures` hears each indicator as it is computed and has the figure
worker draw its district choropleth once the indicators of its measure are all computed: as
soon as the assessment says so (``measure_computed``), or else when the next measure's
indicator is computed; the report's choropleths are drawn from the scorecard at the end only
where they differ from those drawn early. Its bar charts, SVG, are made at the end.

The assessment builds each family's diagnostic layers as soon as its indicator is computed
(:class:`gardencity.assessment.diagnostics.DiagnosticLayers`); :class:`EarlyLayerMaps` hears
them, with the zones, and has the figure worker draw each layer map whose layers are all
there while the other indicators are computed. At the end it gives the report's maps in
their order: those drawn early where the final layers are the very ones drawn, any other
drawn then. The maps are the ones :func:`gardencity.reports.html.layer_map_plans` prepares
from the assessment's layers.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import geopandas as gpd

from gardencity.assessment.results import IndicatorResult
from gardencity.assessment.scorecard import IndicatorCard, Scorecard
from gardencity.reports.html import (
    FigureRequest,
    district_charts,
    district_figure_requests,
    districts_of,
    layer_map_plan,
    report_maps_of,
)
from gardencity.reports.map_layers import MapPlan
from gardencity.reports.worker import DistrictFigures, FigureWorker

__all__ = ["EarlyDistrictFigures", "EarlyFigures", "EarlyLayerMaps"]

#: a map and the very layers it shows: its title and the identity of each diagnostic layer
_Key = tuple[str, tuple[int, ...]]
Drawn = Callable[[], list[dict[str, str]]]


class EarlyLayerMaps:
    """Layer maps started on ``figures`` as their layers are built (see the module).

    A map is prepared on a thread of its own (shapely's work leaves the interpreter free
    meanwhile), so that the caller goes on with the next indicator."""

    def __init__(self, figures: FigureWorker, lang: str) -> None:
        self._figures = figures
        self._lang = lang
        self._zones: gpd.GeoDataFrame | None = None
        self._layers: dict[str, gpd.GeoDataFrame] = {}
        self._started: dict[_Key, Drawn] = {}
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="layer-maps")
        self._added: list[Future[None]] = []

    @property
    def started(self) -> int:
        """How many maps were started as their layers were built."""
        self._settle()
        return len(self._started)

    def zones_read(self, zones: gpd.GeoDataFrame) -> None:
        """The assessment's zones (the districts are drawn on every map)."""
        self._zones = zones

    def add(self, name: str, layer: gpd.GeoDataFrame) -> None:
        """A diagnostic layer just built: the maps it completes are started."""
        self._added.append(self._thread.submit(self._add, name, layer))

    def _settle(self) -> None:
        """Every layer given so far taken in (an error preparing a map is raised here)."""
        added, self._added = self._added, []
        for future in added:
            future.result()

    def _add(self, name: str, layer: gpd.GeoDataFrame) -> None:
        self._layers[name] = layer
        if self._zones is None:
            return
        for title, layers, sources in report_maps_of(self._zones, self._layers):
            key = _key(title, sources, self._layers)
            if key not in self._started and all(n in self._layers for n in sources):
                plan = layer_map_plan(self._zones, title, layers, self._lang)
                self._started[key] = self._figures.layer_maps(
                    [plan], again=_plan_again(self._zones, title, dict(self._layers), self._lang)
                )

    def maps(self, zones: gpd.GeoDataFrame, diagnostics: dict[str, gpd.GeoDataFrame]) -> Drawn:
        """The report's layer maps of ``zones`` and ``diagnostics`` (the assessment's), in
        their order; the function returned gives them."""
        self._settle()
        self._thread.shutdown()
        early = self._started if zones is self._zones else {}
        parts: list[Drawn] = []
        for title, layers, sources in report_maps_of(zones, diagnostics):
            drawn = early.get(_key(title, sources, diagnostics))
            if drawn is None:
                drawn = self._figures.layer_maps([layer_map_plan(zones, title, layers, self._lang)])
            parts.append(drawn)
        return lambda: [figure for part in parts for figure in part()]


def _plan_again(
    zones: gpd.GeoDataFrame, title: str, layers: dict[str, gpd.GeoDataFrame], lang: str
) -> Callable[[], list[MapPlan]]:
    """The plan of the map ``title`` made anew from the layers (which are kept anyway),
    rather than the plan kept until the map is drawn."""
    return lambda: [
        layer_map_plan(zones, t, shown, lang)
        for t, shown, _ in report_maps_of(zones, layers)
        if t == title
    ]


def _key(title: str, sources: tuple[str, ...], layers: dict[str, gpd.GeoDataFrame]) -> _Key:
    return title, tuple(id(layers.get(name)) for name in sources)


class EarlyDistrictFigures:
    """District figures started on ``figures`` as the indicators are computed (see the
    module)."""

    def __init__(self, figures: FigureWorker, lang: str) -> None:
        self._figures = figures
        self._lang = lang
        self._zones: gpd.GeoDataFrame | None = None
        self._computed: list[IndicatorCard] = []
        self._asked = 0  # how many of the computed indicators have had their figures started
        self._started: dict[bytes, Callable[[], str]] = {}
        self.drawn_late = 0
        """How many of the report's figures were not among those drawn early."""

    @property
    def started(self) -> int:
        """How many figures were started as the indicators were computed."""
        return len(self._started)

    def zones_read(self, zones: gpd.GeoDataFrame) -> None:
        """The assessment's zones (their districts are drawn and named)."""
        self._zones = zones

    def computed(self, result: IndicatorResult) -> None:
        """An indicator just computed: the figures of the measures computed before it are
        started."""
        card = IndicatorCard.model_validate(result.to_dict())
        before = self._computed[-1].method.measure if self._computed else card.method.measure
        if card.method.measure != before:
            self._start()
        self._computed.append(card)

    def measure_computed(self, measure: str) -> None:
        """The last indicator of ``measure`` just computed: the figures of the indicators
        computed so far are started now, rather than when the next measure's indicator is."""
        self._start()

    def _start(self) -> None:
        """The figures of the indicators computed so far started (each figure once; nothing
        where no indicator was computed since the last start)."""
        if self._zones is None or self._asked == len(self._computed):
            return
        self._asked = len(self._computed)
        districts = districts_of(self._zones)
        for _, request in district_figure_requests(self._computed, districts, self._lang):
            key = _figure_key(request)
            if key not in self._started:
                self._started[key] = self._figures.district_figure(request)

    def figures(
        self, scorecard: Scorecard, zones: gpd.GeoDataFrame
    ) -> Callable[[], DistrictFigures]:
        """The report's district figures of ``scorecard`` over ``zones`` (the
        assessment's); the function returned gives them."""
        early = self._started if zones is self._zones else {}
        maps = district_figure_requests(scorecard.indicators, districts_of(zones), self._lang)

        def start(title: str, request: FigureRequest) -> tuple[str, Callable[[], str]]:
            drawn = early.get(_figure_key(request))
            if drawn is None:
                self.drawn_late += 1
                drawn = self._figures.district_figure(request)
            return title, drawn

        started = [start(*m) for m in maps]

        def given() -> DistrictFigures:
            charts = district_charts(scorecard, self._lang)  # SVG: made here, in no time
            return [{"title": title, "html": drawn()} for title, drawn in started], charts

        return given


def _figure_key(request: FigureRequest) -> bytes:
    """The figure's arguments as bytes: equal keys draw the same figure."""
    return pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)


class EarlyFigures:
    """The report's layer maps and district figures, each drawn by ``figures`` as soon as
    what it shows is computed: hand it the zones (:meth:`zones_read`), each diagnostic
    layer (:meth:`layer_built`), each indicator (:meth:`indicator_computed`) and each
    measure whose indicators are all computed (:meth:`measure_computed`) as they come
    (:func:`gardencity.assessment.run_assessment`'s callbacks of the same names)."""

    def __init__(self, figures: FigureWorker, lang: str) -> None:
        self.layer_maps = EarlyLayerMaps(figures, lang)
        self.district = EarlyDistrictFigures(figures, lang)

    def zones_read(self, zones: gpd.GeoDataFrame) -> None:
        self.layer_maps.zones_read(zones)
        self.district.zones_read(zones)

    def layer_built(self, name: str, layer: gpd.GeoDataFrame) -> None:
        self.layer_maps.add(name, layer)

    def indicator_computed(self, result: IndicatorResult) -> None:
        self.district.computed(result)

    def measure_computed(self, measure: str) -> None:
        self.district.measure_computed(measure)
