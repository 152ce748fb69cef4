"""Diagnostic layers: where the city falls short (uncovered land, unshaded roads, districts)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gardencity.assessment.inputs import CITY_ZONE, AssessmentInputs
from gardencity.assessment.results import Assessment
from gardencity.assessment.thresholds import is_failing
from gardencity.errors import GardenCityError
from gardencity.standards.schema import Standard
from gardencity.toolkit.run import shared
from gardencity.toolkit.service import residential_pieces

__all__ = ["build_diagnostics"]


def _spec_params(standard: Standard, measure: str) -> dict[str, Any] | None:
    for spec in standard.indicators:
        if spec.measure == measure:
            return dict(spec.params)
    return None


def build_diagnostics(
    assessment: Assessment,
    standard: Standard,
    inputs: AssessmentInputs,
    series: dict[str, pd.Series],
) -> dict[str, gpd.GeoDataFrame]:
    """Every diagnostic layer that the data allows (a layer is skipped if its input is absent)."""
    layers: dict[str, gpd.GeoDataFrame] = {"zones": _zones_layer(assessment)}
    builders = (_straight_line_layers, _walking_layers, _road_layers)
    for build in builders:
        try:
            layers.update(build(standard, inputs))
        except GardenCityError:
            continue
    below = _districts_below(assessment)
    if below is not None:
        layers["districts_below_minimum"] = below
    return layers


def _zones_layer(assessment: Assessment) -> gpd.GeoDataFrame:
    zones = assessment.zones.reset_index()
    for result in assessment.indicators:
        values = {
            CITY_ZONE: result.value if result.scope != "min_district" else None,
            **result.by_district,
        }
        zones[result.id] = zones["zone_id"].map(values).astype(float)
        statuses = {CITY_ZONE: result.status, **result.district_status}
        zones[f"{result.id}__status"] = zones["zone_id"].map(statuses)
    return gpd.GeoDataFrame(zones, geometry="geometry", crs=assessment.zones.crs)


def _straight_line_layers(
    standard: Standard, inputs: AssessmentInputs
) -> dict[str, gpd.GeoDataFrame]:
    params = _spec_params(standard, "park_service_coverage")
    land_use, green = inputs.get("land_use"), inputs.get("green_spaces")
    if params is None or land_use is None or green is None:
        return {}
    from gardencity.indicators.accessibility import service_cover

    run = inputs.get("run")
    parks, buffers, cover = shared(  # as the measure asks: once in the run
        run, service_cover, green, inputs.get("historic_districts"), run, **params
    )
    zones = inputs.get("zones")
    pieces = shared(run, residential_pieces, land_use, zones)
    pieces = pieces[pieces["zone_id"].to_numpy() == CITY_ZONE]
    uncovered = cover.outside_parts(pieces.geometry.to_numpy())
    uncovered_gdf = gpd.GeoDataFrame(
        {"area_m2": shapely.area(uncovered)}, geometry=uncovered, crs=zones.crs
    )
    uncovered_gdf = uncovered_gdf[uncovered_gdf["area_m2"] > 1.0].reset_index(drop=True)
    uncovered_gdf["zone_id"] = _district_of(uncovered_gdf, zones)
    service = (
        gpd.GeoDataFrame(
            {"radius_m": parks["radius_m"].to_numpy()}, geometry=buffers, crs=zones.crs
        )
        .dissolve(by="radius_m")
        .reset_index()
    )
    park_layer = (
        parks[["green_class", "name", "area_m2", "radius_m", "geometry"]].reset_index(drop=True)
        if "name" in parks
        else parks[["green_class", "area_m2", "radius_m", "geometry"]].reset_index(drop=True)
    )
    return {
        "uncovered_residential": uncovered_gdf,
        "service_areas": service,
        "eligible_parks": gpd.GeoDataFrame(park_layer, geometry="geometry", crs=zones.crs),
    }


def _walking_layers(standard: Standard, inputs: AssessmentInputs) -> dict[str, gpd.GeoDataFrame]:
    params = _spec_params(standard, "park_service_coverage_walking")
    if params is None or inputs.get("walk_graph") is None or inputs.get("land_use") is None:
        return {}
    from gardencity.indicators.accessibility import walking_table

    zones = inputs.get("zones")
    run = inputs.get("run")
    pieces, table, walk, covered = shared(  # as the measure asks: once in the run
        run,
        walking_table,
        zones,
        inputs.get("land_use"),
        inputs.get("green_spaces"),
        inputs.get("walk_graph"),
        inputs.get("park_entrances"),
        inputs.get("historic_districts"),
        run,
        **params,
    )
    in_city = pieces["zone_id"].to_numpy()[table.piece] == CITY_ZONE
    rows = np.flatnonzero(in_city & ~covered)  # only the uncovered cells need polygons
    out = gpd.GeoDataFrame(
        {"area_m2": table.area[rows], "walk_m": walk[rows]},
        geometry=table.geometries(pieces.geometry.to_numpy(), params["cell_size_m"], rows),
        crs=zones.crs,
    )
    out["walk_m"] = out["walk_m"].replace(np.inf, np.nan)
    out["zone_id"] = _district_of(out, zones)
    return {"uncovered_residential_walking": out}


def _road_layers(standard: Standard, inputs: AssessmentInputs) -> dict[str, gpd.GeoDataFrame]:
    params = _spec_params(standard, "shaded_road_coverage")
    roads = inputs.get("roads")
    if params is None or roads is None:
        return {}
    from gardencity.indicators.roads import road_shade_segments

    zones = inputs.get("zones")
    run = inputs.get("run")
    segments = shared(  # all zones, as the measure asks: computed once in the run
        run,
        road_shade_segments,
        zones,
        roads,
        inputs.get("canopy"),
        inputs.get("vegetation"),
        inputs.get("trees"),
        inputs.get("slow_lanes"),
        **params,
    )
    segments = segments[segments["zone_id"].to_numpy() == CITY_ZONE].drop(columns=["zone_id"])
    segments = segments.reset_index(drop=True)
    segments["zone_id"] = _district_of(segments, zones)
    unshaded = segments[~segments["is_shaded"].astype(bool)].reset_index(drop=True)
    return {"road_shade_segments": segments, "unshaded_road_segments": unshaded}


def _district_of(gdf: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> list[str | None]:
    districts = zones[zones["kind"] == "district"]
    if gdf.empty or districts.empty:
        return [None] * len(gdf)
    points = shapely.point_on_surface(gdf.geometry.to_numpy())
    out: list[str | None] = [None] * len(gdf)
    for zone_id, geom in zip(districts.index, districts.geometry.to_numpy(), strict=True):
        for i in np.flatnonzero(shapely.contains(geom, points)):
            out[i] = str(zone_id)
    return out


def _districts_below(assessment: Assessment) -> gpd.GeoDataFrame | None:
    zones = assessment.zones[assessment.zones["kind"] == "district"]
    rows = []
    for result in assessment.indicators:
        if result.unit != "m²/人":
            continue
        for zone_id, status in result.district_status.items():
            if is_failing(status):
                gap = (result.gap or {}).get("by_district", {}).get(zone_id)
                rows.append(
                    {
                        "zone_id": zone_id,
                        "name": zones.loc[zone_id, "name"],
                        "indicator": result.id,
                        "indicator_zh": result.name_zh,
                        "value": result.by_district.get(zone_id),
                        "threshold": (result.threshold or {}).get("value"),
                        "shortfall_ha": gap,
                        "geometry": zones.loc[zone_id, "geometry"],
                    }
                )
    if not rows:
        return None
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=assessment.zones.crs)
