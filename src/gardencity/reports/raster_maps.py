"""Raster maps for the self-assessment report: green cover (canopy classes) and heat island."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from gardencity.io.raster import Raster
from gardencity.reports.maps import (
    add_legend,
    add_scale_and_north,
    map_style,
    no_idle_draw,
    png_base64,
)
from gardencity.vocabulary import vocabulary
from gardencity.vocabulary.places import place_names

__all__ = ["green_cover_map", "heat_island_map"]

MAX_PIXELS = 1200  # longest side drawn; larger rasters are decimated by striding


def _thinned(raster: Raster) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    step = max(1, int(np.ceil(max(raster.shape) / MAX_PIXELS)))
    x0, y0, x1, y1 = raster.bounds
    return raster.thinned(step), (x0, x1, y0, y1)  # strip by strip, never the whole raster


def _names(ax: Any, zones: gpd.GeoDataFrame, lang: str) -> None:
    """District names on the map (when the zones are districts)."""
    if "name" not in zones or "kind" not in zones:
        return
    districts = zones[zones["kind"] == "district"]
    names = place_names(districts["name"], districts.get("name_en"), lang)
    for name, point in zip(names, districts.geometry.representative_point(), strict=True):
        ax.annotate(
            str(name),
            xy=(point.x, point.y),
            ha="center",
            va="center",
            fontsize=8,
            zorder=15,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.8, "lw": 0.3},
        )


def green_cover_map(
    canopy: Raster, zones: gpd.GeoDataFrame, labels: dict[str, str], title: str, lang: str = "zh"
) -> str:
    """Tree / shrub / grass pixels of the canopy raster under the district outlines (PNG base64)."""
    classes = canopy.classes or {"tree": 1, "shrub": 2, "grass": 3}
    array, extent = _thinned(canopy)
    coded = np.zeros(array.shape, dtype=np.uint8)
    for code, name in enumerate(("tree", "shrub", "grass"), start=1):
        if name in classes:
            coded[array == classes[name]] = code
    words = vocabulary()
    shown = ("tree", "shrub", "grass")
    colours = ["white", *(words.style("canopy_classes", name).fill or "grey" for name in shown)]
    outline = words.style("layers", "districts")
    with map_style():
        fig, ax = plt.subplots(figsize=(7.2, 6.4))
        ax.imshow(
            coded,
            extent=extent,
            cmap=ListedColormap(colours),
            vmin=0,
            vmax=3,
            interpolation="nearest",
        )
        with no_idle_draw(fig):
            zones.boundary.plot(ax=ax, color=outline.stroke, linewidth=outline.points())
        _names(ax, zones, lang)
        handles = [
            Patch(
                facecolor=colours[i],
                edgecolor="grey",
                label=words.label("canopy_classes", key, lang),
            )
            for i, key in enumerate(shown, start=1)
        ]
        add_scale_and_north(ax, tuple(zones.total_bounds), lang)
        add_legend(ax, handles)
        ax.set_title(title, fontsize=11)
        return png_base64(fig)


def heat_island_map(
    temperature: Raster,
    zones: gpd.GeoDataFrame,
    labels: dict[str, str],
    title: str,
    lang: str = "zh",
) -> str:
    """Land-surface temperature (°C) with the built-up area and district outlines."""
    array, extent = _thinned(temperature)
    shown = array.astype(float)
    if temperature.nodata is not None:
        shown[array == temperature.nodata] = np.nan
    with map_style():
        fig, ax = plt.subplots(figsize=(7.2, 6.4))
        image = ax.imshow(shown, extent=extent, cmap="RdYlBu_r", interpolation="nearest")
        fig.colorbar(image, ax=ax, shrink=0.6, label="℃")
        outline = vocabulary().style("layers", "districts")
        with no_idle_draw(fig):
            zones.boundary.plot(ax=ax, color=outline.stroke, linewidth=outline.points())
        _names(ax, zones, lang)
        x0, x1, y0, y1 = extent
        add_scale_and_north(ax, (x0, y0, x1, y1), lang)
        ax.set_title(title, fontsize=11)
        return png_base64(fig)
