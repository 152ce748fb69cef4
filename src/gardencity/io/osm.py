"""Build a workspace from an OpenStreetMap extract (.osm XML or .osm.pbf), offline.

Tags map to layers by ``io/data/osm_mapping.yaml``. Every layer is clipped to the boundary
(ways crossing it are cut, not dropped); roads are kept up to ``road_margin_m`` beyond it so
that walking distances near the edge are right. The report says, per layer, what was found and
what is missing — an empty layer is never turned into a confident number.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import yaml

from gardencity.errors import GardenCityError, OsmImportError
from gardencity.io.crs import local_metric_crs
from gardencity.io.vector import clip_to
from gardencity.io.workspace import write_workspace

__all__ = ["OsmImportReport", "import_osm", "parse_other_tags", "read_osm"]

_TAG = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')
_BOUNDS = re.compile(
    r'<bounds\s+minlat="([-\d.]+)"\s+minlon="([-\d.]+)"\s+maxlat="([-\d.]+)"'
    r'\s+maxlon="([-\d.]+)"'
)
_MISSING = {
    "green_spaces": "no leisure=park/garden polygons: park indicators cannot be computed",
    "land_use": "no land-use polygons",
    "vegetation": "no grass/wood/forest/scrub/tree features: green coverage cannot be computed",
    "roads": "no highway ways: road and walking indicators cannot be computed",
    "trees": "no natural=tree points: native woody plant index cannot be computed",
    "greenways": "no greenways (绿道) tagged",
    "park_entrances": "no entrance/gate nodes: walking entrances approximated from the network",
    "historic_districts": "no historic=district areas",
}


def parse_other_tags(text: object) -> dict[str, str]:
    r"""Parse GDAL's hstore-like ``other_tags`` string.

    >>> parse_other_tags('"natural"=>"tree","name"=>"a \\"b\\""')
    {'natural': 'tree', 'name': 'a "b"'}
    """
    if not isinstance(text, str):
        return {}
    return {k.replace('\\"', '"'): v.replace('\\"', '"') for k, v in _TAG.findall(text)}


@cache
def _mapping() -> dict[str, Any]:
    raw = resources.files("gardencity.io.data").joinpath("osm_mapping.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(raw)
    return data


def read_osm(path: Path) -> dict[str, gpd.GeoDataFrame]:
    """The points, lines and multipolygons of an extract, each with a ``tags`` dict column."""
    layers = {}
    for name in ("points", "lines", "multipolygons"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                gdf = pyogrio.read_dataframe(path, layer=name, on_invalid="fix")
        except Exception as exc:
            raise OsmImportError(
                f"Cannot read {path} as an OpenStreetMap extract ({exc}). Fix: give an .osm (XML) "
                f"or .osm.pbf file, e.g. exported from openstreetmap.org or cut with osmium."
            ) from exc
        base = [
            c
            for c in gdf.columns
            if c not in ("geometry", "other_tags", "osm_id", "osm_way_id", "z_order")
        ]
        records = gdf[base].to_dict("records")
        others = gdf["other_tags"].map(parse_other_tags) if "other_tags" in gdf else None
        tags = []
        for i, rec in enumerate(records):
            merged = {k: str(v) for k, v in rec.items() if v is not None and v == v}
            if others is not None:
                merged.update(others.iloc[i])
            tags.append(merged)
        layers[name] = gpd.GeoDataFrame(
            {"tags": tags}, geometry=gdf.geometry.to_numpy(), crs=gdf.crs or 4326
        )
    return layers


def _matches(tags: pd.Series, match: dict[str, list[str]]) -> np.ndarray:
    def hit(t: dict[str, str]) -> bool:
        return any(k in t and ("*" in values or t[k] in values) for k, values in match.items())

    return np.array([hit(t) for t in tags], dtype=bool)


@dataclass
class OsmImportReport:
    """What the import found, per layer."""

    workspace: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_rows(self) -> list[dict[str, Any]]:
        return self.rows

    def row(self, layer: str) -> dict[str, Any]:
        return next(r for r in self.rows if r["layer"] == layer)

    @property
    def has_blocking_gaps(self) -> bool:
        return any(r["blocking"] for r in self.rows)

    def to_text(self) -> str:
        lines = [f"OpenStreetMap import into {self.workspace}:"]
        for r in self.rows:
            lines.append(
                f"  {r['layer']:20s} {r['features']:6d}  {r['size']:>12s}  "
                f"repaired {r['repaired']}  {r['note']}"
            )
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _boundary(
    path: Path, boundary: str | os.PathLike[str] | None, layers: dict[str, gpd.GeoDataFrame]
) -> shapely.Geometry:
    if boundary is None:
        if path.suffix.lower() == ".osm":
            with path.open("r", encoding="utf-8", errors="ignore") as handle:
                found = _BOUNDS.search(handle.read(4000))
            if found:
                minlat, minlon, maxlat, maxlon = map(float, found.groups())
                return shapely.box(minlon, minlat, maxlon, maxlat)
        lines = layers["lines"]
        roads = lines[[("highway" in t) for t in lines["tags"]]]
        if roads.empty:
            raise OsmImportError(
                f"{path} declares no bounds and has no roads. Fix: pass "
                f"--boundary FILE or bbox:minlon,minlat,maxlon,maxlat."
            )
        return shapely.box(*roads.total_bounds)
    text = str(boundary)
    if text.startswith("bbox:"):
        try:
            minlon, minlat, maxlon, maxlat = (float(v) for v in text[5:].split(","))
        except ValueError:
            raise OsmImportError(
                f"Malformed boundary '{text}'. Fix: write bbox:minlon,minlat,maxlon,maxlat."
            ) from None
        return shapely.box(minlon, minlat, maxlon, maxlat)
    gdf = gpd.read_file(text)
    if gdf.crs is None:
        raise OsmImportError(f"Boundary file {text} has no CRS. Fix: assign one (e.g. EPSG:4490).")
    return shapely.union_all(gdf.to_crs(4326).geometry.to_numpy())


def _prepare(gdf: gpd.GeoDataFrame, polygonal: bool) -> tuple[gpd.GeoDataFrame, int]:
    """Repair invalid polygons with make_valid (counted, in the source CRS)."""
    if gdf.empty or not polygonal:
        return gdf, 0
    geoms = gdf.geometry.to_numpy()
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        fixed = shapely.make_valid(geoms[invalid])
        fixed = np.array(
            [
                shapely.union_all(
                    [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
                )
                for g in fixed
            ],
            dtype=object,
        )
        geoms = geoms.copy()
        geoms[invalid] = fixed
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    gdf = gdf.assign(repaired=invalid)
    return gdf, int(invalid.sum())


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
    """Build (or atomically replace) a workspace from an OSM extract."""
    path = Path(osm_path)
    if not path.is_file():
        raise OsmImportError(f"{path} does not exist. Fix: check the path.")
    try:
        raw = read_osm(path)
    except GardenCityError:
        raise
    mapping = _mapping()
    area = _boundary(path, boundary, raw)
    bua = gpd.GeoDataFrame({"name": [name or path.stem]}, geometry=[area], crs=4326)
    target = local_metric_crs(bua) if crs is None else crs
    bua = bua.to_crs(target)
    area_m = bua.geometry.iloc[0]
    polys, repaired = _prepare(raw["multipolygons"], True)
    polys = polys.to_crs(target)
    lines = raw["lines"].to_crs(target)
    points = raw["points"].to_crs(target)
    report = OsmImportReport(Path(workspace_path))
    counts: dict[str, int] = {}
    layers: dict[str, gpd.GeoDataFrame] = {"built_up_area": bua}

    green = _rule_layer(polys, mapping["green_spaces"], "green_class", counts, "green_spaces")
    if len(green):
        sizes = shapely.area(green.geometry.to_numpy())
        by_size = green["green_class"] == "by_size"
        for rule in sorted(mapping["park_size_classes"], key=lambda r: r["min_area_m2"]):
            green.loc[by_size & (sizes >= rule["min_area_m2"]), "green_class"] = rule["green_class"]
        green["name"] = [t.get("name:zh", t.get("name")) for t in green["tags"]]
        green["is_open"] = [t.get("access") not in ("private", "no") for t in green["tags"]]
    layers["green_spaces"] = _finish(clip_to(green, area_m), ["green_class", "name", "is_open"])
    land = _rule_layer(polys, mapping["land_use"], "code", counts, "land_use")
    land, overlaps = _without_overlaps(
        clip_to(land, area_m), [r["code"] for r in mapping["land_use"]]
    )
    if overlaps:
        report.notes.append(
            f"{overlaps} overlapping land-use polygon(s) merged; where classes "
            f"overlap the first rule of osm_mapping.yaml wins"
        )
    layers["land_use"] = _finish(land, ["code", "parcel_id"])
    vegetation = _rule_layer(polys, mapping["vegetation"], "veg_type", counts, "vegetation")
    radius = float(mapping["crown_radius_m"])
    crowns = [vegetation[["veg_type", "geometry"]]]
    tree_pts = points[_matches(points["tags"], mapping["tree_points"])]
    tree_rows = lines[_matches(lines["tags"], mapping["tree_rows"])]
    for source in (tree_pts, tree_rows):
        if len(source):
            crowns.append(
                gpd.GeoDataFrame(
                    {"veg_type": "tree"},
                    index=source.index,
                    geometry=source.buffer(radius),
                    crs=target,
                )
            )
    vegetation = pd.concat(crowns, ignore_index=True)
    layers["vegetation"] = _finish(
        clip_to(gpd.GeoDataFrame(vegetation, crs=target), area_m), ["veg_type"]
    )
    trees = gpd.GeoDataFrame(
        {
            "species": [
                t.get("species:zh", t.get("species", t.get("genus", ""))) for t in tree_pts["tags"]
            ],
            "is_native": None,
            "is_woody": True,
            "crown_radius_m": radius,
        },
        index=tree_pts.index,
        geometry=tree_pts.geometry,
        crs=target,
    )
    layers["trees"] = _finish(
        clip_to(trees, area_m), ["species", "is_native", "is_woody", "crown_radius_m"]
    )
    layers["roads"] = _roads(lines, mapping, shapely.buffer(area_m, mapping["road_margin_m"]))
    layers["greenways"] = _greenways(lines, mapping, area_m)
    entrances = points[_matches(points["tags"], mapping["entrances"])]
    layers["park_entrances"] = _finish(
        clip_to(entrances.assign(park_name=None), area_m), ["park_name"]
    )
    historic = polys[_matches(polys["tags"], mapping["historic"])]
    layers["historic_districts"] = _finish(
        clip_to(historic.assign(name=[t.get("name") for t in historic["tags"]]), area_m), ["name"]
    )
    layers["districts"] = gpd.GeoDataFrame(
        {
            "district_id": ["1"],
            "name": [name or path.stem],
            "population": [float(population) if population is not None else np.nan],
            "population_year": [None],
        },
        geometry=[area_m],
        crs=target,
    )
    layers = {
        k: v
        for k, v in layers.items()
        if len(v) or k in ("land_use", "green_spaces", "roads", "built_up_area")
    }
    _fill_report(report, layers, counts, population)
    if repaired:
        report.notes.append(f"{repaired} invalid OSM polygon(s) repaired with make_valid")
    config = {
        "city": {
            "name": name or path.stem,
            "crs": _crs_text(target),
            "standard": standard or "national_ecological_garden_city_2022",
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


def _crs_text(crs: Any) -> str:
    from pyproj import CRS

    parsed = CRS.from_user_input(crs)
    epsg = parsed.to_epsg()
    return f"EPSG:{epsg}" if epsg else parsed.to_wkt()


def _rule_layer(
    source: gpd.GeoDataFrame,
    rules: list[dict[str, Any]],
    column: str,
    counts: dict[str, int],
    layer: str,
) -> gpd.GeoDataFrame:
    assigned = np.full(len(source), None, dtype=object)
    for rule in rules:
        value = rule.get(column, rule.get("green_class"))
        hit = _matches(source["tags"], rule["match"]) & (assigned == None)  # noqa: E711
        assigned[hit] = value
    keep = assigned != None  # noqa: E711
    out = source.loc[keep].copy()
    out[column] = assigned[keep]
    counts[layer] = int(out["repaired"].sum()) if "repaired" in out else 0
    return out


def _without_overlaps(land: gpd.GeoDataFrame, order: list[str]) -> tuple[gpd.GeoDataFrame, int]:
    """Dissolve each code and cut later codes by earlier ones, so parcels tile cleanly."""
    geoms = land.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="overlaps")
    overlapping = len(set(left[left < right]) | set(right[left < right]))
    taken = shapely.Polygon()
    parts, codes = [], []
    for code in dict.fromkeys(order):
        group = land[land["code"] == code]
        if group.empty:
            continue
        merged = shapely.difference(shapely.union_all(group.geometry.to_numpy()), taken)
        taken = shapely.union(taken, merged)
        pieces = [p for p in shapely.get_parts(merged) if p.geom_type == "Polygon" and p.area > 0]
        parts += pieces
        codes += [code] * len(pieces)
    out = gpd.GeoDataFrame(
        {"code": codes, "parcel_id": [f"osm{i}" for i in range(len(codes))]},
        geometry=parts,
        crs=land.crs,
    )
    return out, overlapping


def _finish(gdf: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    out = gdf[[c for c in columns if c in gdf.columns] + [gdf.geometry.name]]
    out = out[~shapely.is_empty(out.geometry.to_numpy())]
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry=gdf.geometry.name, crs=gdf.crs)


def _roads(
    lines: gpd.GeoDataFrame, mapping: dict[str, Any], area: shapely.Geometry
) -> gpd.GeoDataFrame:
    grades = mapping["road_grades"]
    highway = np.array([t.get("highway") for t in lines["tags"]], dtype=object)
    grade = np.array([grades.get(h) for h in highway], dtype=object)
    roads = lines.loc[grade != None].copy()  # noqa: E711
    roads["grade"] = grade[grade != None]  # noqa: E711
    roads["name"] = [t.get("name:zh", t.get("name")) for t in roads["tags"]]
    roads["red_line_width_m"] = [_width(t.get("width")) for t in roads["tags"]]
    roads["walkable"] = [g not in mapping["not_walkable"] for g in roads["grade"]]
    for column in ("sidewalk_width_m", "bike_lane_width_m", "green_ratio"):
        roads[column] = np.nan
    roads["is_landscape_road"] = False
    roads = clip_to(roads, area)
    roads = roads.explode(index_parts=False)
    roads = roads[roads.geometry.geom_type == "LineString"]
    return _finish(
        roads,
        [
            "grade",
            "name",
            "red_line_width_m",
            "sidewalk_width_m",
            "bike_lane_width_m",
            "green_ratio",
            "is_landscape_road",
            "walkable",
        ],
    )


def _width(value: str | None) -> float:
    if not value:
        return float("nan")
    match = re.match(r"\s*([\d.]+)", value)
    return float(match.group(1)) if match else float("nan")


def _greenways(
    lines: gpd.GeoDataFrame, mapping: dict[str, Any], area: shapely.Geometry
) -> gpd.GeoDataFrame:
    words = mapping["greenway_name_contains"]
    named = np.array([any(w in (t.get("name") or "") for w in words) for t in lines["tags"]])
    tagged = _matches(lines["tags"], mapping["greenway_tags"])
    ways = lines.loc[named | tagged].copy()
    ways["name"] = [t.get("name") for t in ways["tags"]]
    return _finish(clip_to(ways, area), ["name"])


def _fill_report(
    report: OsmImportReport,
    layers: dict[str, gpd.GeoDataFrame],
    repaired: dict[str, int],
    population: float | None,
) -> None:
    for layer in (
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
    ):
        gdf = layers.get(layer)
        n = 0 if gdf is None else len(gdf)
        size = ""
        if gdf is not None and n:
            kind = gdf.geom_type.iloc[0]
            if "Polygon" in kind:
                size = f"{shapely.area(shapely.union_all(gdf.geometry.to_numpy())) / 1e4:,.2f} ha"
            elif "Line" in kind:
                size = f"{gdf.length.sum() / 1000:,.2f} km"
        note = _MISSING.get(layer, "") if n == 0 else ""
        blocking = False
        if layer == "land_use":
            residential = 0 if gdf is None else int((gdf["code"] == "R2").sum())
            if residential == 0:
                note = (
                    "no landuse=residential polygons: residential land missing — park "
                    "service coverage cannot be computed"
                )
                blocking = True
        if layer in ("green_spaces", "roads") and n == 0:
            blocking = True
        if layer == "districts" and population is None:
            note = "population not given (--population): per-capita indicators not assessed"
        report.rows.append(
            {
                "layer": layer,
                "features": n,
                "size": size,
                "repaired": repaired.get(layer, 0),
                "note": note,
                "blocking": blocking,
            }
        )
