"""Maps and charts for the report (matplotlib, no base map, PNG as base64).

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
import shapely

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path

from gardencity.errors import GardenCityError

__all__ = ["bar_chart", "choropleth", "geometry_path", "layer_map", "png_base64"]

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "Source Han Sans SC")


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
def _style() -> Iterator[None]:
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


def _decorate(ax: Axes, bounds: tuple[float, float, float, float], labels: dict[str, str]) -> None:
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


def geometry_path(geoms: npt.NDArray[np.object_]) -> tuple[Path, bool]:
    """All ``geoms`` as one compound path, and whether it is an area (polygons, rings
    oriented so that holes stay open under the non-zero fill rule) rather than lines.

    >>> ring = shapely.box(0, 0, 2, 2).difference(shapely.box(0.5, 0.5, 1.5, 1.5))
    >>> path, area = geometry_path(np.array([ring]))
    >>> area, path.codes.tolist()   # the hole runs the other way round
    (True, [1, 2, 2, 2, 79, 1, 2, 2, 2, 79])
    >>> path.vertices[5:8].tolist()
    [[1.5, 1.5], [1.5, 0.5], [0.5, 0.5]]
    >>> geometry_path(np.array([shapely.LineString([(5, 5), (6, 6)])]))[1]
    False
    """
    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    parts = parts[~shapely.is_empty(parts)]
    polygons = parts[shapely.get_type_id(parts) == 3]
    area = len(polygons) > 0
    if area:
        paths = shapely.get_rings(shapely.orient_polygons(polygons))
    else:
        paths = parts[shapely.get_type_id(parts) == 1]
    xy, owner = shapely.get_coordinates(paths, return_index=True)
    codes = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
    if len(xy):
        change = owner[1:] != owner[:-1]
        codes[np.r_[True, change]] = Path.MOVETO
        if area:
            codes[np.r_[change, True]] = Path.CLOSEPOLY
    return Path(xy, codes), area


def _draw_layer(ax: Axes, gdf: gpd.GeoDataFrame, style: dict[str, Any]) -> None:
    """Every feature of ``gdf`` with ``style`` (``color`` / ``facecolor``, ``edgecolor``,
    ``linewidth``). ``add_artist``: the data limits are the frame's, set by the caller."""
    path, area = geometry_path(gdf.geometry.to_numpy())
    face = style.get("facecolor", style.get("color", "none"))
    if area:
        edge = style.get("edgecolor", face)
        patch = PathPatch(path, facecolor=face, edgecolor=edge, linewidth=style.get("linewidth"))
    else:
        colour = style.get("color", style.get("edgecolor", "black"))
        patch = PathPatch(
            path, facecolor="none", edgecolor=colour, linewidth=style.get("linewidth", 1.0)
        )
    ax.add_artist(patch)


def layer_map(
    layers: list[tuple[gpd.GeoDataFrame | None, dict[str, Any], str]],
    frame: gpd.GeoDataFrame,
    labels: dict[str, str],
    title: str,
) -> str:
    """Draw ``(layer, style, legend label)`` triples over the ``frame`` extent."""
    with _style(), matplotlib.rc_context({"agg.path.chunksize": 20_000}):
        fig, ax = plt.subplots(figsize=(7.2, 6.4))
        x0, y0, x1, y1 = frame.total_bounds
        pad_x, pad_y = (x1 - x0) * 0.02, (y1 - y0) * 0.02
        ax.set_xlim(x0 - pad_x, x1 + pad_x)
        ax.set_ylim(y0 - pad_y, y1 + pad_y)
        handles = []
        for gdf, style, label in layers:
            if gdf is None or gdf.empty:
                continue
            _draw_layer(ax, gdf, style)
            face = style.get("color", style.get("facecolor", "none"))
            edge = style.get("edgecolor", face)
            handles.append(Patch(facecolor=face, edgecolor=edge, label=label))
        _decorate(ax, tuple(frame.total_bounds), labels)
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
    with _style():
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
        _decorate(ax, tuple(zones.total_bounds), labels)
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
    with _style():
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
