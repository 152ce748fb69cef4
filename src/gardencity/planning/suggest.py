"""建议选址: the siting help run on a city's workspace and its latest assessment.

:func:`suggest_pocket_parks` takes the workspace's prepared inputs (built-up area, land use,
green space, historic districts) and the standard's park service-coverage rule, and chooses
new pocket-park sites among candidate parcels (the land-use categories the city names, by
default ``other``) until coverage reaches the standard's threshold.
:func:`suggest_shading` orders the unshaded road segments of an assessment's diagnostics by
how much 林荫路 coverage each kilometre of new planting gives.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio

from gardencity.assessment.inputs import AssessmentInputs
from gardencity.errors import DataError, MissingLayerError
from gardencity.io.workspace import Workspace
from gardencity.planning.pocket_parks import PocketParkPlan, plan_pocket_parks
from gardencity.planning.shading import shading_priorities
from gardencity.standards import load_standard
from gardencity.toolkit import CITY_ZONE

__all__ = ["ShadingPlan", "suggest_pocket_parks", "suggest_shading"]

COVERAGE = "park_service_coverage"
SHADED = "shaded_road_coverage"


def _threshold(workspace: Workspace, indicator: str, zones: gpd.GeoDataFrame) -> float | None:
    city = workspace.config.city
    standard = load_standard(city.standard)
    spec = standard.indicator(indicator)
    population = zones.loc[CITY_ZONE, "population"]
    context = {
        "grade": city.grade,
        "region": city.region,
        "city_size": standard.city_size(None if np.isnan(population) else float(population)),
    }
    threshold = spec.select_threshold(**context)
    return None if threshold is None else threshold.value


def suggest_pocket_parks(
    workspace: str | os.PathLike[str],
    *,
    categories: Sequence[str] = ("other",),
    target_percent: float | None = None,
    max_sites: int | None = None,
) -> PocketParkPlan:
    """Pocket-park sites among the land-use parcels of ``categories`` that lift the park
    service-radius coverage of the built-up area's residential land to ``target_percent``
    (default: the standard's threshold for this city).

    Raises
    ------
    DataError
        No candidate parcel, no threshold and no target given, or a layer missing.
    """
    ws = Workspace.open(workspace)
    inputs = AssessmentInputs(ws)
    zones, land_use = inputs.get("zones"), inputs.get("land_use")
    green = inputs.get("green_spaces")
    if land_use is None or green is None:
        raise MissingLayerError(
            "建议选址需要 land_use 和 green_spaces 图层 / siting needs the land_use and "
            "green_spaces layers. Fix: import them into the workspace."
        )
    candidates = land_use[land_use["category"].isin(list(categories))]
    if candidates.empty:
        raise DataError(
            f"没有可选地块 / no land-use parcel of the categories {list(categories)}. Fix: "
            "name the categories of vacant or convertible land (e.g. other, green)."
        )
    target = target_percent if target_percent is not None else _threshold(ws, COVERAGE, zones)
    if target is None:
        raise DataError(
            "标准未给出覆盖率阈值 / the standard gives no coverage threshold for this city. "
            "Fix: give the coverage to reach (e.g. --target 90)."
        )
    spec = load_standard(ws.config.city.standard).indicator(COVERAGE)
    index = candidates["parcel_id"].astype(str) if "parcel_id" in candidates else None
    if index is not None:
        candidates = candidates.set_index(index.to_numpy())
    return plan_pocket_parks(
        zones,
        land_use,
        green,
        candidates,
        inputs.get("historic_districts"),
        bands=spec.params["bands"],
        eligible_classes=spec.params["eligible_classes"],
        require_open=bool(spec.params.get("require_open", True)),
        quad_segs=int(spec.params.get("quad_segs", 16)),
        target_percent=float(target),
        max_sites=max_sites,
    )


@dataclass(frozen=True)
class ShadingPlan:
    segments: gpd.GeoDataFrame  # in the order to shade them (see shading_priorities)
    coverage_before: float
    target_percent: float | None


def suggest_shading(
    workspace: str | os.PathLike[str],
    diagnostics: str | os.PathLike[str],
    *,
    target_percent: float | None = None,
) -> ShadingPlan:
    """The unshaded road segments of an assessment (its ``diagnostics.gpkg``) in the order
    to shade them, up to ``target_percent`` (default: the standard's threshold)."""
    path = Path(diagnostics)
    layers = {name for name, _ in pyogrio.list_layers(path)} if path.is_file() else set()
    if "road_shade_segments" not in layers:
        raise MissingLayerError(
            f"{path} 中没有林荫路段图层 / {path} has no road_shade_segments layer. Fix: run "
            "`gardencity assess` on the workspace first (with its canopy raster)."
        )
    segments = gpd.read_file(path, layer="road_shade_segments")
    ws = Workspace.open(workspace)
    target = target_percent
    if target is None:
        target = _threshold(ws, SHADED, AssessmentInputs(ws).get("zones"))
    spec = load_standard(ws.config.city.standard).indicator(SHADED)
    share = float(spec.params.get("shade_threshold", 0.9))
    total = float(segments["length_m"].sum())
    shaded = float(segments.loc[segments["is_shaded"].astype(bool), "length_m"].sum())
    ordered = shading_priorities(
        segments, shade_threshold=share, target_percent=target
    )
    return ShadingPlan(ordered, 100.0 * shaded / total if total else 0.0, target)
