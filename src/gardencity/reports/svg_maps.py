"""The report's maps as SVG in the page (``map_figure.html.j2``): every feature of a layer
in one SVG path, drawn by the browser sharp at any zoom and in print; what is written on a
map (the districts' names and values, the scale, the legend) is the page's own text beside
and over the drawing, so that it stays at its size on a phone, where the drawing shrinks.

The coordinates are those of a prepared map (:class:`~gardencity.reports.map_layers.MapPlan`)
rounded to the map's own units (:data:`WIDTH` across: under a pixel of the page's widest
map, a sixth of a millimetre printed); consecutive points that round to the same unit are
written once. The Word self-assessment report still draws its maps as pictures
(:mod:`gardencity.reports.maps`).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
from markupsafe import Markup

from gardencity.reports.map_layers import (
    CLOSEPOLY,
    MOVETO,
    MapLayer,
    MapPlan,
    layer_paths,
    scale_bar_metres,
)
from gardencity.vocabulary import Style, vocabulary
from gardencity.vocabulary.places import place_names

__all__ = ["WIDTH", "choropleth_svg", "path_data", "plan_svg", "ramp_colours", "value_ramp"]

WIDTH = 1000  # the map's own units across (its viewBox), scaled to the page's column
PAD = 0.02  # the share of the data's larger side left free around it
HATCH_SPACING = 24  # units between the lines of a single-stroke hatch ("/"); "///" a third


@dataclass(frozen=True)
class Frame:
    """The map's units: ``WIDTH`` across the data's bounds and their margin, y downwards."""

    x0: float
    y1: float
    scale: float
    width: int
    height: int
    span: float  # the data's width, in metres

    @classmethod
    def around(cls, bounds: Sequence[float]) -> Frame:
        x0, y0, x1, y1 = (float(b) for b in bounds)
        span, tall = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        pad = PAD * max(span, tall)
        scale = WIDTH / (span + 2 * pad)
        return cls(x0 - pad, y1 + pad, scale, WIDTH, round((tall + 2 * pad) * scale), span)

    def units(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates ``(n, 2)`` in whole units."""
        x = np.rint((xy[:, 0] - self.x0) * self.scale).astype(np.int64)
        y = np.rint((self.y1 - xy[:, 1]) * self.scale).astype(np.int64)
        return x, y

    def percent(self, x: float, y: float) -> tuple[float, float]:
        """A point's place across and down the map, in per cent."""
        return (
            round((x - self.x0) * self.scale / self.width * 100, 2),
            round((self.y1 - y) * self.scale / self.height * 100, 2),
        )


def path_data(xy: np.ndarray, codes: np.ndarray, frame: Frame, *, line: bool = False) -> str:
    """SVG path data of a compound path (matplotlib's codes: a ring closed by ``z``), in
    whole units, each point as a step from the one before (relative commands: a few digits
    each); a point that rounds to the one before it is left out. Lines: one that starts
    where the one before it ended goes on from there, and one whose points all round to
    one keeps its end, which a round cap draws as a dot.

    >>> frame = Frame(0.0, 10.0, 100.0, 1000, 1000, 10.0)
    >>> xy = np.array([[0, 10], [1, 10], [1, 9], [0, 10], [0.001, 0], [0.002, 0]])
    >>> path_data(xy, np.array([1, 2, 2, 79, 1, 2]), frame)
    'm0 0 100 0 0 100zm0 1000'
    >>> lines = np.array([[0, 0], [1, 0], [1, 0], [1, 1], [5, 5], [5, 5.001]])
    >>> path_data(lines, np.array([1, 2, 1, 2, 1, 2]), frame, line=True)
    'm0 1000 100 0 0 -100m400 -400 0 0'
    """
    if not len(xy):
        return ""
    x, y = frame.units(xy)
    keep = _kept(x, y, codes, line)
    x, y, kinds = x[keep], y[keep], codes[keep]
    # the current point before each step: the point before, or after a ring's close its start
    path = np.cumsum(kinds == MOVETO) - 1
    first = np.flatnonzero(kinds == MOVETO)
    cx = np.where(kinds == CLOSEPOLY, x[first][path], x)
    cy = np.where(kinds == CLOSEPOLY, y[first][path], y)
    dx = np.where(kinds == CLOSEPOLY, 0, x - np.r_[0, cx[:-1]])
    dy = np.where(kinds == CLOSEPOLY, 0, y - np.r_[0, cy[:-1]])
    return "".join(
        "z" if k == CLOSEPOLY else f"m{a} {b}" if k == MOVETO else f" {a} {b}"
        for a, b, k in zip(dx.tolist(), dy.tolist(), kinds.tolist(), strict=True)
    )


def _kept(x: np.ndarray, y: np.ndarray, codes: np.ndarray, line: bool) -> np.ndarray:
    """Which points :func:`path_data` writes (a line that goes on from the one before
    loses its move)."""
    start, close = codes == MOVETO, codes == CLOSEPOLY
    same = np.r_[False, (x[1:] == x[:-1]) & (y[1:] == y[:-1])]
    keep = ~same | start | close
    if not line:
        return np.asarray(keep)
    path = np.cumsum(start) - 1
    single = np.bincount(path, weights=keep)[path] < 2  # every point rounds to the first
    keep |= np.r_[start[1:], True] & single  # its end kept: a dot
    goes_on = (start & same)[np.flatnonzero(start)][path]  # starts where the last ended
    keep &= ~(goes_on & (start | single))
    return np.asarray(keep)


@dataclass(frozen=True)
class Hatch:
    """A hatch as an SVG pattern: parallel lines ``spacing`` apart, turned ``angle``."""

    id: str
    colour: str
    spacing: float
    angle: int


@dataclass(frozen=True)
class Paint:
    """How a layer's path is drawn: its SVG attributes and its hatch, if any."""

    attributes: tuple[tuple[str, str], ...]
    hatch: Hatch | None = None


def paint(style: Style, *, area: bool, key: str) -> Paint:
    """A vocabulary style as SVG attributes (widths and dashes in screen pixels, whatever
    the map's size); ``key`` names the hatch's pattern, once in a page. A line style on
    polygons draws their outlines."""
    attributes: list[tuple[str, str]] = []
    if area and style.fill is not None:
        attributes.append(("fill", style.fill))
        if style.fill_opacity < 1:
            attributes.append(("fill-opacity", f"{style.fill_opacity:g}"))
    else:
        attributes.append(("fill", "none"))
    stroke = style.stroke if (style.stroke or not area) else None
    if stroke is not None or style.fill is None:
        attributes.append(("stroke", stroke or _ink()))
        attributes.append(("stroke-width", f"{max(style.pixels(), 0.5):g}"))
        if style.dash:
            dash = " ".join(f"{d * 96 / 25.4:.1f}" for d in style.dash)
            attributes.append(("stroke-dasharray", dash))
    hatch = None
    if area and style.hatch:
        strokes = max(len(style.hatch), 1)
        angle = -45 if style.hatch[0] == "\\" else 45
        hatch = Hatch(f"hatch-{key}", style.stroke or _ink(), HATCH_SPACING / strokes, angle)
    return Paint(tuple(attributes), hatch)


def _ink() -> str:
    """The colour of a line whose style gives none: the pages' text."""
    return vocabulary().style("theme", "ink").fill or "black"


def _key(*parts: str) -> str:
    """A short name for a figure's patterns, the same for the same figure."""
    return format(zlib.crc32("\x1f".join(parts).encode()), "08x")


@dataclass(frozen=True)
class DrawnLayer:
    """A layer's path in the figure: its vocabulary name, path data, paint and tooltip."""

    name: str
    d: str
    paint: Paint
    tooltip: str | None = None


@dataclass(frozen=True)
class LegendEntry:
    """A legend's line: its swatch (a line, or an area with its paint) and its words."""

    label: str
    paint: Paint
    line: bool


@dataclass(frozen=True)
class Place:
    """Words written on the map, centred at ``left``, ``top`` (per cent), their lines at
    most ``width`` per cent of the map wide (wrapped between words; None: as long as they
    are)."""

    lines: tuple[str, ...]
    left: float
    top: float
    width: float | None = None

    @classmethod
    def within(cls, lines: tuple[str, ...], frame: Frame, point: Any, bounds: Any) -> Place:
        """Words at ``point`` kept to the width of the area ``bounds`` (x0, y0, x1, y1)
        they name, and inside the map (a long name wraps rather than cover its
        neighbour's or run off the map)."""
        left, top = frame.percent(point.x, point.y)
        width = round((bounds[2] - bounds[0]) * frame.scale / frame.width * 100 * 0.9, 2)
        width = min(max(width, 1.0), 100.0)
        left = min(max(left, width / 2), 100 - width / 2)
        return cls(lines, left, top, width)


def plan_svg(plan: MapPlan) -> Markup:
    """A prepared map as SVG with its scale, north arrow and legend (HTML markup)."""
    words = vocabulary()
    frame = Frame.around(plan.bounds)
    key = _key(plan.title, *(layer.name for layer in plan.layers))
    layers, legend = [], []
    for i, layer in enumerate(plan.layers):
        style = words.style("layers", layer.name)
        drawn = paint(style, area=layer.area and not layer.line, key=f"{key}-{i}")
        layers.append(DrawnLayer(layer.name, _layer_data(layer, frame), drawn))
        label = words.label("layers", layer.name, plan.lang)
        legend.append(LegendEntry(label, drawn, layer.line))
    places = [Place((name,), *frame.percent(x, y)) for name, x, y in plan.names]
    return _figure(plan.title, plan.lang, frame, layers, places, legend)


def _layer_data(layer: MapLayer, frame: Frame) -> str:
    return path_data(layer.xy, layer.codes, frame, line=not layer.area)


def value_ramp() -> list[str]:
    """The vocabulary's colours for values from low to high (``value_ramp``)."""
    return [
        term.style.fill
        for term in vocabulary().value_ramp.values()
        if term.style and term.style.fill
    ]


def ramp_colours(
    values: npt.NDArray[np.float64], colours: Sequence[str] | None = None
) -> list[str | None]:
    """Each value's colour on the ramp from the lowest value to the highest (the lowest
    colour where they are all equal), interpolated between ``colours`` (the vocabulary's
    :func:`value_ramp`) as matplotlib's colour maps are; an unknown value has none.

    >>> low, high, unknown, middle = ramp_colours(np.array([10.0, 20.0, np.nan, 15.0]))
    >>> steps = value_ramp()
    >>> (low, high, unknown, middle) == (steps[0], steps[-1], None, steps[4])
    True
    """
    colours = list(colours or value_ramp())
    anchors = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in colours], float)
    known = np.isfinite(values)
    low, high = (values[known].min(), values[known].max()) if known.any() else (0.0, 0.0)
    share = np.where(known, (values - low) / (high - low) if high > low else 0.0, 0.0)
    at = np.clip(share, 0, 1) * (len(colours) - 1)
    below = np.minimum(np.floor(at).astype(int), len(colours) - 2)
    rgb = anchors[below] + (anchors[below + 1] - anchors[below]) * (at - below)[:, None]
    return [
        "#{:02x}{:02x}{:02x}".format(*np.rint(c).astype(int)) if ok else None
        for c, ok in zip(rgb, known, strict=True)
    ]


def choropleth_svg(
    zones: gpd.GeoDataFrame,
    column: str,
    threshold: float | None,
    labels: dict[str, str],
    title: str,
    unit: str,
    *,
    lang: str,
) -> Markup:
    """Districts coloured by ``column`` from low to high, each named with its value (or
    that it has none, in the no-data colour); those below ``threshold`` hatched. HTML."""
    words = vocabulary()
    frame = Frame.around(zones.total_bounds)
    key = _key(title, column, lang)
    values = zones[column].to_numpy(dtype=float)
    colours = ramp_colours(values)
    names = place_names(zones["name"], zones.get("name_en"), lang)
    outline = words.style("layers", "districts")
    no_data = paint(words.style("layers", "no_data"), area=True, key=f"{key}-none")
    below = words.style("layers", "districts_below_minimum").model_copy(update={"fill": None})
    hatched = paint(below, area=True, key=f"{key}-below")
    known = np.isfinite(values)
    short = known & (values < threshold) if threshold is not None else np.zeros_like(known)
    layers, places = [], []
    points = zones.geometry.representative_point()
    for i, geom in enumerate(zones.geometry.to_numpy()):
        xy, codes, _ = layer_paths(np.array([geom], dtype=object))
        d = path_data(xy, codes, frame)
        colour = colours[i]
        shown = labels["no_value"] if colour is None else f"{values[i]:.1f}"
        filled = (
            no_data
            if colour is None
            else paint(
                outline.model_copy(update={"fill": colour, "fill_opacity": 1.0}), area=True, key=key
            )
        )
        tooltip = f"{names[i]}: {shown} {unit}".strip() if colour else f"{names[i]}: {shown}"
        layers.append(DrawnLayer("districts", d, filled, tooltip))
        if short[i]:
            layers.append(DrawnLayer("districts_below_minimum", d, hatched))
        places.append(Place.within((names[i], shown), frame, points.iloc[i], geom.bounds))
    legend = []
    if any(short):
        legend.append(LegendEntry(f"{labels['legend_below']} {threshold:g} {unit}", hatched, False))
    if not known.all():
        legend.append(LegendEntry(words.label("layers", "no_data", lang), no_data, False))
    return _figure(title, lang, frame, layers, places, legend, ramp=_ramp(values, unit))


def _ramp(values: npt.NDArray[np.float64], unit: str) -> dict[str, str] | None:
    """The colour ramp's legend: its lowest and highest values, its unit and colours."""
    known = values[np.isfinite(values)]
    if not len(known):
        return None
    return {
        "low": f"{known.min():.1f}",
        "high": f"{known.max():.1f}",
        "unit": unit,
        "gradient": ", ".join(value_ramp()),
    }


def _figure(
    title: str,
    lang: str,
    frame: Frame,
    layers: list[DrawnLayer],
    places: list[Place],
    legend: list[LegendEntry],
    *,
    ramp: dict[str, str] | None = None,
) -> Markup:
    from gardencity.reports.html import report_templates

    hatches = {d.paint.hatch.id: d.paint.hatch for d in layers if d.paint.hatch}
    return Markup(
        report_templates()
        .get_template("map_figure.html.j2")
        .render(
            title=title,
            frame=frame,
            layers=layers,
            hatches=list(hatches.values()),
            places=places,
            legend=legend,
            ramp=ramp,
            scale=_scale_bar(frame, lang),
            north=vocabulary().label("map_marks", "north", lang),
        )
    )


def _scale_bar(frame: Frame, lang: str) -> dict[str, str | float]:
    """A round length near a fifth of the map's data, its share of the map's width and
    its words (as the pictures' scale bars have it)."""
    bar = scale_bar_metres(frame.span)
    return {
        "percent": round(bar * frame.scale / frame.width * 100, 2),
        "label": f"{bar / 1000:g} {vocabulary().label('units', 'km', lang)}",
    }
