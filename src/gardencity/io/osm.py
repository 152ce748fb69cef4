"""Build a workspace from an OpenStreetMap extract (.osm XML or .osm.pbf), offline.

Tags map to layers by ``io/data/osm_mapping.yaml`` (see :mod:`gardencity.io.osm_layers`).
Every layer is clipped to the boundary, which becomes the built-up area: features crossing it
are cut, not dropped. Roads are kept up to ``road_margin_m`` (1000 m) beyond it, because walks
to a park near the edge may run outside. Invalid polygons are repaired with ``make_valid``
and counted. The report says, per layer, what was found and what is missing: an empty layer is
never turned into a confident number.

The workspace is written with :func:`gardencity.io.workspace.write_workspace`, which is
atomic: a failed import never destroys an existing workspace.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from gardencity.errors import OsmImportError
from gardencity.io import osm_layers
from gardencity.io.crs import local_metric_crs, to_metric
from gardencity.io.osm_read import boundary_polygon, matches, parse_other_tags, read_osm
from gardencity.io.workspace import write_workspace

__all__ = ["LayerSummary", "OsmImportReport", "import_osm", "parse_other_tags"]

DEFAULT_STANDARD = "national_ecological_garden_city_2022"
REPORT_ORDER = (
    "built_up_area",
    "districts",
    "land_use",
    "green_spaces",
    "vegetation",
    "roads",
    "trees",
    "greenways",
    "park_entrances",
    "historic_districts",
)
_ALWAYS_WRITTEN = ("built_up_area", "districts", "land_use", "green_spaces", "roads")
_PARK_PREFIX = "G1"
_MISSING: dict[str, tuple[str, bool]] = {  # layer -> (what is missing, blocks the assessment)
    "vegetation": (
        "no grass/meadow/forest/wood/scrub/park areas or trees: green coverage ratio and "
        "tree-shrub share cannot be computed",
        True,
    ),
    "roads": ("no highway=* ways: road and walking indicators cannot be computed", True),
    "trees": ("no natural=tree points: native woody plant index cannot be computed", False),
    "greenways": (
        "no greenways (ways named 绿道, greenway=*, hiking/bicycle routes): greenway "
        "indicators cannot be computed",
        False,
    ),
    "park_entrances": (
        "no entrance/gate nodes at parks: walking coverage approximates entrances from the "
        "road network",
        False,
    ),
    "historic_districts": (
        "no historic=district areas: historic-district rules are not applied",
        False,
    ),
}


@dataclass(frozen=True)
class LayerSummary:
    """What the import produced for one workspace layer."""

    layer: str
    found: int  # OSM features matched by the mapping in the whole extract
    features: int  # features written (after clipping; roads split into lines)
    area_ha: float  # polygon layers: unioned area inside the boundary; NaN otherwise
    length_km: float  # line layers: total length; NaN otherwise
    repaired: int  # invalid polygons repaired with make_valid
    dropped: int  # matched, but nothing left inside the boundary (or inside a park)
    note: str  # what is missing and what that prevents ("" when nothing is)
    blocking: bool  # the gap leaves a core indicator unassessable

    @property
    def size(self) -> str:
        """Area or length as display text."""
        if not math.isnan(self.area_ha):
            return f"{self.area_ha:,.2f} ha"
        if not math.isnan(self.length_km):
            return f"{self.length_km:,.2f} km"
        return ""


@dataclass
class OsmImportReport:
    """What :func:`import_osm` found and wrote, per layer."""

    workspace: Path
    source: Path
    crs: str
    boundary_source: str
    layers: list[LayerSummary] = field(default_factory=list)
    repaired_polygons: int = 0
    notes: list[str] = field(default_factory=list)

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per layer (keys of :class:`LayerSummary` plus ``size``) for a table."""
        return [{**asdict(summary), "size": summary.size} for summary in self.layers]

    def row(self, layer: str) -> dict[str, Any]:
        """The row of one layer."""
        for row in self.to_rows():
            if row["layer"] == layer:
                return row
        raise KeyError(f"The report has no layer '{layer}'. Layers: {', '.join(REPORT_ORDER)}")

    @property
    def has_blocking_gaps(self) -> bool:
        """True when a missing layer leaves a core indicator unassessable."""
        return any(summary.blocking for summary in self.layers)

    def to_text(self) -> str:
        """The report as plain text (one line per layer, then notes)."""
        lines = [
            f"OpenStreetMap import {self.source.name} -> {self.workspace}",
            f"  boundary: {self.boundary_source}; working CRS {self.crs}",
            f"  {'layer':<19} {'found':>6} {'kept':>6} {'size':>13} {'repaired':>8} "
            f"{'dropped':>7}  missing",
        ]
        for s in self.layers:
            mark = "!" if s.blocking else " "
            lines.append(
                f"{mark} {s.layer:<19} {s.found:>6} {s.features:>6} {s.size:>13} "
                f"{s.repaired:>8} {s.dropped:>7}  {s.note}"
            )
        lines += [f"  note: {note}" for note in self.notes]
        if self.has_blocking_gaps:
            lines.append("  ! = a core indicator cannot be assessed until this layer is added")
        return "\n".join(lines)


def import_osm(
    osm_path: str | os.PathLike[str],
    workspace_path: str | os.PathLike[str],
    *,
    boundary: str | os.PathLike[str] | None = None,
    name: str | None = None,
    population: float | None = None,
    crs: str | None = None,
    standard: str | None = None,
    overwrite: bool = False,
) -> OsmImportReport:
    """Build (or atomically replace) a workspace from an OSM extract.

    Parameters
    ----------
    osm_path
        An ``.osm`` (XML) or ``.osm.pbf`` extract; read offline with GDAL's OSM driver.
    workspace_path
        The workspace folder to create.
    boundary
        Polygon file (any CRS), ``"bbox:minlon,minlat,maxlon,maxlat"``, or None for the
        extract's declared ``<bounds>`` (XML) or the extent of its data (PBF). It becomes the
        built-up area and the single district.
    name, population
        City name (default: the file name) and resident population (NaN if not given: the
        per-capita indicators are then not assessed).
    crs
        Working CRS; default the CGCS2000 Gauss-Krüger zone in China, UTM elsewhere.
    standard
        Catalogue id or path (default the 2022 national ecological garden city standard).
    overwrite
        Replace an existing workspace (it is kept until the new one is complete).

    Returns
    -------
    OsmImportReport
        Per layer: features found and kept, area or length, repairs, drops, what is missing.
    """
    source = Path(osm_path)
    if not source.is_file():
        raise OsmImportError(
            f"The OSM extract {source} does not exist. Fix: check the path; download an extract "
            f"as .osm (openstreetmap.org Export) or .osm.pbf (e.g. Geofabrik, cut with osmium)."
        )
    if population is not None and not population > 0:
        raise OsmImportError(
            f"Population {population} is not a positive number of residents. Fix: give the "
            f"urban resident population (城区常住人口) of the area, or leave it out."
        )
    city_name = name or source.name.split(".")[0]
    raw = read_osm(source)
    area_ll, boundary_source = boundary_polygon(source, boundary, raw)
    built_up = gpd.GeoDataFrame({"name": [city_name]}, geometry=[area_ll], crs=4326)
    target = CRS.from_user_input(crs) if crs is not None else local_metric_crs(built_up)
    built_up = to_metric(built_up, target, name="boundary")
    area = built_up.geometry.iloc[0]
    if area.is_empty or area.area <= 0:
        raise OsmImportError(
            f"The boundary ({boundary_source}) has no area. Fix: give a polygon or a bbox with "
            f"min < max."
        )
    polys = to_metric(osm_layers.repair_polygons(raw["multipolygons"]), target)
    lines = to_metric(raw["lines"], target)
    routes = to_metric(raw["multilinestrings"], target)
    points = to_metric(raw["points"], target)
    mapping = osm_layers.load_mapping()

    land_use, overlaps = osm_layers.land_use(polys, area, mapping)
    built: dict[str, osm_layers.Built] = {
        "land_use": land_use,
        "green_spaces": osm_layers.green_spaces(polys, area, mapping),
        "vegetation": osm_layers.vegetation(polys, lines, points, area, mapping),
        "roads": osm_layers.roads(lines, area, mapping),
        "trees": osm_layers.trees(points, area, mapping),
        "greenways": osm_layers.greenways(lines, routes, area, mapping),
        "park_entrances": osm_layers.park_entrances(points, polys, area, mapping),
        "historic_districts": osm_layers.historic_districts(polys, area, mapping),
    }
    districts = gpd.GeoDataFrame(
        {
            "district_id": ["1"],
            "name": [city_name],
            "population": [float(population) if population is not None else np.nan],
        },
        geometry=[area],
        crs=target,
    )
    layers: dict[str, gpd.GeoDataFrame] = {"built_up_area": built_up, "districts": districts}
    layers |= {
        layer: result.gdf
        for layer, result in built.items()
        if len(result.gdf) or layer in _ALWAYS_WRITTEN
    }
    crs_text = _crs_text(target)
    report = OsmImportReport(Path(workspace_path), source, crs_text, boundary_source)
    report.layers = _summaries(built, layers, population)
    report.repaired_polygons = _repaired_mapped(polys, mapping)
    report.notes = _notes(report.repaired_polygons, overlaps, mapping)
    config = {
        "city": {
            "name": city_name,
            "crs": crs_text,
            "standard": standard or DEFAULT_STANDARD,
            "land_use_scheme": "gb50137",
            "green_space_scheme": "cjjt85_2017",
            "population_source": "given on the command line"
            if population is not None
            else "missing",
            "data_source": "OpenStreetMap",
        }
    }
    write_workspace(workspace_path, config=config, layers=layers, overwrite=overwrite)
    return report


def _crs_text(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def _repaired_mapped(polys: gpd.GeoDataFrame, mapping: Mapping[str, Any]) -> int:
    """Invalid polygons among the features any polygon layer takes (buildings etc. excluded)."""

    rules = [
        *(
            rule["match"]
            for key in ("green_spaces", "land_use", "vegetation")
            for rule in mapping[key]
        ),
        mapping["historic_districts"],
    ]
    mapped = np.zeros(len(polys), dtype=bool)
    for rule in rules:
        mapped |= matches(polys["tags"], rule)
    return int((mapped & polys["repaired"].to_numpy()).sum())


def _notes(repaired: int, overlaps: int, mapping: Mapping[str, Any]) -> list[str]:
    notes = [
        f"roads are kept up to {mapping['road_margin_m']:g} m beyond the boundary for the "
        f"walking network; every other layer is clipped to it",
        "data © OpenStreetMap contributors, available under the Open Database License (ODbL 1.0)",
    ]
    if repaired:
        notes.append(
            f"{repaired} invalid OSM polygon(s) repaired with make_valid (polygonal parts kept)"
        )
    if overlaps:
        notes.append(
            f"{overlaps} overlapping land-use polygon(s): the first rule of osm_mapping.yaml "
            f"keeps the overlap, so no area is counted twice"
        )
    return notes


def _size(gdf: gpd.GeoDataFrame) -> tuple[float, float]:
    if gdf.empty:
        return math.nan, math.nan
    kinds = set(gdf.geom_type)
    geoms = gdf.geometry.to_numpy()
    if kinds <= {"Polygon", "MultiPolygon"}:
        return float(shapely.area(shapely.union_all(geoms))) / 1e4, math.nan
    if kinds <= {"LineString", "MultiLineString"}:
        return math.nan, float(shapely.length(geoms).sum()) / 1000
    return math.nan, math.nan


def _summaries(
    built: Mapping[str, osm_layers.Built],
    layers: Mapping[str, gpd.GeoDataFrame],
    population: float | None,
) -> list[LayerSummary]:
    summaries = []
    for layer in REPORT_ORDER:
        gdf = layers.get(layer)
        kept = 0 if gdf is None else len(gdf)
        result = built.get(layer)
        found, repaired, dropped = (
            (result.found, result.repaired, result.dropped) if result else (kept, 0, 0)
        )
        note, blocking = _gap(layer, gdf, population)
        area_ha, length_km = _size(gdf) if gdf is not None else (math.nan, math.nan)
        summaries.append(
            LayerSummary(layer, found, kept, area_ha, length_km, repaired, dropped, note, blocking)
        )
    return summaries


def _gap(layer: str, gdf: gpd.GeoDataFrame | None, population: float | None) -> tuple[str, bool]:
    if layer == "districts" and population is None:
        return (
            "population not given (--population): per-capita indicators (park area per "
            "capita, parks and greenway length per 10 000 people) cannot be assessed",
            False,
        )
    if layer == "land_use":
        codes = set() if gdf is None else set(gdf["code"])
        if not any(code.startswith("R") for code in codes):
            return (
                "no landuse=residential polygons: residential land missing — park service "
                "coverage and greenway service coverage cannot be computed",
                True,
            )
        return "", False
    if layer == "green_spaces":
        classes = [] if gdf is None else list(gdf["green_class"])
        if not any(str(c).startswith(_PARK_PREFIX) for c in classes):
            return (
                "no leisure=park/garden polygons: park indicators (park area per capita, "
                "parks per 10 000 people, park service coverage) cannot be computed",
                True,
            )
        return "", False
    if layer in _MISSING and (gdf is None or gdf.empty):
        return _MISSING[layer]
    return "", False
