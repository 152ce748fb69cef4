"""建议选址: the siting help run on a city's workspace and its latest assessment.

:func:`suggest_pocket_parks` takes the workspace's prepared inputs (built-up area, land use,
green space, historic districts) and the standard's park service-coverage rule, and chooses
new pocket-park sites among candidate parcels (the land-use categories the city names, by
default ``other``) until coverage reaches the standard's threshold.
:func:`suggest_shading` orders the unshaded road segments of an assessment's diagnostics by
how much 林荫路 coverage each kilometre of new planting gives.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio

from gardencity.assessment.inputs import AssessmentInputs
from gardencity.errors import DataError, GardenCityError, MissingLayerError
from gardencity.io.workspace import Workspace
from gardencity.messages import Catalogue, Message
from gardencity.planning.pocket_parks import PocketParkPlan, plan_pocket_parks
from gardencity.planning.shading import shading_priorities
from gardencity.standards import load_standard
from gardencity.toolkit import CITY_ZONE

__all__ = [
    "ShadingPlan",
    "shown_problems",
    "suggest_pocket_parks",
    "suggest_shading",
    "suggestions",
    "write_suggestions",
]

MESSAGES = Catalogue(__package__)
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
        raise MissingLayerError(MESSAGES.message("siting_needs_layers"))
    candidates = land_use[land_use["category"].isin(list(categories))]
    if candidates.empty:
        raise DataError(MESSAGES.message("no_candidates", categories=", ".join(categories)))
    target = target_percent if target_percent is not None else _threshold(ws, COVERAGE, zones)
    if target is None:
        raise DataError(MESSAGES.message("no_threshold"))
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
        raise MissingLayerError(MESSAGES.message("no_shade_segments", path=path))
    segments = gpd.read_file(path, layer="road_shade_segments")
    ws = Workspace.open(workspace)
    target = target_percent
    if target is None:
        target = _threshold(ws, SHADED, AssessmentInputs(ws).get("zones"))
    spec = load_standard(ws.config.city.standard).indicator(SHADED)
    share = float(spec.params.get("shade_threshold", 0.9))
    total = float(segments["length_m"].sum())
    shaded = float(segments.loc[segments["is_shaded"].astype(bool), "length_m"].sum())
    ordered = shading_priorities(segments, shade_threshold=share, target_percent=target)
    return ShadingPlan(ordered, 100.0 * shaded / total if total else 0.0, target)


def _features(frame: gpd.GeoDataFrame, columns: dict[str, str], digits: int = 2) -> dict[str, Any]:
    """``frame`` as a GeoJSON FeatureCollection in WGS 84 with ``columns`` renamed."""
    if frame.empty:
        return {"type": "FeatureCollection", "features": []}
    out = frame.reset_index(names="_id")[[*columns, "geometry"]].rename(columns=columns)
    for name in out.columns:
        if out[name].dtype.kind == "f":
            out[name] = out[name].round(digits)
    collection: dict[str, Any] = json.loads(
        gpd.GeoDataFrame(out, crs=frame.crs).to_crs(4326).to_json(drop_id=True)
    )
    return collection


def suggestions(
    workspace: str | os.PathLike[str], diagnostics: str | os.PathLike[str]
) -> dict[str, Any]:
    """Both suggestions as the what-if page draws them (GeoJSON in WGS 84, gains per site and
    segment); a part that cannot be suggested says why in ``problems`` instead."""
    result: dict[str, Any] = {"parks": None, "roads": None, "problems": []}
    try:
        plan = suggest_pocket_parks(workspace)
        sites = plan.sites.assign(
            area_ha=plan.sites["area_m2"] / 1e4, gain_ha=plan.sites["gain_m2"] / 1e4
        )
        result["parks"] = {
            "before": round(plan.coverage_before, 2),
            "after": round(plan.coverage_after, 2),
            "target": plan.target_percent,
            "reached": plan.reached,
            "sites": _features(
                sites,
                {
                    "_id": "site",
                    "code": "code",
                    "area_ha": "area_ha",
                    "radius_m": "radius_m",
                    "gain_ha": "gain_ha",
                    "coverage_percent": "coverage_percent",
                },
            ),
        }
    except GardenCityError as exc:
        result["problems"].append(_problem("parks", exc))
    try:
        shading = suggest_shading(workspace, diagnostics)
        result["roads"] = {
            "before": round(shading.coverage_before, 2),
            "target": shading.target_percent,
            "segments": _features(
                shading.segments,
                {
                    "name": "name",
                    "length_m": "length_m",
                    "planting_m": "planting_m",
                    "coverage_percent": "coverage_percent",
                },
                digits=1,
            ),
        }
    except GardenCityError as exc:
        result["problems"].append(_problem("roads", exc))
    return result


def _problem(part: str, exc: GardenCityError) -> dict[str, str]:
    """Why a part could not be suggested, kept as its message's key and parameters (or, for
    another package's message, its two texts), to show in the reader's language
    (:func:`shown_problems`)."""
    message = exc.message
    if message is None or MESSAGES.pairs().get(message.key) != message.pair:
        message = Message((exc.text("zh"), exc.text("en")))
    return {"part": part, "message": MESSAGES.stored(message)}


def shown_problems(result: dict[str, Any], lang: str) -> dict[str, Any]:
    """``result`` of :func:`suggestions` with its problems in ``lang``."""
    problems = [p | {"message": MESSAGES.shown(p["message"], lang)} for p in result["problems"]]
    return result | {"problems": problems}


def write_suggestions(
    workspace: str | os.PathLike[str], diagnostics: str | os.PathLike[str], path: Path
) -> Path:
    """:func:`suggestions` written to ``path`` (JSON), atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(suggestions(workspace, diagnostics), ensure_ascii=False), "utf-8")
    os.replace(tmp, path)
    return path
