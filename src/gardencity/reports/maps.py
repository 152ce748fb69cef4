"""Maps as pictures (matplotlib, no base map, PNG as base64), for the self-assessment
report's documents; the HTML report's maps and charts are SVG
(:mod:`gardencity.reports.svg_maps`, :mod:`gardencity.reports.charts`).

A map layer is drawn whole, every feature of it (the report shows what diagnostics.gpkg
holds), as one compound matplotlib path built from the coordinates in bulk: a quarter of a
million polygons draw in well under a second, where one patch per feature took a minute.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import numpy.typing as npt

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path

from gardencity.errors import GardenCityError
from gardencity.messages import Catalogue
from gardencity.reports.map_layers import (
    Layers,
    MapPlan,
    layer_paths,
    map_plan,
    scale_bar_metres,
)
from gardencity.vocabulary import Style, vocabulary
from gardencity.vocabulary.places import place_names

__all__ = [
    "add_legend",
    "add_scale_and_north",
    "choropleth",
    "draw_plan",
    "draw_plans",
    "drawn",
    "geometry_path",
    "layer_figure",
    "layer_map",
    "legend_entry",
    "map_style",
    "no_idle_draw",
    "plan_figure",
    "png_base64",
    "shortfall_map",
]

PNG_COMPRESS_LEVEL = 1  # zlib's: the figures' flat colours are nearly as small as at 6, sooner
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "Source Han Sans SC")


def _cjk_font() -> str:
    available = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in available:
            return name
    raise GardenCityError(Catalogue(__package__).message("no_cjk_font"))


@contextmanager
def map_style() -> Iterator[None]:
    """Matplotlib settings every map and chart of ours is drawn with (a CJK font first)."""
    with matplotlib.rc_context(
        {
            "font.sans-serif": [_cjk_font(), "DejaVu Sans"],
            "font.family": "sans-serif",
            "axes.unicode_minus": False,
            "figure.dpi": 110,
        }
    ):
        yield


def png_base64(fig: Any) -> str:
    """The figure cropped to its content, drawn once: ``bbox_inches="tight"`` would draw it
    twice (a first pass only to find the content's extent), so the extent is measured from
    the artists' laid-out sizes and handed to ``savefig`` as a fixed box (the same pixels).
    zlib's level 1 rather than PIL's default 6: the same pixels, about as small (flat
    colours compress well at any level: 2% larger than at level 3), encoded several times
    faster than at 6 (against level 3, about 0.1 s of the M city's 1.3 s of figures)."""
    buffer = io.BytesIO()
    pad = matplotlib.rcParams["savefig.pad_inches"]
    extent = fig.get_tightbbox(fig.canvas.get_renderer())
    fig.savefig(
        buffer,
        format="png",
        bbox_inches=extent.padded(pad, pad),
        pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL},
    )
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


@contextmanager
def no_idle_draw(fig: Any) -> Iterator[None]:
    """geopandas' ``plot`` ends with ``canvas.draw_idle()``: on Agg a full render of a figure
    that :func:`png_base64` renders anyway; while plotting, that render is skipped."""
    fig.canvas.draw_idle = lambda *args, **kwargs: None
    try:
        yield
    finally:
        del fig.canvas.draw_idle


BAND = 0.14  # share of the map's height kept free below the data for the scale bar and arrow


def add_scale_and_north(ax: Axes, bounds: tuple[float, float, float, float], lang: str) -> None:
    """Scale bar and north arrow in a white band below the data (never over it): the view is
    the data's bounds plus the band; anything drawn into the band is covered. The bar's unit
    and the arrow's letter are the vocabulary's, in ``lang``. The axes are off."""
    x0, y0, x1, y1 = bounds
    span, height = x1 - x0, y1 - y0
    pad = 0.02 * max(span, height)
    band = BAND * max(height, span * 0.6)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad - band, y1 + pad)
    ax.add_patch(
        Rectangle(
            (x0 - 2 * pad, y0 - 2 * pad - band),
            span + 4 * pad,
            band + pad,
            facecolor="white",
            edgecolor="none",
            zorder=20,
        )
    )
    bar = scale_bar_metres(span)
    bx, by = x0, y0 - pad - band * 0.55
    for i in range(4):  # alternating black and white quarters
        colour = "black" if i % 2 == 0 else "white"
        ax.add_patch(
            Rectangle(
                (bx + i * bar / 4, by),
                bar / 4,
                band * 0.12,
                facecolor=colour,
                edgecolor="black",
                linewidth=0.6,
                zorder=21,
            )
        )
    ax.text(bx, by + band * 0.2, "0", ha="center", fontsize=7, zorder=21)
    ax.text(
        bx + bar,
        by + band * 0.2,
        f"{bar / 1000:g} {vocabulary().label('units', 'km', lang)}",
        ha="center",
        fontsize=7,
        zorder=21,
    )
    ax.annotate(
        vocabulary().label("map_marks", "north", lang),
        xy=(x1, y0 - pad - band * 0.05),
        xytext=(x1, y0 - pad - band * 0.85),
        ha="center",
        va="center",
        fontsize=9,
        zorder=21,
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2},
    )
    ax.set_axis_off()
    # hidden too, so that placing the title does not lay out the tick labels of axes that
    # are never drawn (a fifth of a map's drawing); the same pixels
    ax.xaxis.set_visible(False)
    ax.yaxis.set_visible(False)
    ax.set_aspect("equal")


def add_legend(ax: Axes, handles: list[Any], *, title: str | None = None) -> None:
    """The legend beside the map (right, outside the axes), so it never covers data."""
    if handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8,
            title=title,
            title_fontsize=8,
            frameon=False,
        )


def geometry_path(geoms: npt.NDArray[np.object_]) -> tuple[Path, bool]:
    """All ``geoms`` as one compound path, and whether it is an area (polygons, rings
    oriented so that holes stay open under the non-zero fill rule) rather than lines.

    >>> import shapely
    >>> ring = shapely.box(0, 0, 2, 2).difference(shapely.box(0.5, 0.5, 1.5, 1.5))
    >>> path, area = geometry_path(np.array([ring]))
    >>> area, path.codes.tolist()   # the hole runs the other way round
    (True, [1, 2, 2, 2, 79, 1, 2, 2, 2, 79])
    >>> path.vertices[5:8].tolist()
    [[1.5, 1.5], [1.5, 0.5], [0.5, 0.5]]
    >>> geometry_path(np.array([shapely.LineString([(5, 5), (6, 6)])]))[1]
    False
    """
    xy, codes, area = layer_paths(geoms)
    return Path(xy, codes), area


def _draw_layer(ax: Axes, gdf: gpd.GeoDataFrame, style: dict[str, Any]) -> None:
    """Every feature of ``gdf`` with ``style`` (``color`` / ``facecolor``, ``edgecolor``,
    ``linewidth``, ``linestyle``, ``hatch``) as one patch; ``add_artist`` leaves the view to
    the caller."""
    path, area = geometry_path(gdf.geometry.to_numpy())
    _draw_path(ax, path, area, style)


def _draw_path(ax: Axes, path: Path, area: bool, style: dict[str, Any]) -> None:
    face = style.get("facecolor", style.get("color", "none"))
    if area:
        edge = style.get("edgecolor", face)
        patch = PathPatch(
            path,
            facecolor=face,
            edgecolor=edge,
            linewidth=style.get("linewidth"),
            linestyle=style.get("linestyle", "solid"),
            hatch=style.get("hatch"),
        )
    else:
        colour = style.get("color", style.get("edgecolor", "black"))
        patch = PathPatch(
            path,
            facecolor="none",
            edgecolor=colour,
            linewidth=style.get("linewidth", 1.0),
            linestyle=style.get("linestyle", "solid"),
        )
    ax.add_artist(patch)


def drawn(style: Style, *, polygons: bool) -> dict[str, Any]:
    """A vocabulary style as matplotlib keywords (a line-only style on polygons draws their
    outlines)."""
    points = style.points()
    keywords: dict[str, Any] = {"linewidth": points}
    if style.dash:  # matplotlib scales dashes by the line width
        keywords["linestyle"] = (0, tuple(d * 72 / 25.4 / max(points, 0.1) for d in style.dash))
    if style.fill is None:
        if polygons:
            return {**keywords, "facecolor": "none", "edgecolor": style.stroke}
        return {**keywords, "color": style.stroke}
    return {
        **keywords,
        "facecolor": to_rgba(style.fill, style.fill_opacity),
        "edgecolor": style.stroke or "none",
        "hatch": style.hatch,
    }


def legend_entry(style: Style, label: str, *, line: bool) -> Any:
    """A legend entry drawn like the layer: a line for lines, a patch (with hatch) else."""
    if line:
        return Line2D([], [], color=style.stroke, linewidth=max(style.points(), 1.5), label=label)
    keywords = drawn(style, polygons=True)
    keywords.pop("linewidth")
    return Patch(**keywords, label=label)


def layer_figure(
    layers: Layers,
    frame: gpd.GeoDataFrame,
    labels: dict[str, str],
    title: str,
    *,
    lang: str,
    names: gpd.GeoDataFrame | None = None,
) -> Any:
    """The figure of :func:`layer_map` (open: the caller closes it)."""
    return plan_figure(map_plan(layers, frame, title, lang=lang, names=names))


def plan_figure(plan: MapPlan) -> Any:
    """The figure of a prepared map (open: the caller closes it)."""
    words = vocabulary()
    fig, ax = plt.subplots(figsize=(7.2, 6.4))
    handles = []
    for layer in plan.layers:
        style = words.style("layers", layer.name)
        path = Path(layer.xy, layer.codes)
        _draw_path(ax, path, layer.area, drawn(style, polygons=not layer.line))
        label = words.label("layers", layer.name, plan.lang)
        handles.append(legend_entry(style, label, line=layer.line))
    for name, x, y in plan.names:
        ax.annotate(
            name,
            xy=(x, y),
            ha="center",
            va="center",
            fontsize=8,
            zorder=15,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.8, "lw": 0.3},
        )
    add_scale_and_north(ax, plan.bounds, plan.lang)
    ax.set_title(plan.title, fontsize=11)
    add_legend(ax, handles)
    return fig


def layer_map(
    layers: Layers,
    frame: gpd.GeoDataFrame,
    labels: dict[str, str],
    title: str,
    *,
    lang: str,
    names: gpd.GeoDataFrame | None = None,
) -> str:
    """Draw ``(layer, vocabulary layer name)`` pairs over the ``frame`` extent, each in its
    vocabulary style with its vocabulary label in the legend; ``names`` (polygons with a
    ``name`` column, e.g. the districts) are written on the map."""
    return draw_plan(map_plan(layers, frame, title, lang=lang, names=names))


def draw_plan(plan: MapPlan) -> str:
    """A prepared map as a base64 PNG."""
    with map_style(), matplotlib.rc_context({"agg.path.chunksize": 20_000}):
        return png_base64(plan_figure(plan))


def draw_plans(plans: list[MapPlan]) -> list[str]:
    """Prepared maps as base64 PNGs, in order."""
    return [draw_plan(plan) for plan in plans]


def choropleth(
    zones: gpd.GeoDataFrame,
    column: str,
    threshold: float | None,
    labels: dict[str, str],
    title: str,
    unit: str,
    *,
    lang: str,
) -> str:
    """Districts coloured by ``column``, labelled with name and value; below threshold hatched."""
    words = vocabulary()
    outline = words.style("layers", "districts")
    no_data = words.style("layers", "no_data")
    below_style = words.style("layers", "districts_below_minimum")
    with map_style():
        fig, ax = plt.subplots(figsize=(7.2, 6.4))
        with no_idle_draw(fig):
            zones.plot(
                ax=ax,
                column=column,
                cmap="YlGn",
                edgecolor=outline.stroke,
                linewidth=outline.points(),
                legend=True,
                legend_kwds={"shrink": 0.6, "label": unit},
                missing_kwds=drawn(no_data, polygons=True),
            )
            handles: list[Any] = []
            if threshold is not None:
                below = zones[zones[column] < threshold]
                if len(below):
                    hatched = drawn(below_style, polygons=True) | {"facecolor": "none"}
                    below.plot(ax=ax, **hatched)
                    label = f"{labels['legend_below']} {threshold:g} {unit}"
                    handles.append(Patch(**(hatched | {"linewidth": 1}), label=label))
        missing = zones[zones[column].isna()]
        if len(missing):
            label = words.label("layers", "no_data", lang)
            handles.append(legend_entry(no_data, label, line=False))
        names = place_names(zones["name"], zones.get("name_en"), lang)
        for name, value, point in zip(
            names, zones[column], zones.geometry.representative_point(), strict=True
        ):
            text = f"{name}\n{value:.1f}" if value == value else str(name)
            ax.annotate(
                text,
                xy=(point.x, point.y),
                ha="center",
                fontsize=8,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.8},
            )
        add_scale_and_north(ax, tuple(zones.total_bounds), lang)
        ax.set_title(title, fontsize=11)
        if handles:
            ax.legend(
                handles=handles,
                loc="upper center",
                bbox_to_anchor=(0.5, 0.0),
                fontsize=8,
                frameon=False,
                ncol=2,
            )
        return png_base64(fig)


def shortfall_map(
    districts: gpd.GeoDataFrame,
    amounts: dict[str, str],
    labels: dict[str, str],
    title: str,
    *,
    legend_label: str,
    lang: str,
) -> str:
    """Districts outlined; those with a shortfall (``amounts``: district id → printed
    amount) hatched and labelled with their name and the amount."""
    words = vocabulary()
    outline = words.style("layers", "districts")
    shortfall = words.style("layers", "districts_below_minimum")
    with map_style():
        fig, ax = plt.subplots(figsize=(7.2, 6.4))
        short = districts[districts.index.astype(str).isin(list(amounts))]
        with no_idle_draw(fig):
            districts.plot(ax=ax, **drawn(outline, polygons=True))
            if len(short):
                short.plot(ax=ax, **drawn(shortfall, polygons=True))
        for zone_id, name, point in zip(
            districts.index.astype(str),
            place_names(districts["name"], districts.get("name_en"), lang),
            districts.geometry.representative_point(),
            strict=True,
        ):
            text = f"{name}\n{amounts[zone_id]}" if zone_id in amounts else str(name)
            ax.annotate(
                text,
                xy=(point.x, point.y),
                ha="center",
                va="center",
                fontsize=8,
                weight="bold" if zone_id in amounts else "normal",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.85},
            )
        handles = [
            legend_entry(outline, words.label("layers", "districts", lang), line=False),
            legend_entry(shortfall, legend_label, line=False),
        ]
        add_scale_and_north(ax, tuple(districts.total_bounds), lang)
        ax.set_title(title, fontsize=11)
        add_legend(ax, handles)
        return png_base64(fig)
