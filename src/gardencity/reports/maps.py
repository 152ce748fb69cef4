"""Maps and charts for the report (matplotlib, no base map, PNG as base64)."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from gardencity.errors import GardenCityError

__all__ = [
    "add_scale_and_north",
    "bar_chart",
    "choropleth",
    "layer_map",
    "map_style",
    "png_base64",
]

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "Source Han Sans SC")
MAX_DRAWN = 60_000


def _cjk_font() -> str:
    available = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in available:
            return name
    raise GardenCityError(
        "No Chinese font found for the report's maps. Fix: `apt-get install fonts-noto-cjk` "
        "(make install does this), then remove ~/.cache/matplotlib."
    )


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
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def add_scale_and_north(
    ax: Axes, bounds: tuple[float, float, float, float], labels: dict[str, str]
) -> None:
    """A scale bar (in km, a round length) and a north arrow on a map of ``bounds`` (metres);
    ``labels`` gives the words ``km`` and ``north`` in the map's language."""
    x0, y0, x1, y1 = bounds
    span = x1 - x0
    bar = 10 ** int(f"{span / 5:e}".split("e")[1])
    bar = bar * (5 if span / 5 >= 5 * bar else 2 if span / 5 >= 2 * bar else 1)
    bx, by = x0 + span * 0.04, y0 + (y1 - y0) * 0.04
    ax.plot([bx, bx + bar], [by, by], color="black", lw=3)
    ax.text(
        bx + bar / 2,
        by + (y1 - y0) * 0.015,
        f"{bar / 1000:g} {labels['km']}",
        ha="center",
        fontsize=8,
    )
    ax.annotate(
        labels["north"],
        xy=(0.95, 0.93),
        xytext=(0.95, 0.82),
        xycoords="axes fraction",
        ha="center",
        fontsize=9,
        arrowprops={"arrowstyle": "-|>", "color": "black"},
    )
    ax.set_axis_off()
    ax.set_aspect("equal")


def _sample(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf if len(gdf) <= MAX_DRAWN else gdf.sample(MAX_DRAWN, random_state=0)


def layer_map(
    layers: list[tuple[gpd.GeoDataFrame | None, dict[str, Any], str]],
    frame: gpd.GeoDataFrame,
    labels: dict[str, str],
    title: str,
) -> str:
    """Draw ``(layer, style, legend label)`` triples over the ``frame`` extent."""
    with map_style():
        fig, ax = plt.subplots(figsize=(7.2, 6.4))
        handles = []
        for gdf, style, label in layers:
            if gdf is None or gdf.empty:
                continue
            _sample(gdf).plot(ax=ax, **style)
            face = style.get("color", style.get("facecolor", "none"))
            edge = style.get("edgecolor", face)
            handles.append(Patch(facecolor=face, edgecolor=edge, label=label))
        add_scale_and_north(ax, tuple(frame.total_bounds), labels)
        ax.set_title(title, fontsize=11)
        if handles:
            ax.legend(handles=handles, loc="lower right", fontsize=8, framealpha=0.9)
        return png_base64(fig)


def choropleth(
    zones: gpd.GeoDataFrame,
    column: str,
    threshold: float | None,
    labels: dict[str, str],
    title: str,
    unit: str,
) -> str:
    """Districts coloured by ``column``, labelled with name and value; below threshold hatched."""
    with map_style():
        fig, ax = plt.subplots(figsize=(7.2, 6.4))
        zones.plot(
            ax=ax,
            column=column,
            cmap="YlGn",
            edgecolor="#333333",
            linewidth=0.8,
            legend=True,
            legend_kwds={"shrink": 0.6, "label": unit},
        )
        if threshold is not None:
            below = zones[zones[column] < threshold]
            if len(below):
                below.plot(ax=ax, facecolor="none", edgecolor="#b2182b", hatch="///", linewidth=1.6)
        for name, value, point in zip(
            zones["name"], zones[column], zones.geometry.representative_point(), strict=True
        ):
            text = f"{name}\n{value:.1f}" if value == value else str(name)
            ax.annotate(
                text,
                xy=(point.x, point.y),
                ha="center",
                fontsize=8,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.8},
            )
        add_scale_and_north(ax, tuple(zones.total_bounds), labels)
        ax.set_title(title, fontsize=11)
        return png_base64(fig)


def bar_chart(
    names: list[str],
    values: list[float | None],
    threshold: float | None,
    labels: dict[str, str],
    title: str,
    unit: str,
) -> str:
    with map_style():
        fig, ax = plt.subplots(figsize=(7.2, 3.2))
        shown = [v if v is not None else 0.0 for v in values]
        colours = [
            "#1a9850" if threshold is None or v is None or v >= threshold else "#d73027"
            for v in values
        ]
        ax.bar(names, shown, color=colours)
        for i, v in enumerate(values):
            if v is not None:
                ax.text(i, v, f"{v:.1f}", ha="center", va="bottom", fontsize=8)
        if threshold is not None:
            ax.axhline(threshold, color="#333333", ls="--", lw=1)
            ax.text(
                len(names) - 0.5,
                threshold,
                f"{labels['legend_threshold']} {threshold:g}",
                ha="right",
                va="bottom",
                fontsize=8,
            )
        ax.set_ylabel(unit)
        ax.set_title(title, fontsize=11)
        ax.spines[["top", "right"]].set_visible(False)
        return png_base64(fig)
