"""The report's bar charts of the districts' values against the threshold, as SVG in the
page (``bar_chart.svg.j2``): the browser draws them in the page's own font, sharp at any
size and in print, their words searchable and read out; no picture is drawn or encoded.

Only the layout is worked out here (scale, ticks, lines of the districts' names); the
words are measured by their characters' widths (:func:`text_width`), as the page's font
draws them near enough.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup

from gardencity.vocabulary import vocabulary

__all__ = ["PHONE_WIDTH", "WIDTH", "bar_chart", "nice_ticks"]

WIDTH = 600  # the chart's own units (the SVG's viewBox), scaled to the page's column
PHONE_WIDTH = 320  # a phone's chart: as wide as its screen, its words at their size
PLOT_HEIGHT = 190
TITLE_LINE = 19  # a line of the title, which a phone's chart may break
FONT = 12  # the names', ticks' and values' size; the title's is TITLE_FONT
TITLE_FONT = 15
LINE = 15  # a line of a name
MAX_NAME_LINES = 3
TICK = 4
TURN = 35  # degrees that names too long for their bars are turned up


@dataclass(frozen=True)
class Bar:
    """A district's bar: its slot's middle, its top and bottom, its colour, its label."""

    centre: float
    x: float
    top: float
    bottom: float
    colour: str
    value: str | None
    value_y: float
    name_lines: tuple[str, ...]
    tooltip: str


@dataclass(frozen=True)
class Tick:
    """A value marked on the chart (a tick of its axis, or the threshold): its height and
    its words."""

    y: float
    label: str

    @property
    def text_y(self) -> float:
        """Where its words stand, centred on its height."""
        return round(self.y + FONT * 0.35, 1)


def text_width(text: str, size: float = FONT) -> float:
    """About how wide ``text`` is drawn at ``size``: a wide (CJK) character one em, any
    digit about 0.64 of one, any other about 0.56 (generous for the fonts pages fall back
    on).

    >>> text_width("鼓楼区"), text_width("Gulou")
    (36.0, 33.6)
    """
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    digits = sum(c.isdigit() for c in text)
    return round(size * (wide + 0.64 * digits + 0.56 * (len(text) - wide - digits)), 1)


def name_lines(name: str, width: float, size: float = FONT) -> tuple[str, ...]:
    """``name`` on lines at most ``width`` wide where it can be: between words, or
    between CJK characters (which Chinese breaks anywhere); a word longer than a line
    keeps a line of its own.

    >>> name_lines("Economic Development Zone", 80)
    ('Economic', 'Development', 'Zone')
    >>> name_lines("经济技术开发区", 50)
    ('经济技术', '开发区')
    """
    tokens: list[str] = []
    for word in name.split():
        if any(unicodedata.east_asian_width(c) in "WF" for c in word):
            tokens.extend(word)
        else:
            tokens.append(word)
    lines: list[str] = []
    for token in tokens:
        joined = _joined(lines[-1], token) if lines else token
        if lines and text_width(joined, size) <= width:
            lines[-1] = joined
        else:
            lines.append(token)
    return tuple(lines) or ("",)


def _joined(line: str, token: str) -> str:
    """``token`` after ``line``: straight on between CJK characters, else after a space."""
    cjk = all(unicodedata.east_asian_width(c) in "WF" for c in (line[-1], token[0]))
    return line + token if cjk else f"{line} {token}"


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round values from at or below ``low`` to at or above ``high``, the smallest step of
    1, 2, 2.5 or 5 times a power of ten that makes at most ``most`` steps.

    >>> nice_ticks(0, 53.1)
    [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    >>> nice_ticks(0, 15.2)
    [0.0, 5.0, 10.0, 15.0, 20.0]
    >>> nice_ticks(0, 8.8)
    [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    >>> nice_ticks(-1.5, 2.2)
    [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
    >>> nice_ticks(0, 0)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    """
    if not high > low:
        high = low + 1.0
    power = 10.0 ** math.floor(math.log10((high - low) / most))
    for step in (m * power * scale for scale in (1, 10) for m in (1.0, 2.0, 2.5, 5.0)):
        first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
        if last - first <= most:
            break
    return [round(i * step, 10) for i in range(first, last + 1)]


def _tick_label(value: float) -> str:
    return f"{value:g}"


def bar_chart(
    names: list[str],
    values: list[float | None],
    threshold: float | None,
    labels: dict[str, str],
    title: str,
    unit: str,
    *,
    width: int = WIDTH,
) -> Markup:
    """A bar per district (``names``, ``values``; none for a district without a value,
    which is labelled ``labels["no_value"]`` rather than drawn as a zero), green where it
    meets ``threshold`` and red where not, the threshold as a dashed line: SVG markup,
    ``width`` units wide (its words are 12 units high: a chart ``PHONE_WIDTH`` wide is for
    a phone's screen, where a wider one would shrink them out of reading).

    >>> svg = bar_chart(["鼓楼区", "云龙区"], [48.1, None], 43, {"no_value": "无数值",
    ...     "legend_threshold": "阈值"}, "城市建成区绿化覆盖率", "%")
    >>> svg.count("<rect"), "无数值" in svg, "阈值 43" in svg
    (1, True, True)
    """
    from gardencity.reports.html import report_templates

    known = [v for v in values if v is not None]
    reach = [0.0, *known, *([threshold] if threshold is not None else [])]
    ticks = nice_ticks(min(reach), max(reach))
    threshold_label = (
        f"{labels['legend_threshold']} {threshold:g}" if threshold is not None else None
    )
    left, right, legend = _margins(ticks, unit, threshold_label, width)
    lines, turned, foot, left = _names(names, left, right)
    slot = (right - left) / max(len(names), 1)
    title_lines = name_lines(title, width - 16, TITLE_FONT * 1.1)  # bold: a little wider
    top = len(title_lines) * TITLE_LINE + 15 + (LINE + 2 if legend else 0)
    y = _scale(ticks[0], ticks[-1], top)
    bars = [
        _bar(name, value, left + i * slot, slot, threshold, y, lines[i], unit, labels)
        for i, (name, value) in enumerate(zip(names, values, strict=True))
    ]
    markup = (
        report_templates()
        .get_template("bar_chart.svg.j2")
        .render(
            width=width,
            layout="phone" if width <= PHONE_WIDTH else "screen",
            height=round(top + PLOT_HEIGHT + TICK + 6 + foot + 6),
            turned=turned,
            turn=TURN,
            no_value_fits=text_width(labels["no_value"], FONT - 1) <= slot - 4,
            title=title,
            sizes={
                "font": FONT,
                "title": TITLE_FONT,
                "title_line": TITLE_LINE,
                "line": LINE,
                "tick": TICK,
            },
            left=left,
            right=right,
            plot=(top, top + PLOT_HEIGHT),
            title_lines=title_lines,
            legend=None
            if not legend
            else {
                "y": top - 10,
                "x": round(right - text_width(threshold_label or "", FONT - 1) - 6, 1),
            },
            zero=y(0.0),
            bar_width=round(slot * 0.8, 1),
            bars=bars,
            ticks=[Tick(y(t), _tick_label(t)) for t in ticks],
            unit=unit,
            threshold=None if threshold is None else Tick(y(threshold), threshold_label or ""),
            no_value=labels["no_value"],
        )
    )
    return Markup(markup)


def _margins(
    ticks: list[float], unit: str, threshold_label: str | None, width: int
) -> tuple[float, float, bool]:
    """The plot's left and right edges, and whether the threshold is named above the plot
    (on a phone's chart) rather than beside its line, right of the plot."""
    left: float = round(max(text_width(_tick_label(t)) for t in ticks) + TICK + 6)
    left += FONT + 14 if unit else 0  # the unit, turned, beside the ticks
    legend = threshold_label is not None and width <= PHONE_WIDTH
    beside = threshold_label is not None and not legend
    right = width - (round(text_width(threshold_label or "") + 12) if beside else 12)
    return left, right, legend


def _names(
    names: list[str], left: float, right: float
) -> tuple[list[tuple[str, ...]], bool, float, float]:
    """The districts' names under their bars: each on lines that keep clear of the next
    name, or, where one does not (long names, many districts), each on one line turned up
    ``TURN`` degrees. Gives the lines, whether turned, the height they take, and the
    plot's left edge (moved right where the first turned name would reach out of the
    chart)."""
    slot = (right - left) / max(len(names), 1)
    lines = [name_lines(n, slot - 3) for n in names]
    wide = [max(map(text_width, n)) for n in lines]
    if all(len(n) <= MAX_NAME_LINES for n in lines) and all(
        (a + b) / 2 <= slot - 3 for a, b in zip(wide, [*wide[1:], 0.0], strict=True)
    ):  # no name reaches its neighbour's, nor out of the chart
        return lines, False, max((len(n) for n in lines), default=1) * LINE, left
    cos, sin = math.cos(math.radians(TURN)), math.sin(math.radians(TURN))
    widths = [text_width(n) for n in names]
    # a turned name's upper corner: its width across and its line's height, turned
    reach = max(w * cos + LINE * sin - (left + (i + 0.5) * slot) for i, w in enumerate(widths))
    if reach > -4:
        left = round(left + reach + 4, 1)
    return [(n,) for n in names], True, max(widths) * sin + FONT * cos, left


def _scale(low: float, high: float, top: float) -> Callable[[float], float]:
    """A value's height in the chart, from ``low`` at the plot's foot to ``high`` at its
    head."""

    def y(value: float) -> float:
        return round(top + PLOT_HEIGHT - (value - low) / (high - low) * PLOT_HEIGHT, 1)

    return y


def _bar(
    name: str,
    value: float | None,
    start: float,
    slot: float,
    threshold: float | None,
    y: Callable[[float], float],
    lines: tuple[str, ...],
    unit: str,
    labels: dict[str, str],
) -> Bar:
    """The bar of district ``name`` in the slot from ``start``, ``slot`` wide."""
    meets = threshold is None or value is None or value >= threshold
    shown = f"{value:.1f}" if value is not None else None
    spaced = f" {unit}" if unit and unit != "%" else unit
    tooltip = f"{name}: {labels['no_value']}" if shown is None else f"{name}: {shown}{spaced}"
    return Bar(
        centre=round(start + slot / 2, 1),
        x=round(start + 0.1 * slot, 1),
        top=y(max(value, 0.0)) if value is not None else y(0.0),
        bottom=y(min(value, 0.0)) if value is not None else y(0.0),
        colour=_colour("pass" if meets else "fail"),
        value=shown,
        value_y=_label_y(y, value),
        name_lines=_at_most(lines, MAX_NAME_LINES),
        tooltip=tooltip,
    )


def _colour(status: str) -> str:
    """The colour the vocabulary marks ``status`` with: its mark, else its fill, else the
    chart's ink."""
    style = vocabulary().style("statuses", status)
    return style.mark or style.fill or "currentColor"


def _label_y(y: Callable[[float], float], value: float | None) -> float:
    """Where a bar's label stands: above a bar up, below a bar down, on the axis where
    there is no value."""
    if value is None:
        return round(y(0.0) - 4, 1)
    return round(y(value) - 4 if value >= 0 else y(value) + FONT + 2, 1)


def _at_most(lines: tuple[str, ...], count: int) -> tuple[str, ...]:
    """The first ``count`` lines, the rest joined onto the last (a name is never cut)."""
    if len(lines) <= count:
        return lines
    last = lines[count - 1]
    for line in lines[count:]:
        last = _joined(last, line)
    return (*lines[: count - 1], last)
