"""OSM features -> workspace layers, driven by ``io/data/osm_mapping.yaml``.

Each builder takes the extract's layers already in the working (metric) CRS and returns a
:class:`Built`: the layer clipped to the study area plus the counts the import report needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gardencity.io.osm_read import matches
from gardencity.io.vector import clip_to
from gardencity.messages import load_yaml

__all__ = ["Built", "load_mapping"]

_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(m|metres?|meters?)?\s*$")
_POLYGONAL = ("Polygon", "MultiPolygon")
_LINEAR = ("LineString", "MultiLineString")


@cache
def load_mapping() -> dict[str, Any]:
    """The tag -> layer mapping (``io/data/osm_mapping.yaml``)."""
    text = resources.files("gardencity.io.data").joinpath("osm_mapping.yaml").read_text("utf-8")
    data: dict[str, Any] = load_yaml(text)
    return data


@dataclass(frozen=True)
class Built:
    """One workspace layer built from OSM and what it took to build it."""

    gdf: gpd.GeoDataFrame
    found: int  # OSM features matched by the mapping in the whole extract
    repaired: int  # of those kept, invalid polygons repaired with make_valid
    dropped: int  # of those, features with nothing left inside the study area
    repaired_ids: frozenset[Any] = frozenset()  # the repaired polygons kept (extract index)


def keep_parts(geoms: np.ndarray, kinds: tuple[str, ...]) -> np.ndarray:
    """Keep only the parts of the given geometry types (empty where none are left)."""

    def keep(geom: shapely.Geometry | None) -> shapely.Geometry:
        if geom is None or geom.is_empty:
            return shapely.GeometryCollection()
        if geom.geom_type in kinds:
            return geom
        parts = [p for p in shapely.get_parts(geom) if p.geom_type in kinds and not p.is_empty]
        if not parts:
            return shapely.GeometryCollection()
        merged = shapely.union_all(parts)
        return merged if merged.geom_type in kinds else shapely.GeometryCollection()

    return np.array([keep(g) for g in geoms], dtype=object)


def repair_polygons(polys: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Repair invalid polygons with make_valid (polygonal parts kept); mark them ``repaired``."""
    geoms = polys.geometry.to_numpy()
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = keep_parts(shapely.make_valid(geoms[invalid]), _POLYGONAL)
    out = polys.set_geometry(gpd.GeoSeries(geoms, index=polys.index, crs=polys.crs))
    return out.assign(repaired=invalid)


def first_tag(tags: pd.Series, keys: Sequence[str]) -> list[str | None]:
    """The value of the first of ``keys`` present in each tag dict (None if none is)."""
    return [next((t[k] for k in keys if t.get(k)), None) for t in tags]


def parse_width(value: str | None) -> float:
    """A width tag in metres (``"7"``, ``"7.5 m"``, ``"3,5"``); NaN if absent or not metres.

    >>> parse_width("7.5 m"), parse_width("3,5"), parse_width("12'"), parse_width(None)
    (7.5, 3.5, nan, nan)
    """
    found = _NUMBER.match(value) if value else None
    return float(found.group(1).replace(",", ".")) if found else float("nan")


def _clipped(
    gdf: gpd.GeoDataFrame, area: shapely.Geometry, kinds: tuple[str, ...] | None
) -> gpd.GeoDataFrame:
    out = clip_to(gdf, area)
    if kinds is not None and len(out):
        out = out.set_geometry(
            gpd.GeoSeries(keep_parts(out.geometry.to_numpy(), kinds), index=out.index, crs=out.crs)
        )
    return out[~out.geometry.is_empty]


def _result(
    selected: gpd.GeoDataFrame,
    clipped: gpd.GeoDataFrame,
    columns: Sequence[str],
) -> Built:
    survivors = clipped.index.nunique()
    frame = clipped[[*columns, clipped.geometry.name]].reset_index(drop=True)
    gdf = gpd.GeoDataFrame(frame, geometry=clipped.geometry.name, crs=selected.crs)
    repaired = _repaired_kept(selected, clipped)
    return Built(gdf, len(selected), len(repaired), len(selected) - survivors, repaired)


def _repaired_kept(selected: pd.DataFrame, clipped: pd.DataFrame) -> frozenset[Any]:
    """Extract index of the repaired polygons that are kept (``source`` where the selection
    re-labelled them)."""
    if "repaired" not in selected:
        return frozenset()
    kept = selected.loc[clipped.index.unique()]
    kept = kept[kept["repaired"].astype(bool)]
    ids = kept["source"] if "source" in kept else kept.index.to_series()
    return frozenset(ids.tolist())


def _assign(tags: pd.Series, rules: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Index of the first rule each feature matches, -1 for none."""
    assigned = np.full(len(tags), -1)
    for number, rule in enumerate(rules):
        assigned[(assigned < 0) & matches(tags, rule["match"])] = number
    return assigned


def green_spaces(
    polys: gpd.GeoDataFrame, area: shapely.Geometry, mapping: Mapping[str, Any]
) -> Built:
    """Parks, gardens, grass and woods with CJJ/T 85-2017 classes (parks classed by size)."""
    rules = mapping["green_spaces"]
    rule_of = _assign(polys["tags"], rules)
    selected = polys.loc[rule_of >= 0].copy()
    rule_of = rule_of[rule_of >= 0]
    classes = np.array([rules[r]["green_class"] for r in rule_of], dtype=object)
    sizes = shapely.area(selected.geometry.to_numpy())
    by_size = classes == "by_size"
    for size_rule in sorted(mapping["park_size_classes"], key=lambda r: r["min_area_m2"]):
        classes[by_size & (sizes >= size_rule["min_area_m2"])] = size_rule["green_class"]
    geoms = selected.geometry.to_numpy().copy()
    for number, rule in enumerate(rules):
        cut = rule_of == number
        if rule.get("cut_by_earlier") and cut.any() and (rule_of < number).any():
            earlier = shapely.union_all(geoms[rule_of < number])
            geoms[cut] = keep_parts(shapely.difference(geoms[cut], earlier), _POLYGONAL)
    selected = selected.set_geometry(gpd.GeoSeries(geoms, index=selected.index, crs=polys.crs))
    selected["green_class"] = classes
    selected["name"] = first_tag(selected["tags"], mapping["name_tags"])
    selected["is_open"] = [t.get("access") not in ("private", "no") for t in selected["tags"]]
    clipped = _clipped(selected[~selected.geometry.is_empty], area, _POLYGONAL)
    return _result(selected, clipped, ["green_class", "name", "is_open"])


def land_use(
    polys: gpd.GeoDataFrame, area: shapely.Geometry, mapping: Mapping[str, Any]
) -> tuple[Built, int]:
    """Land-use parcels (GB 50137 codes) that tile without overlaps; also the overlap count.

    Each code is dissolved and cut by the codes of earlier rules, so an area is counted once.
    """
    rules = mapping["land_use"]
    rule_of = _assign(polys["tags"], rules)
    selected = polys.loc[rule_of >= 0].copy()
    selected["code"] = [rules[r]["code"] for r in rule_of[rule_of >= 0]]
    clipped = _clipped(selected, area, _POLYGONAL)
    geoms = clipped.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="overlaps")
    overlapping = len(set(left[left < right]) | set(right[left < right]))
    taken = shapely.Polygon()
    parts: list[shapely.Geometry] = []
    codes: list[str] = []
    for code in dict.fromkeys(rule["code"] for rule in rules):
        group = clipped.geometry.to_numpy()[clipped["code"].to_numpy() == code]
        if not len(group):
            continue
        merged = shapely.difference(shapely.union_all(group), taken)
        taken = shapely.union(taken, merged)
        pieces = [p for p in shapely.get_parts(merged) if p.geom_type == "Polygon" and p.area > 0]
        parts += pieces
        codes += [code] * len(pieces)
    parcels = gpd.GeoDataFrame(
        {"code": codes, "parcel_id": [f"osm-{i + 1}" for i in range(len(codes))]},
        geometry=parts,
        crs=polys.crs,
    )
    repaired = _repaired_kept(selected, clipped)
    dropped = len(selected) - clipped.index.nunique()
    return Built(parcels, len(selected), len(repaired), dropped, repaired), overlapping


def vegetation(
    polys: gpd.GeoDataFrame,
    lines: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    area: shapely.Geometry,
    mapping: Mapping[str, Any],
) -> Built:
    """Vegetation cover: mapped areas plus tree crowns (points and tree rows buffered)."""
    rules = mapping["vegetation"]
    rule_of = _assign(polys["tags"], rules)
    covers = polys.loc[rule_of >= 0]
    frames = [
        gpd.GeoDataFrame(
            {
                "veg_type": [rules[r]["veg_type"] for r in rule_of[rule_of >= 0]],
                "repaired": covers["repaired"].to_numpy(),
                "source": covers.index.to_numpy(),
            },
            index=[f"area-{i}" for i in covers.index],
            geometry=covers.geometry.to_numpy(),
            crs=polys.crs,
        )
    ]
    radius = float(mapping["crown_radius_m"])
    for label, source, rule in (
        ("tree", points, mapping["tree_points"]),
        ("tree_row", lines, mapping["tree_rows"]),
    ):
        hits = source.loc[matches(source["tags"], rule)]
        frames.append(
            gpd.GeoDataFrame(
                {
                    "veg_type": ["tree"] * len(hits),
                    "repaired": np.zeros(len(hits), dtype=bool),
                    "source": [None] * len(hits),
                },
                index=[f"{label}-{i}" for i in hits.index],
                geometry=shapely.buffer(hits.geometry.to_numpy(), radius, quad_segs=16),
                crs=polys.crs,
            )
        )
    selected = gpd.GeoDataFrame(pd.concat(frames), geometry="geometry", crs=polys.crs)
    clipped = _clipped(selected, area, _POLYGONAL)
    return _result(selected, clipped, ["veg_type"])


def trees(points: gpd.GeoDataFrame, area: shapely.Geometry, mapping: Mapping[str, Any]) -> Built:
    """natural=tree points with species from the species tags when present."""
    selected = points.loc[matches(points["tags"], mapping["tree_points"])].copy()
    selected["species"] = first_tag(selected["tags"], mapping["tree_species_tags"])
    selected["is_native"] = None
    selected["is_woody"] = True
    selected["crown_radius_m"] = float(mapping["crown_radius_m"])
    clipped = _clipped(selected, area, None)
    return _result(selected, clipped, ["species", "is_native", "is_woody", "crown_radius_m"])


def roads(lines: gpd.GeoDataFrame, area: shapely.Geometry, mapping: Mapping[str, Any]) -> Built:
    """highway=* ways with grade, name and widths, kept up to ``road_margin_m`` beyond ``area``."""
    grades = mapping["road_grades"]
    grade = np.array([grades.get(t.get("highway")) for t in lines["tags"]], dtype=object)
    is_road = np.array([g is not None for g in grade], dtype=bool)
    selected = lines.loc[is_road].copy()
    selected["grade"] = grade[is_road]
    selected["name"] = first_tag(selected["tags"], mapping["name_tags"])
    for column, keys in mapping["road_widths"].items():
        values = first_tag(selected["tags"], keys)
        selected[column] = np.array([parse_width(v) for v in values], dtype=float)
    selected["green_ratio"] = np.nan
    selected["is_landscape_road"] = False
    selected["walkable"] = ~selected["grade"].isin(mapping["not_walkable"]).to_numpy()
    reach = shapely.buffer(area, float(mapping["road_margin_m"]))
    clipped = _clipped(selected, reach, _LINEAR).explode(index_parts=False)
    clipped = clipped[clipped.geom_type == "LineString"]
    columns = [
        "grade",
        "name",
        "red_line_width_m",
        "sidewalk_width_m",
        "bike_lane_width_m",
        "green_ratio",
        "is_landscape_road",
        "walkable",
    ]
    return _result(selected, clipped, columns)


def greenways(
    lines: gpd.GeoDataFrame,
    routes: gpd.GeoDataFrame,
    area: shapely.Geometry,
    mapping: Mapping[str, Any],
) -> Built:
    """Greenway ways (named 绿道 or tagged greenway=*) and hiking/bicycle route relations.

    A stretch shared by several of them is kept once (routes lose what ways already cover).
    """
    words = mapping["greenway_name_contains"]
    names = first_tag(lines["tags"], mapping["name_tags"])
    named = np.array([any(w in (n or "") for w in words) for n in names], dtype=bool)
    ways = named & matches(lines["tags"], mapping["greenway_ways"])
    ways |= matches(lines["tags"], mapping["greenway_tags"])
    chosen_routes = routes.loc[matches(routes["tags"], mapping["greenway_routes"])]
    selected = gpd.GeoDataFrame(
        pd.concat([lines.loc[ways], chosen_routes]), geometry="geometry", crs=lines.crs
    )
    selected.index = [f"{kind}-{i}" for kind, i in _origin(lines.loc[ways], chosen_routes)]
    selected["name"] = first_tag(selected["tags"], mapping["name_tags"])
    geoms = selected.geometry.to_numpy().copy()
    taken = shapely.GeometryCollection()
    for number, geom in enumerate(geoms):
        remaining = keep_parts(np.array([shapely.difference(geom, taken)]), _LINEAR)[0]
        geoms[number] = remaining
        taken = shapely.union(taken, remaining)
    deduplicated = selected.set_geometry(
        gpd.GeoSeries(geoms, index=selected.index, crs=selected.crs)
    )
    clipped = _clipped(deduplicated[~deduplicated.geometry.is_empty], area, _LINEAR)
    return _result(selected, clipped, ["name"])


def _origin(ways: pd.DataFrame, routes: pd.DataFrame) -> list[tuple[str, object]]:
    return [("way", i) for i in ways.index] + [("route", i) for i in routes.index]


def park_entrances(
    points: gpd.GeoDataFrame,
    polys: gpd.GeoDataFrame,
    area: shapely.Geometry,
    mapping: Mapping[str, Any],
) -> Built:
    """entrance=* / barrier=gate nodes on or in a park, with that park's name.

    Nodes farther than ``entrance_max_distance_m`` from every park (building entrances) are
    not park entrances and are not counted as found.
    """
    candidates = points.loc[matches(points["tags"], mapping["park_entrance_nodes"])]
    parks = polys.loc[matches(polys["tags"], mapping["park_entrance_parks"])]
    parks = parks[~parks.geometry.is_empty]
    if candidates.empty or parks.empty:
        selected = candidates.iloc[:0].assign(park_name=None)
    else:
        tree = shapely.STRtree(parks.geometry.to_numpy())
        point_at, park_at = tree.query_nearest(
            candidates.geometry.to_numpy(), max_distance=float(mapping["entrance_max_distance_m"])
        )
        first = np.unique(point_at, return_index=True)[1]
        selected = candidates.iloc[point_at[first]].copy()
        park_names = first_tag(parks["tags"], mapping["name_tags"])
        selected["park_name"] = [park_names[p] for p in park_at[first]]
    clipped = _clipped(selected, area, None)
    return _result(selected, clipped, ["park_name"])


def historic_districts(
    polys: gpd.GeoDataFrame, area: shapely.Geometry, mapping: Mapping[str, Any]
) -> Built:
    """historic=district areas and cultural protected areas (protect_class=22)."""
    selected = polys.loc[matches(polys["tags"], mapping["historic_districts"])].copy()
    selected["name"] = first_tag(selected["tags"], mapping["name_tags"])
    clipped = _clipped(selected[~selected.geometry.is_empty], area, _POLYGONAL)
    return _result(selected, clipped, ["name"])
