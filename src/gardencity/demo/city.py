"""Vector layers of the demo city 示范市: districts, land use, parks, roads, trees, greenways."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from gardencity.demo.layout import (
    BLOCK,
    GRADE_WIDTH,
    SIZES,
    SLOW_WIDTH,
    CityPlan,
    line_grade,
    split_block,
    warp_geoms,
)

__all__ = ["DISTRICT_NAMES", "DISTRICT_NAMES_EN", "DemoLayers", "build_layers"]

CRS = "EPSG:4548"
DISTRICT_NAMES = [
    "鼓楼区",
    "云龙区",
    "泉山区",
    "铜山区",
    "贾汪区",
    "经开区",
    "新城区",
    "高新区",
    "湖滨区",
]
# their English names, as Chinese cities write them
DISTRICT_NAMES_EN = [
    "Gulou District",
    "Yunlong District",
    "Quanshan District",
    "Tongshan District",
    "Jiawang District",
    "Economic Development Zone",
    "Xincheng District",
    "High-tech Zone",
    "Hubin District",
]
# per district: block-park probability, pocket-park probability, street-shade probability,
# target park area per capita (m²/person). District 0 is the weak old quarter.
PROFILE_WEAK = (0.01, 0.03, 0.55, 4.6)
PROFILE_STRONG = (0.05, 0.10, 0.86, 15.2)
SPECIES = [
    ("国槐", True),
    ("银杏", True),
    ("栾树", True),
    ("女贞", True),
    ("香樟", True),
    ("榉树", True),
    ("朴树", True),
    ("白蜡", True),
    ("毛白杨", True),
    ("垂柳", True),
    ("合欢", True),
    ("紫薇", True),
    ("桂花", True),
    ("广玉兰", False),
    ("悬铃木", False),
    ("雪松", False),
    ("刺槐", False),
    ("北美枫香", False),
    ("日本晚樱", False),
    ("红叶石楠", False),
]
ROAD_NAMES = [
    "解放路",
    "中山路",
    "淮海路",
    "建国路",
    "和平路",
    "民主路",
    "人民路",
    "复兴路",
    "彭城路",
    "云龙路",
    "泉山路",
    "金山路",
    "汉源路",
    "湖东路",
    "奎山路",
    "三环路",
]


@dataclass
class DemoLayers:
    layers: dict[str, gpd.GeoDataFrame]
    zone_types: list[tuple[shapely.Geometry, int]] = field(default_factory=list)
    street_bands: list[tuple[shapely.Geometry, int]] = field(default_factory=list)
    population: dict[str, float] = field(default_factory=dict)


def _gdf(rows: list[dict[str, Any]], extent: float) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows)
    geoms = warp_geoms(np.asarray(frame.pop("geometry").to_list(), dtype=object), extent)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=CRS)


def _profile(district: int) -> tuple[float, float, float, float]:
    return PROFILE_WEAK if district == 0 else PROFILE_STRONG


@dataclass
class _Draft:
    """The green spaces, parcels and surface types drawn so far (plan coordinates)."""

    green: list[dict[str, Any]] = field(default_factory=list)
    land: list[dict[str, Any]] = field(default_factory=list)
    zone_types: list[tuple[shapely.Geometry, int]] = field(default_factory=list)

    def add(
        self,
        geom: shapely.Geometry,
        zone_type: int,
        *,
        land_code: str | None = None,
        green: dict[str, Any] | None = None,
    ) -> None:
        if green is not None:
            self.green.append({**green, "geometry": geom})
        if land_code is not None:
            self.land.append({"code": land_code, "geometry": geom})
        self.zone_types.append((geom, zone_type))


_SPECIAL_PARKS = (
    ("G132", "植物园"),
    ("G131", "动物园"),
    ("G135", "欢乐谷游乐园"),
    ("G139", "儿童公园"),
    ("G134", "汉城遗址公园"),
)


def build_layers(plan: CityPlan, rng: np.random.Generator) -> DemoLayers:
    blocks = {(b.ix, b.iy): b for b in plan.blocks.itertuples()}
    draft = _Draft()
    taken, removed_roads = _comprehensive_parks(blocks, plan.n, draft)
    special = iter(_SPECIAL_PARKS)
    old_quarter = shapely.box(0, 0, plan.extent * 0.3, plan.extent * 0.3)
    for (ix, iy), block in sorted(blocks.items()):
        if (ix, iy) not in taken:
            _fill_block(block, plan, rng, draft, special, old_quarter)
    return _assemble(plan, draft, removed_roads, rng)


def _comprehensive_parks(
    blocks: dict[tuple[int, int], Any], n: int, draft: _Draft
) -> tuple[set[tuple[int, int]], set[tuple[str, int, int]]]:
    """综合公园: 2×2 blocks on a lattice (not in the old quarter, not across an expressway);
    the blocks they take and the road steps inside them that go."""
    taken: set[tuple[int, int]] = set()
    removed_roads: set[tuple[str, int, int]] = set()
    for (ix, iy), block in blocks.items():
        if not (ix % 8 == 2 and iy % 8 == 2 and block.district != 0):
            continue
        quad = [(ix + a, iy + b) for a in (0, 1) for b in (0, 1)]
        inner_lines = {line_grade(ix + 1, n), line_grade(iy + 1, n)}
        if not all(q in blocks and q not in taken for q in quad) or "expressway" in inner_lines:
            continue
        geom = shapely.union_all([shapely.box(*blocks[q].geometry.bounds) for q in quad])
        geom = shapely.box(*geom.bounds)
        taken.update(quad)
        removed_roads.update(
            {("h", iy + 1, ix), ("h", iy + 1, ix + 1), ("v", ix + 1, iy), ("v", ix + 1, iy + 1)}
        )
        name = f"第{len(draft.green) + 1}综合公园"
        draft.add(
            geom, 1, land_code="G1", green={"green_class": "G11", "name": name, "is_open": True}
        )
    return taken, removed_roads


def _fill_block(
    block: Any,
    plan: CityPlan,
    rng: np.random.Generator,
    draft: _Draft,
    special: Iterator[tuple[str, str]],
    old_quarter: shapely.Geometry,
) -> None:
    """One block: forest park at the edge, historic garden, park, square, other use, or
    residential parcels (some a pocket park, some with a yard)."""
    p_park, p_pocket, _, _ = _profile(block.district)
    geom = block.geometry
    draw = rng.random()
    edge = not plan.boundary.buffer(-BLOCK * 1.5).contains(geom)
    if edge and draw < 0.35:
        forest = {
            "green_class": "EG12",
            "name": "城郊森林公园",
            "is_open": True,
            "in_construction_land": False,
        }
        draft.add(geom, 2, land_code="E2", green=forest)
        return
    if old_quarter.contains(geom) and rng.random() < 0.05:
        garden = {"green_class": "G133", "name": "彭园（历史名园）", "is_open": True}
        draft.add(geom, 1, land_code="G1", green=garden)
        return
    if draw < p_park:
        klass, name = next(special, ("G12", "社区公园"))
        is_open = not (klass == "G12" and rng.random() < 0.06)
        park = {"green_class": klass, "name": name, "is_open": is_open}
        draft.add(geom, 1, land_code="G1", green=park)
        return
    use = rng.choice(["R", "A", "B", "M", "G3"], p=[0.70, 0.12, 0.11, 0.05, 0.02])
    if use == "G3":
        draft.add(geom, 7, land_code="G3", green={"green_class": "G3", "name": "市民广场"})
        return
    if use != "R":
        code = {"A": rng.choice(["A1", "A3", "A5"]), "B": rng.choice(["B1", "B2"]), "M": "M1"}[
            str(use)
        ]
        draft.add(geom, 6, land_code=code)
        return
    parts = SIZES[plan.size].parcels_per_side
    for parcel in split_block(geom, parts):
        if rng.random() < p_pocket / parts**2 * 3:
            pocket = {"green_class": "G14", "name": "口袋公园", "is_open": True}
            draft.add(parcel, 1, land_code="G1", green=pocket)
            continue
        draft.add(parcel, 5, land_code=str(rng.choice(["R2", "R2", "R2", "R1", "R3"])))
        if rng.random() < 0.45:
            yard = parcel.buffer(-9.0)
            draft.add(yard, 4, green={"green_class": "XG", "name": "小区附属绿地"})


def _assemble(
    plan: CityPlan,
    draft: _Draft,
    removed_roads: set[tuple[str, int, int]],
    rng: np.random.Generator,
) -> DemoLayers:
    """The drawn city as workspace layers (warped), with roads, trees, greenways, entrances."""
    extent = plan.extent
    land_gdf = _gdf(draft.land, extent)
    land_gdf.insert(0, "parcel_id", [f"P{i:06d}" for i in range(len(land_gdf))])
    green_gdf = _gdf(draft.green, extent)
    for column, default in (("is_open", True), ("in_construction_land", True)):
        green_gdf[column] = green_gdf[column].map(lambda v, d=default: d if pd.isna(v) else v)
    roads = plan.roads[
        [
            (a, ln, s) not in removed_roads
            for a, ln, s in zip(
                plan.roads["axis"], plan.roads["line"], plan.roads["step"], strict=True
            )
        ]
    ].reset_index(drop=True)
    road_gdf, bands = _roads(roads, plan, rng)
    green_gdf = pd.concat([green_gdf, _road_green(road_gdf, rng)], ignore_index=True)
    districts, population = _districts(plan, green_gdf)
    layers = {
        "built_up_area": gpd.GeoDataFrame(
            {"name": ["示范市建成区"]},
            geometry=warp_geoms(np.array([plan.boundary]), extent),
            crs=CRS,
        ),
        "districts": districts,
        "land_use": land_gdf,
        "green_spaces": green_gdf,
        "roads": road_gdf,
        "historic_districts": gpd.GeoDataFrame(
            {"name": ["彭城历史文化街区"]},
            geometry=warp_geoms(
                np.array([shapely.box(BLOCK, BLOCK, BLOCK * 4, BLOCK * 3)]), extent
            ),
            crs=CRS,
        ),
        "trees": _trees(road_gdf, rng),
        "greenways": _greenways(plan),
        "park_entrances": _entrances(green_gdf),
    }
    warped_types = list(
        zip(
            warp_geoms(np.array([g for g, _ in draft.zone_types], dtype=object), extent),
            [v for _, v in draft.zone_types],
            strict=True,
        )
    )
    return DemoLayers(layers, warped_types, bands, population)


def _roads(
    roads: gpd.GeoDataFrame, plan: CityPlan, rng: np.random.Generator
) -> tuple[gpd.GeoDataFrame, list[tuple[shapely.Geometry, int]]]:
    grades = roads["grade"].to_numpy()
    geoms = warp_geoms(roads.geometry.to_numpy(), plan.extent)
    red = np.array([GRADE_WIDTH[g] for g in grades])
    walk = np.array([SLOW_WIDTH[g][0] for g in grades])
    bike = np.array([SLOW_WIDTH[g][1] for g in grades])
    names = [
        ROAD_NAMES[(line * 7 + (axis == "v") * 3) % len(ROAD_NAMES)]
        for axis, line in zip(roads["axis"], roads["line"], strict=True)
    ]
    gdf = gpd.GeoDataFrame(
        {
            "grade": grades,
            "name": names,
            "red_line_width_m": red,
            "sidewalk_width_m": walk,
            "bike_lane_width_m": bike,
            "is_landscape_road": [
                g == "arterial" and line % 10 == 0
                for g, line in zip(grades, roads["line"], strict=True)
            ],
            "walkable": grades != "expressway",
        },
        geometry=geoms,
        crs=CRS,
    )
    bands: list[tuple[shapely.Geometry, int]] = []
    cols, rows = SIZES[plan.size].districts
    for geom, grade, r, w, b, axis, line, step in zip(
        geoms, grades, red, walk, bike, roads["axis"], roads["line"], roads["step"], strict=True
    ):
        if grade == "expressway":
            continue
        ix, iy = (step, line) if axis == "h" else (line, step)
        district = min(ix * cols // plan.n, cols - 1) + cols * min(iy * rows // plan.n, rows - 1)
        p_shade = _profile(district)[2]
        length = geom.length
        for side in (1.0, -1.0):
            centre = r / 2 - (w + b) / 2
            for k in range(math.ceil(length / 100.0)):
                piece = shapely.ops.substring(geom, k * 100.0, min((k + 1) * 100.0, length))
                band = shapely.buffer(
                    shapely.offset_curve(piece, side * centre), (w + b) / 2, cap_style="flat"
                )
                bands.append((band, 8 if rng.random() < p_shade else 9))
    return gdf, bands


def _road_green(roads: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """道路附属绿地 (SG): a central planting strip, about 70 % of roads meeting CJJ 75."""
    selected = roads[roads["grade"].isin(["arterial", "secondary", "branch"])]
    width = selected["red_line_width_m"].to_numpy(dtype=float)
    required = np.where(width > 50, 0.30, np.where(width > 40, 0.25, 0.20))
    required = np.where(selected["is_landscape_road"].to_numpy(bool), 0.40, required)
    ratio = np.where(rng.random(len(selected)) < 0.7, required + 0.04, required - 0.08)
    strips = shapely.buffer(selected.geometry.to_numpy(), ratio * width / 2, cap_style="flat")
    return gpd.GeoDataFrame(
        {
            "green_class": "SG",
            "name": "道路附属绿地",
            "is_open": True,
            "in_construction_land": True,
        },
        index=range(len(strips)),
        geometry=strips,
        crs=CRS,
    )


def _districts(
    plan: CityPlan, green: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, dict[str, float]]:
    cols, rows = SIZES[plan.size].districts
    n = plan.n
    # boundaries run mid-block, not along road centrelines (a road on a boundary is counted
    # for the district on its left; off the centreline nothing depends on that rule)
    xs = [-BLOCK] + [(math.ceil(c * n / cols) + 0.5) * BLOCK for c in range(1, cols)]
    xs.append(plan.extent + BLOCK)
    ys = [-BLOCK] + [(math.ceil(r * n / rows) + 0.5) * BLOCK for r in range(1, rows)]
    ys.append(plan.extent + BLOCK)
    boxes, ids, names, names_en = [], [], [], []
    for r in range(rows):
        for c in range(cols):
            k = c + cols * r
            boxes.append(shapely.box(xs[c], ys[r], xs[c + 1], ys[r + 1]))
            ids.append(f"3203{k + 2:02d}")
            names.append(DISTRICT_NAMES[k])
            names_en.append(DISTRICT_NAMES_EN[k])
    geoms = warp_geoms(np.array(boxes, dtype=object), plan.extent)
    clipped = shapely.intersection(geoms, warp_geoms(np.array([plan.boundary]), plan.extent)[0])
    parks = green[green["green_class"].str.startswith("G1")]
    park_union = shapely.union_all(parks.geometry.to_numpy())
    population = {}
    for k, (district_id, geom) in enumerate(zip(ids, clipped, strict=True)):
        area = shapely.area(shapely.intersection(geom, park_union))
        target = _profile(k)[3]
        population[district_id] = float(max(round(area / target, -2), 1000.0))
    gdf = gpd.GeoDataFrame(
        {
            "district_id": ids,
            "name": names,
            "name_en": names_en,
            "population": [population[i] for i in ids],
            "population_year": [2024] * len(ids),
        },
        geometry=clipped,
        crs=CRS,
    )
    return gdf, population


def _trees(roads: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    lines = roads[roads["grade"].isin(["secondary", "branch"])].geometry.to_numpy()
    pick = rng.choice(len(lines), size=min(len(lines), 1500), replace=False)
    pick.sort()
    points = shapely.line_interpolate_point(lines[pick], rng.random(len(pick)), normalized=True)
    species = rng.integers(0, len(SPECIES), len(pick))
    return gpd.GeoDataFrame(
        {
            "species": [SPECIES[s][0] for s in species],
            "is_native": [SPECIES[s][1] for s in species],
            "is_woody": True,
            "crown_radius_m": np.round(rng.uniform(2.5, 5.0, len(pick)), 1),
        },
        geometry=points,
        crs=CRS,
    )


def _greenways(plan: CityPlan) -> gpd.GeoDataFrame:
    e = plan.extent
    t = np.linspace(0.05, 0.95, 60)
    river = shapely.LineString(np.column_stack([t * e, e * (0.55 + 0.06 * np.sin(6 * t))]))
    ring = shapely.LineString(np.column_stack([e * (0.62 + 0.05 * np.cos(5 * t)), t * e]))
    geoms = warp_geoms(np.array([river, ring], dtype=object), e)
    return gpd.GeoDataFrame({"name": ["故黄河绿道", "环城绿道"]}, geometry=geoms, crs=CRS)


def _entrances(green: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    big = green[green["green_class"] == "G11"]
    points, names = [], []
    for name, geom in zip(big["name"], big.geometry, strict=True):
        ring = geom.exterior
        for frac in (0.125, 0.375, 0.625, 0.875):
            points.append(ring.interpolate(frac, normalized=True))
            names.append(name)
    return gpd.GeoDataFrame({"park_name": names}, geometry=points, crs=CRS)
