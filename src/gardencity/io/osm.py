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
from gardencity.io.crs import local_metric_crs, parse_crs, to_metric
from gardencity.io.data_gaps import data_gap
from gardencity.io.hints import crs_zone_problems
from gardencity.io.osm_boundary import boundary_fit, data_extent
from gardencity.io.osm_read import boundary_polygon, parse_other_tags, read_osm
from gardencity.io.osm_reimport import carry_over, layer_changes, layer_counts, previous_city
from gardencity.io.workspace import write_workspace
from gardencity.messages import Catalogue

__all__ = ["LayerSummary", "OsmImportReport", "import_osm", "parse_other_tags"]
MESSAGES = Catalogue(__package__)

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
# layer -> (gap key of io/data/data_gaps.yaml, blocks a core indicator) when it is empty
_MISSING: dict[str, tuple[str, bool]] = {
    "vegetation": ("vegetation_empty", True),
    "roads": ("no_roads", True),
    "trees": ("no_trees", False),
    "greenways": ("no_greenways", False),
}
_OSM_WHY: dict[str, str] = {  # gap key -> what the extract lacks, in OSM's own terms
    "land_use_empty": "no landuse=* polygons",
    "no_residential": "no landuse=residential polygons",
    "green_spaces_empty": "no leisure=park/garden, grass or wood polygons",
    "no_parks": "no leisure=park/garden polygons",
    "vegetation_empty": "no grass/meadow/forest/wood/scrub/park areas or natural=tree points",
    "no_roads": "no highway=* ways",
    "no_trees": "no natural=tree points",
    "no_greenways": "no ways named 绿道, greenway=* or hiking/bicycle routes",
    "no_population": "--population not given",
}
# what a missing optional layer means (messages.yaml: osm_missing.<layer>)
_MISSING_TEXT = ("park_entrances", "historic_districts")


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
    note_zh: str = ""

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
    repaired_polygons: int = 0  # invalid polygons repaired among the features kept
    notes: list[str] = field(default_factory=list)
    notes_zh: list[str] = field(default_factory=list)
    boundary_in_data: float = 1.0  # share of the boundary inside the extract's data
    data_in_boundary: float = 1.0  # share of the extract's data inside the boundary
    changes: list[tuple[str, str]] = field(default_factory=list)  # re-import: (zh, en)
    backup: Path | None = None  # re-import: where the old workspace was copied

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

    def header(self, lang: str = "en") -> list[str]:
        """Source, boundary (with how it fits the data) and working CRS."""
        fit = {
            "inside": f"{self.boundary_in_data:.0%}",
            "covered": f"{self.data_in_boundary:.0%}",
        }
        return [
            MESSAGES.text("osm_header", lang, source=self.source.name, workspace=self.workspace),
            MESSAGES.text("osm_boundary", lang, boundary=self.boundary_source, crs=self.crs, **fit),
        ]

    def footer(self, lang: str = "en") -> list[str]:
        """Notes (repairs, overlaps, boundary, attribution), changes on re-import, the legend."""
        pick = 0 if lang == "zh" else 1
        notes = self.notes_zh if lang == "zh" else self.notes
        lines = [MESSAGES.text("osm_note", lang, note=note) for note in notes]
        if self.changes:
            lines.append(MESSAGES.text("osm_reimport_kept", lang))
            lines += [f"  {change[pick]}" for change in self.changes]
        if self.backup is not None:
            lines.append(MESSAGES.text("osm_backed_up", lang, backup=self.backup))
        if self.has_blocking_gaps:
            lines.append(MESSAGES.text("osm_blocking_legend", lang))
        return lines

    def to_text(self, lang: str = "en") -> str:
        """The report as plain text (one line per layer, then notes)."""
        lines = [f"  {line}" for line in self.header(lang)]
        lines.append(
            f"  {'layer':<19} {'found':>6} {'kept':>6} {'size':>13} {'repaired':>8} "
            f"{'dropped':>7}  missing"
        )
        for s in self.layers:
            mark = "!" if s.blocking else " "
            note = s.note_zh if lang == "zh" else s.note
            lines.append(
                f"{mark} {s.layer:<19} {s.found:>6} {s.features:>6} {s.size:>13} "
                f"{s.repaired:>8} {s.dropped:>7}  {note}"
            )
        lines += [f"  {line}" for line in self.footer(lang)]
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
        built-up area and the single district. A boundary that holds none of the data is
        refused; how it fits the data is reported.
    name, population
        City name (default: the file name) and resident population (NaN if not given: the
        per-capita indicators are then not assessed).
    crs
        Working CRS; default the CGCS2000 Gauss-Krüger zone in China, UTM elsewhere.
    standard
        Catalogue id or path (default the 2022 national ecological garden city standard).
    overwrite
        Replace an existing workspace (it is kept until the new one is complete). The city's
        own settings are kept (:mod:`gardencity.io.osm_reimport`), and the old files are
        backed up first.

    Returns
    -------
    OsmImportReport
        Per layer: features found and kept, area or length, repairs, drops, what is missing.
    """
    source = Path(osm_path)
    root = Path(workspace_path)
    _check_arguments(source, population)
    previous = previous_city(root) if overwrite else None
    target_text = crs or (previous or {}).get("crs")
    target_crs = parse_crs(target_text) if target_text else None
    city_name = name or (previous or {}).get("name") or source.name.split(".")[0]
    raw = read_osm(source)
    built_up, boundary_source = _built_up_area(source, boundary, raw, city_name, target_crs)
    area, target = built_up.geometry.iloc[0], built_up.crs
    fit = boundary_fit(area, data_extent(source, raw), target, boundary_source)
    built, overlaps = _build_layers(raw, area, target)
    _refuse_if_nothing_inside(built, area, boundary_source)
    layers = _workspace_layers(built_up, built, city_name, population)
    crs_text = _crs_text(target)
    config = _new_config(city_name, crs_text, standard, population)
    report = OsmImportReport(root, source, crs_text, boundary_source)
    if overwrite and (root / "city.toml").exists():
        given = {k for k, v in (("name", name), ("crs", crs), ("standard", standard)) if v}
        given |= {"population"} if population is not None else set()
        _keep_city_settings(report, config, layers, given)
    population_known = population is not None or _has_population(layers["districts"], config)
    report.layers = _summaries(built, layers, population_known, str(root))
    report.repaired_polygons = len(frozenset().union(*(b.repaired_ids for b in built.values())))
    report.boundary_in_data, report.data_in_boundary = fit.boundary_in_data, fit.data_in_boundary
    notes = _notes(report.repaired_polygons, overlaps, osm_layers.load_mapping())
    notes += fit.notes() + _crs_notes(area, target)
    report.notes_zh, report.notes = [n[0] for n in notes], [n[1] for n in notes]
    write_workspace(root, config=config, layers=layers, overwrite=overwrite)
    return report


def _workspace_layers(
    built_up: gpd.GeoDataFrame,
    built: dict[str, Any],
    city_name: str,
    population: float | None,
) -> dict[str, gpd.GeoDataFrame]:
    """The layers to write: the built-up area, which is also the single district, and every
    layer the extract gave (empty ones only where a workspace must have them)."""
    area = built_up.geometry.iloc[0]
    districts = gpd.GeoDataFrame(
        {
            "district_id": ["1"],
            "name": [city_name],
            "population": [float(population) if population is not None else np.nan],
        },
        geometry=[area],
        crs=built_up.crs,
    )
    layers: dict[str, gpd.GeoDataFrame] = {"built_up_area": built_up, "districts": districts}
    layers |= {
        layer: result.gdf
        for layer, result in built.items()
        if len(result.gdf) or layer in _ALWAYS_WRITTEN
    }
    return layers


def _built_up_area(
    source: Path,
    boundary: str | os.PathLike[str] | None,
    raw: dict[str, gpd.GeoDataFrame],
    city_name: str,
    target_crs: Any,
) -> tuple[gpd.GeoDataFrame, str]:
    """The built-up area in the working CRS (``target_crs``, or the local metric one) and
    where its boundary came from."""
    area_ll, boundary_source = boundary_polygon(source, boundary, raw)
    built_up = gpd.GeoDataFrame({"name": [city_name]}, geometry=[area_ll], crs=4326)
    target = target_crs or local_metric_crs(built_up)
    built_up = to_metric(built_up, target, name="boundary")
    area = built_up.geometry.iloc[0]
    if area.is_empty or area.area <= 0:
        raise OsmImportError(MESSAGES.message("osm_boundary_no_area", boundary=boundary_source))
    return built_up, boundary_source


def _keep_city_settings(
    report: OsmImportReport,
    config: dict[str, Any],
    layers: dict[str, gpd.GeoDataFrame],
    given: set[str],
) -> None:
    """Re-import: merge the old workspace's own settings and districts (backed up first)."""
    old_counts = layer_counts(report.workspace / "city.gpkg")
    carried = carry_over(report.workspace, config, given=given)
    if carried.districts is not None:
        layers["districts"] = carried.districts
    new_counts = {n: len(g) for n, g in layers.items()}
    report.changes = carried.changes + layer_changes(old_counts, new_counts)
    report.backup = carried.backup


def _check_arguments(source: Path, population: float | None) -> None:
    if not source.is_file():
        raise OsmImportError(MESSAGES.message("osm_extract_missing", source=source))
    if population is not None and not population > 0:
        raise OsmImportError(MESSAGES.message("osm_population_invalid", population=population))


def _build_layers(
    raw: Mapping[str, gpd.GeoDataFrame], area: shapely.Geometry, target: CRS
) -> tuple[dict[str, osm_layers.Built], int]:
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
    return built, overlaps


def _refuse_if_nothing_inside(
    built: Mapping[str, osm_layers.Built], area: shapely.Geometry, boundary_source: str
) -> None:
    """No mapped feature inside the boundary (roads reach beyond it: only those crossing it
    count): the boundary holds none of the data."""
    inside = sum(len(b.gdf) for name, b in built.items() if name != "roads")
    roads = built["roads"].gdf
    if len(roads):
        inside += int(shapely.intersects(area, roads.geometry.to_numpy()).sum())
    if inside == 0:
        raise OsmImportError(
            MESSAGES.message("osm_boundary_holds_nothing", boundary=boundary_source)
        )


def _new_config(
    city_name: str, crs_text: str, standard: str | None, population: float | None
) -> dict[str, Any]:
    return {
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


def _has_population(districts: gpd.GeoDataFrame, config: Mapping[str, Any]) -> bool:
    if config["city"].get("population") is not None:
        return True
    values = districts.get("population")
    return values is not None and bool((values.astype(float) > 0).any())


def _crs_notes(area: shapely.Geometry, crs: CRS) -> list[tuple[str, str]]:
    return [(p.message_zh, f"{p.message}. Fix: {p.fix}") for p in crs_zone_problems(area, crs)]


def _crs_text(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def _notes(repaired: int, overlaps: int, mapping: Mapping[str, Any]) -> list[tuple[str, str]]:
    margin = f"{mapping['road_margin_m']:g}"
    notes = [MESSAGES.both("osm_roads_margin", margin=margin), MESSAGES.both("osm_attribution")]
    if repaired:
        notes.append(MESSAGES.both("osm_repaired", repaired=repaired))
    if overlaps:
        notes.append(MESSAGES.both("osm_overlaps", overlaps=overlaps))
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
    population_known: bool,
    workspace: str,
) -> list[LayerSummary]:
    summaries = []
    for layer in REPORT_ORDER:
        gdf = layers.get(layer)
        kept = 0 if gdf is None else len(gdf)
        result = built.get(layer)
        found, repaired, dropped = (
            (result.found, result.repaired, result.dropped) if result else (kept, 0, 0)
        )
        (note_zh, note), blocking = _gap(layer, gdf, population_known, workspace)
        area_ha, length_km = _size(gdf) if gdf is not None else (math.nan, math.nan)
        summaries.append(
            LayerSummary(
                layer, found, kept, area_ha, length_km, repaired, dropped, note, blocking, note_zh
            )
        )
    return summaries


def _gap(
    layer: str, gdf: gpd.GeoDataFrame | None, population_known: bool, workspace: str
) -> tuple[tuple[str, str], bool]:
    """What the layer's absence prevents (zh, en), in the words of the assessment."""
    key, blocking = None, False
    if layer == "districts" and not population_known:
        key = "no_population"
    elif layer == "land_use":
        codes = set() if gdf is None else set(gdf["code"])
        if not any(str(code).startswith("R") for code in codes):
            key, blocking = ("land_use_empty" if not codes else "no_residential"), True
    elif layer == "green_spaces":
        classes = [] if gdf is None else list(gdf["green_class"])
        if not any(str(c).startswith(_PARK_PREFIX) for c in classes):
            key, blocking = ("green_spaces_empty" if not classes else "no_parks"), True
    elif layer in _MISSING and (gdf is None or gdf.empty):
        key, blocking = _MISSING[layer]
    elif layer in _MISSING_TEXT and (gdf is None or gdf.empty):
        return MESSAGES.both(f"osm_missing.{layer}"), False
    if key is None:
        return ("", ""), False
    gap = data_gap(key, classes=_PARK_PREFIX, workspace=workspace)
    why = _OSM_WHY.get(key, "")
    return (f"{gap.zh}（OSM：{why}）", f"{gap.en} (OSM: {why})"), blocking
