"""What each measure needs from the data, and how much of the data has it.

A measure computes a number from whatever it is given; whether the number can be trusted
depends on the data. ``MEASURE_NEEDS[measure]`` says, for the measures of this package:

* ``gap(available)``: the gap (a key of ``io/data/data_gaps.yaml``) when a layer or the
  features that define the indicator are absent — the indicator is then not assessed, never
  computed as a zero;
* ``completeness(available)``: for each thing the measure needs, per zone, how much of the
  relevant area, length or count has it (a :class:`Part`).

``available`` holds the prepared inputs and the catalogue params by name, like the measure's
own arguments, plus ``scope`` (the indicator's) and, for ``completeness``, ``result`` (the
measure's Series). Pure functions: no I/O, no globals.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gardencity.indicators.coverage import canopy_class_counts
from gardencity.io.classes import known_green_classes, road_grade_label
from gardencity.io.management import ManagementEvidence
from gardencity.io.raster import Raster
from gardencity.io.threads import prepared_copies
from gardencity.toolkit import (
    RunContext,
    matches_classes,
    raster_class_counts,
    shared,
    union_area_in_zones,
)

__all__ = ["MEASURE_NEEDS", "Gap", "Needs", "Part", "call_with"]

_KNOWN_VEG_TYPES = ("tree", "shrub", "grass")


@dataclass(frozen=True)
class Gap:
    """A defining layer or feature is missing: ``key`` in ``data_gaps.yaml`` and its values."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    """How much of what a measure needs is there, per zone (``basis`` names it)."""

    basis: str
    unit: str  # "m2", "m" or "count"
    known: pd.Series
    total: pd.Series

    def share(self, zone: str) -> float | None:
        """Known ÷ total for ``zone`` (0–1); None when there is nothing to measure."""
        total = float(self.total.get(zone, 0.0))
        if not total > 0:
            return None
        return float(min(1.0, max(0.0, float(self.known.get(zone, 0.0)) / total)))


def call_with(function: Callable[..., Any], available: Mapping[str, Any]) -> Any:
    """Call ``function`` with the entries of ``available`` it names (others keep defaults)."""
    names = inspect.signature(function).parameters
    return function(**{n: available[n] for n in names if n in available})


@dataclass(frozen=True)
class Needs:
    """The gap checks (first one found wins) and the completeness parts of one measure."""

    gaps: tuple[Callable[..., Gap | None], ...]
    parts: tuple[Callable[..., Part | None], ...] = ()

    def gap(self, available: Mapping[str, Any]) -> Gap | None:
        for check in self.gaps:
            found: Gap | None = call_with(check, available)
            if found is not None:
                return found
        return None

    def completeness(self, available: Mapping[str, Any]) -> list[Part]:
        parts = (call_with(part, available) for part in self.parts)
        return [p for p in parts if p is not None]

    def input_names(self) -> set[str]:
        """Every argument name the checks and parts take."""
        names: set[str] = set()
        for function in (*self.gaps, *self.parts):
            names |= set(inspect.signature(function).parameters)
        return names


# --- where features lie ----------------------------------------------------------------------


def _city_zone(zones: gpd.GeoDataFrame) -> Any:
    if "kind" in zones:
        city = zones.index[zones["kind"] == "built_up_area"]
        if len(city):
            return city[0]
    return zones.index[0]


def _anchor_xy(layer: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A point on each feature (the middle of a line, else a point inside), as x and y."""
    geoms = layer.geometry.to_numpy()
    lines = shapely.get_dimensions(geoms) == 1
    points = np.empty(len(geoms), dtype=object)  # each point made once: roads are lines
    points[lines] = shapely.line_interpolate_point(geoms[lines], 0.5, normalized=True)
    points[~lines] = shapely.point_on_surface(geoms[~lines])
    return shapely.get_x(points), shapely.get_y(points)


def _zone_sums(layer: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *weights: Any) -> list[pd.Series]:
    """Per zone, the sum of each of ``weights`` over the features whose representative point
    lies in the zone."""
    if layer.empty:
        return [pd.Series(0.0, index=zones.index) for _ in weights]
    x, y = _anchor_xy(layer)
    arrays = [np.asarray(w, dtype=float) for w in weights]
    sums: list[list[float]] = [[] for _ in weights]
    for zone in prepared_copies(zones.geometry.to_numpy()):
        inside = shapely.intersects_xy(zone, x, y)
        for out, array in zip(sums, arrays, strict=True):
            out.append(float(array[inside].sum()))
    return [pd.Series(s, index=zones.index) for s in sums]


def _area_part(basis: str, layer: gpd.GeoDataFrame, known: Any, zones: gpd.GeoDataFrame) -> Part:
    area = shapely.area(layer.geometry.to_numpy())
    known_area, total = _zone_sums(layer, zones, area * np.asarray(known, dtype=bool), area)
    return Part(basis, "m2", known_area, total)


# --- gaps: a defining layer or feature is missing --------------------------------------------


def _no_vegetation(
    vegetation: gpd.GeoDataFrame | None = None, canopy: Raster | None = None, source: str = "auto"
) -> Gap | None:
    if canopy is not None and source != "polygons":
        return None
    if vegetation is None:
        return Gap("no_vegetation")
    return Gap("vegetation_empty") if vegetation.empty else None


def _no_green_spaces(green_spaces: gpd.GeoDataFrame | None = None) -> Gap | None:
    return Gap("green_spaces_empty") if green_spaces is None or green_spaces.empty else None


def _no_parks(
    green_spaces: gpd.GeoDataFrame | None = None,
    park_classes: Sequence[str] | None = None,
    eligible_classes: Sequence[str] | None = None,
) -> Gap | None:
    if green_spaces is None or green_spaces.empty:
        return Gap("green_spaces_empty")
    classes = list(park_classes or eligible_classes or ())
    if classes and not matches_classes(green_spaces["green_class"], classes).any():
        return Gap("no_parks", {"classes": "/".join(classes)})
    return None


def _no_population(zones: gpd.GeoDataFrame, scope: str = "built_up_area") -> Gap | None:
    population = pd.to_numeric(zones["population"], errors="coerce")
    if scope == "min_district":
        known = population[zones.index != _city_zone(zones)]
    else:
        known = population[[_city_zone(zones)]]
    return None if (known > 0).any() else Gap("no_population")


def _no_residential(land_use: gpd.GeoDataFrame | None = None) -> Gap | None:
    if land_use is None or land_use.empty:
        return Gap("land_use_empty")
    if not (land_use["category"] == "residential").any():
        return Gap("no_residential")
    return None


def _no_roads(roads: gpd.GeoDataFrame | None = None) -> Gap | None:
    return Gap("no_roads") if roads is None or roads.empty else None


def _graded_in_city(roads: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, grades: Sequence[str]) -> Any:
    x, y = _anchor_xy(roads)
    city = prepared_copies(zones.geometry.loc[_city_zone(zones)])
    return roads["grade"].isin(list(grades)).to_numpy() & shapely.intersects_xy(city, x, y)


def _no_roads_of_grades(
    zones: gpd.GeoDataFrame, roads: gpd.GeoDataFrame | None = None, grades: Sequence[str] = ()
) -> Gap | None:
    if roads is None or roads.empty or _graded_in_city(roads, zones, grades).any():
        return None
    names = tuple("、".join(road_grade_label(g, lang) for g in grades) for lang in ("zh", "en"))
    return Gap("no_roads_of_grades", {"grades": (names[0], names[1].replace("、", ", "))})


def _no_tree_canopy(
    canopy: Raster | None = None,
    vegetation: gpd.GeoDataFrame | None = None,
    trees: gpd.GeoDataFrame | None = None,
) -> Gap | None:
    if canopy is not None or (trees is not None and len(trees)):
        return None
    if vegetation is not None and (vegetation.get("veg_type") == "tree").any():
        return None
    return Gap("no_tree_canopy")


def _no_green_for_roads(
    roads: gpd.GeoDataFrame | None = None, green_spaces: gpd.GeoDataFrame | None = None
) -> Gap | None:
    if roads is None or (green_spaces is not None and len(green_spaces)):
        return None
    surveyed = roads.get("green_ratio", pd.Series(np.nan, index=roads.index)).notna().any()
    return None if surveyed else Gap("green_spaces_empty")


def _no_greenways(greenways: gpd.GeoDataFrame | None = None) -> Gap | None:
    return Gap("no_greenways") if greenways is None or greenways.empty else None


def _no_trees(trees: gpd.GeoDataFrame | None = None) -> Gap | None:
    return Gap("no_trees") if trees is None or trees.empty else None


def _no_temperature(
    temperature: Raster | None = None, weather_stations: pd.DataFrame | None = None
) -> Gap | None:
    no_stations = weather_stations is None or weather_stations.empty
    return Gap("no_temperature") if temperature is None and no_stations else None


def _no_management(
    management: Mapping[str, ManagementEvidence] | None = None, item_id: str = ""
) -> Gap | None:
    item = (management or {}).get(item_id)
    if item is None:
        return Gap("management_not_declared", {"item": item_id})
    if item.status and not item.evidence:
        return Gap("management_no_evidence", {"item": item_id})
    if item.status and item.missing:
        return Gap(
            "management_evidence_missing", {"item": item_id, "files": ", ".join(item.missing)}
        )
    return None


# --- completeness: how much of the data has what the measure needs ----------------------------


def _observed_area(raster: Raster, zones: gpd.GeoDataFrame) -> pd.Series:
    counts = raster_class_counts(raster, zones, [])
    return counts["valid"].astype(float) * raster.pixel_area


def _observed_temperature(temperature: Raster, zones: gpd.GeoDataFrame) -> pd.Series:
    return _observed_area(temperature, zones)


def _raster_part(basis: str, observed: pd.Series, zones: gpd.GeoDataFrame) -> Part:
    area = pd.Series(shapely.area(zones.geometry.to_numpy()), index=zones.index)
    return Part(basis, "m2", observed.clip(upper=area), area)


def _canopy_part(canopy: Raster, zones: gpd.GeoDataFrame, run: RunContext | None) -> Part:
    """The share of each zone the canopy raster observes (not nodata): the valid pixels of the
    coverage measures' own count, so that a run reads the raster once for both."""
    counts = shared(run, canopy_class_counts, zones, canopy)
    observed = counts["valid"].astype(float) * canopy.pixel_area
    return _raster_part("canopy_observed", observed, zones)


def _cover_part(
    zones: gpd.GeoDataFrame,
    vegetation: gpd.GeoDataFrame | None = None,
    canopy: Raster | None = None,
    source: str = "auto",
    run: RunContext | None = None,
) -> Part | None:
    if canopy is not None and source != "polygons":
        return _canopy_part(canopy, zones, run)
    if vegetation is None:
        return None
    return _area_part("vegetation_geometry", vegetation, np.ones(len(vegetation)), zones)


def _typed_vegetation(vegetation: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> Part:
    known = vegetation["veg_type"].isin(_KNOWN_VEG_TYPES).to_numpy()
    if known.all():
        return _area_part("veg_type_known", vegetation, known, zones)
    return Part(
        "veg_type_known",
        "m2",
        union_area_in_zones(vegetation[known], zones),
        union_area_in_zones(vegetation, zones),
    )


def _veg_type_part(
    zones: gpd.GeoDataFrame,
    vegetation: gpd.GeoDataFrame | None = None,
    canopy: Raster | None = None,
    source: str = "auto",
    run: RunContext | None = None,
) -> Part | None:
    if canopy is not None and source != "polygons":
        return _canopy_part(canopy, zones, run)
    if vegetation is None or "veg_type" not in vegetation:
        return None
    return shared(run, _typed_vegetation, vegetation, zones)


def _green_class_part(
    zones: gpd.GeoDataFrame, green_spaces: gpd.GeoDataFrame | None = None
) -> Part | None:
    if green_spaces is None:
        return None
    known = known_green_classes(green_spaces["green_class"])
    return _area_part("green_class_known", green_spaces, known, zones)


def _land_use_part(
    zones: gpd.GeoDataFrame, land_use: gpd.GeoDataFrame | None = None
) -> Part | None:
    if land_use is None:
        return None
    return _area_part("land_use_code_known", land_use, land_use["category"].notna(), zones)


def _population_part(zones: gpd.GeoDataFrame) -> Part:
    """District area with a population; the city's is complete when city.toml gives it."""
    area = pd.Series(shapely.area(zones.geometry.to_numpy()), index=zones.index)
    has = pd.to_numeric(zones["population"], errors="coerce").fillna(0.0) > 0
    known, total = area.where(has, 0.0), area.copy()
    city = _city_zone(zones)
    if zones.attrs.get("population_from_districts"):
        districts = zones.index != city
        known[city] = float(known[districts].sum())
        total[city] = float(area[districts].sum())
    return Part("population_known", "m2", known, total)


def _road_grade_part(zones: gpd.GeoDataFrame, roads: gpd.GeoDataFrame | None = None) -> Part | None:
    if roads is None or roads.empty:
        return None
    length = shapely.length(roads.geometry.to_numpy())
    known = roads["grade"].notna().to_numpy()
    known_length, total = _zone_sums(roads, zones, length * known, length)
    return Part("road_grade_known", "m", known_length, total)


def _shade_vegetation_part(
    zones: gpd.GeoDataFrame,
    canopy: Raster | None = None,
    vegetation: gpd.GeoDataFrame | None = None,
    run: RunContext | None = None,
) -> Part | None:
    return _veg_type_part(zones, vegetation, canopy, run=run)


def _red_line_part(result: pd.Series | None = None) -> Part | None:
    if result is None or "excluded_m" not in result.attrs:
        return None
    evaluated = pd.Series(result.attrs["denominator"], dtype=float)
    excluded = pd.Series(result.attrs["excluded_m"], dtype=float).reindex(evaluated.index)
    return Part("red_line_known", "m", evaluated, evaluated + excluded.fillna(0.0))


def _tree_part(zones: gpd.GeoDataFrame, trees: gpd.GeoDataFrame | None = None) -> Part | None:
    if trees is None or trees.empty:
        return None
    woody = trees[
        trees.get("is_woody", pd.Series(True, index=trees.index)).fillna(True).astype(bool)
    ]
    species = woody["species"].fillna("").astype(str).str.strip() != ""
    known = (species & woody["is_native"].notna()).to_numpy(dtype=float)
    known_count, total = _zone_sums(woody, zones, known, np.ones(len(woody)))
    return Part("tree_attributes_known", "count", known_count, total)


def _temperature_part(
    zones: gpd.GeoDataFrame,
    temperature: Raster | None = None,
    weather_stations: pd.DataFrame | None = None,
    run: RunContext | None = None,
) -> Part | None:
    if temperature is not None:
        observed = shared(run, _observed_temperature, temperature, zones)
        return _raster_part("temperature_observed", observed, zones)
    if weather_stations is None:
        return None
    city = _city_zone(zones)
    known, total = pd.Series(np.nan, index=zones.index), pd.Series(np.nan, index=zones.index)
    total[city] = float(len(weather_stations))
    if "tmax_c" in weather_stations:
        tmax = pd.to_numeric(weather_stations["tmax_c"], errors="coerce")
        known[city] = float(tmax.notna().sum())
    return Part("station_records", "count", known, total)


def _evidence_part(
    zones: gpd.GeoDataFrame,
    management: Mapping[str, ManagementEvidence] | None = None,
    item_id: str = "",
) -> Part | None:
    item = (management or {}).get(item_id)
    if item is None:
        return None
    listed = pd.Series(np.nan, index=zones.index)
    if not item.evidence:  # "not in place", as the city declares it
        listed[_city_zone(zones)] = 1.0
        return Part("management_declared", "count", listed, listed)
    listed[_city_zone(zones)] = float(len(item.evidence))
    return Part("evidence_present", "count", listed - len(item.missing), listed)


_PARKS = Needs((_no_parks, _no_population), (_green_class_part, _population_part))
_SERVICE = (_no_residential, _no_parks)
_ROADS = (_no_roads, _no_roads_of_grades)

MEASURE_NEEDS: dict[str, Needs] = {
    "green_coverage_ratio": Needs((_no_vegetation,), (_cover_part,)),
    "tree_shrub_share": Needs((_no_vegetation,), (_veg_type_part,)),
    "green_space_ratio": Needs((_no_green_spaces,), (_green_class_part,)),
    "park_area_per_capita": _PARKS,
    "parks_per_10k": _PARKS,
    "park_service_coverage": Needs(_SERVICE, (_land_use_part, _green_class_part)),
    "park_service_coverage_walking": Needs(
        (*_SERVICE, _no_roads), (_land_use_part, _green_class_part)
    ),
    "greenway_service_coverage": Needs((_no_greenways, _no_residential), (_land_use_part,)),
    "greenway_length_per_10k": Needs((_no_greenways, _no_population), (_population_part,)),
    "shaded_road_coverage": Needs(
        (*_ROADS, _no_tree_canopy), (_road_grade_part, _shade_vegetation_part)
    ),
    "road_green_compliance": Needs(
        (*_ROADS, _no_green_for_roads), (_road_grade_part, _red_line_part)
    ),
    "native_woody_plant_index": Needs((_no_trees,), (_tree_part,)),
    "heat_island_intensity": Needs((_no_temperature,), (_temperature_part,)),
    "management_item": Needs((_no_management,), (_evidence_part,)),
}
