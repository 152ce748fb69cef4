"""The layers a city workspace provides: names, geometry types and fields, as data.

This table is the single source of the workspace schema. Validation, the OSM importer, the
demo-city generator and the documentation (``docs/workspace.md``) all read it.

Field types: ``str``, ``int``, ``float``, ``bool``, ``date``. Field names are English
snake_case; Chinese names are given for the documentation and for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["LAYERS", "RASTERS", "TABLES", "FieldSpec", "LayerSpec", "layer_spec", "schema_markdown"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    required: bool
    name_zh: str
    description: str
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerSpec:
    name: str
    name_zh: str
    geometry: str  # "polygon", "line", "point" or "none"
    required: bool
    description: str
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)
    needed_by: tuple[str, ...] = ()  # indicator ids that cannot be computed without it

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)


ROAD_GRADES = ("expressway", "arterial", "secondary", "branch", "other")
VEGETATION_TYPES = ("tree", "shrub", "grass", "unknown")

LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (
        LayerSpec(
            "built_up_area",
            "建成区",
            "polygon",
            True,
            "The built-up area boundary the indicators are computed for (one or more polygons).",
            (FieldSpec("name", "str", False, "名称", "Optional label."),),
        ),
        LayerSpec(
            "districts",
            "城区",
            "polygon",
            True,
            "Urban districts with their resident population; clipped to the built-up area.",
            (
                FieldSpec("district_id", "str", True, "城区编码", "Unique code, e.g. 320302."),
                FieldSpec("name", "str", True, "城区名称", "District name."),
                FieldSpec(
                    "name_en",
                    "str",
                    False,
                    "英文名称",
                    "English name, e.g. Gulou District (English pages and reports; "
                    "without one they write the name in pinyin).",
                ),
                FieldSpec("population", "float", True, "城区人口", "Residents (persons)."),
                FieldSpec("population_year", "int", False, "人口年份", "Year of the figure."),
            ),
        ),
        LayerSpec(
            "land_use",
            "用地",
            "polygon",
            True,
            "Land-use parcels with a class code in the scheme named in city.toml "
            "(GB 50137-2011, 用地用海 or 三调); mapped to categories by the class table.",
            (
                FieldSpec("code", "str", True, "用地代码", "Class code, e.g. R2, 0701, 070102."),
                FieldSpec("parcel_id", "str", False, "地块编号", "Parcel id (for reports)."),
            ),
            ("park_service_coverage", "park_service_coverage_walking"),
        ),
        LayerSpec(
            "green_spaces",
            "绿地",
            "polygon",
            True,
            "Urban green spaces with their CJJ/T 85-2017 class (2002 codes are translated by "
            'the crosswalk when city.toml says `green_space_scheme = "cjjt85_2002"`).',
            (
                FieldSpec(
                    "green_class", "str", True, "绿地分类", "CJJ/T 85 code, e.g. G11, G14, XG."
                ),
                FieldSpec("name", "str", False, "名称", "Name of the park or green space."),
                FieldSpec(
                    "is_open", "bool", False, "是否开放", "Open to the public (default true)."
                ),
                FieldSpec(
                    "in_construction_land",
                    "bool",
                    False,
                    "是否位于城市建设用地内",
                    "False for 区域绿地 outside construction land (defaults from the class).",
                ),
            ),
        ),
        LayerSpec(
            "vegetation",
            "植被覆盖",
            "polygon",
            False,
            "Vertical projection of vegetation (trees, shrubs, grass, roof greening). Used when "
            "no canopy raster is given; overlaps are unioned, never double counted.",
            (
                FieldSpec(
                    "veg_type",
                    "str",
                    False,
                    "植被类型",
                    "tree / shrub / grass / unknown.",
                    VEGETATION_TYPES,
                ),
            ),
        ),
        LayerSpec(
            "roads",
            "道路",
            "line",
            True,
            "Road centrelines with grade and cross-section widths; also the walking network.",
            (
                FieldSpec(
                    "grade",
                    "str",
                    True,
                    "道路等级",
                    "expressway/arterial/secondary/branch/other (快速路/主干路/次干路/支路/其他).",
                    ROAD_GRADES,
                ),
                FieldSpec("name", "str", False, "道路名称", "Road name."),
                FieldSpec("red_line_width_m", "float", False, "红线宽度", "Red-line width (m)."),
                FieldSpec("sidewalk_width_m", "float", False, "人行道宽度", "Per side (m)."),
                FieldSpec("bike_lane_width_m", "float", False, "非机动车道宽度", "Per side (m)."),
                FieldSpec(
                    "green_ratio",
                    "float",
                    False,
                    "道路绿地率",
                    "Green share of the red-line "
                    "area, 0–1, if surveyed; otherwise computed from green_spaces.",
                ),
                FieldSpec(
                    "is_landscape_road", "bool", False, "园林景观路", "CJJ 75 landscape road."
                ),
                FieldSpec(
                    "walkable",
                    "bool",
                    False,
                    "可步行",
                    "False for expressways without sidewalks (default: true except expressway).",
                ),
            ),
            ("shaded_road_coverage", "road_green_compliance", "park_service_coverage_walking"),
        ),
        LayerSpec(
            "slow_lanes",
            "人行道与非机动车道",
            "polygon",
            False,
            "Sidewalk and bike-lane surfaces, if mapped; otherwise derived from the road widths.",
            (FieldSpec("road_id", "str", False, "所属道路", "Id of the road it belongs to."),),
        ),
        LayerSpec(
            "park_entrances",
            "公园出入口",
            "point",
            False,
            "Park gates for walking-distance coverage; approximated from the network if absent.",
            (FieldSpec("park_name", "str", False, "公园名称", "Name of the park."),),
        ),
        LayerSpec(
            "greenways",
            "绿道",
            "line",
            False,
            "Greenway centrelines.",
            (FieldSpec("name", "str", False, "名称", "Greenway name."),),
            ("greenway_service_coverage", "greenway_length_per_10k"),
        ),
        LayerSpec(
            "trees",
            "树木",
            "point",
            False,
            "Tree inventory: species, native flag, crown radius.",
            (
                FieldSpec("species", "str", False, "树种", "Species (Latin or Chinese name)."),
                FieldSpec("is_native", "bool", False, "是否乡土树种", "Native to the region."),
                FieldSpec("is_woody", "bool", False, "是否木本", "Woody plant (default true)."),
                FieldSpec("crown_radius_m", "float", False, "冠幅半径", "Crown radius (m)."),
            ),
            ("native_woody_plant_index",),
        ),
        LayerSpec(
            "historic_districts",
            "历史文化街区",
            "polygon",
            False,
            "Historic districts (radius rules and threshold reductions apply inside them).",
            (FieldSpec("name", "str", False, "名称", "Name."),),
        ),
    )
}

TABLES: dict[str, LayerSpec] = {
    "weather_stations": LayerSpec(
        "weather_stations",
        "气象站日最高气温",
        "none",
        False,
        "Daily maximum temperature per station; `is_urban` marks stations inside the urban area "
        "(the others are the rural reference). CSV or GeoPackage table.",
        (
            FieldSpec("station_id", "str", True, "站点编号", "Station id."),
            FieldSpec("is_urban", "bool", True, "是否城区站", "Urban (true) or reference (false)."),
            FieldSpec("date", "date", True, "日期", "ISO date."),
            FieldSpec("tmax_c", "float", True, "日最高气温", "Daily maximum temperature (°C)."),
        ),
        ("heat_island_intensity",),
    ),
}

RASTERS: dict[str, str] = {
    "canopy": "植被覆盖栅格: class codes per pixel (tree/shrub/grass, see city.toml [canopy])",
    "land_surface_temperature": "地表温度栅格 (°C)",
}


def layer_spec(name: str) -> LayerSpec:
    """Return the spec of a vector layer or table by name."""
    if name in LAYERS:
        return LAYERS[name]
    if name in TABLES:
        return TABLES[name]
    known = ", ".join([*LAYERS, *TABLES])
    raise KeyError(f"Unknown layer '{name}'. Known layers: {known}")


def schema_markdown() -> str:
    """The workspace schema as Markdown (``docs/workspace.md`` is this text; a test checks it)."""
    lines = [
        "# The city workspace",
        "",
        "A workspace is a folder with `city.toml` and `city.gpkg` (layers named as",
        "below), and optionally a canopy raster, a land-surface-temperature raster and a",
        "weather-station table. Any layer can instead come from a Shapefile, GeoJSON or",
        "another GeoPackage named in `[layers.<name>]` of city.toml, with",
        '`fields = {ours = "theirs"}` to map field names and `coordinates = "gcj02"` when',
        "(and only when) the data is in GCJ-02. Every layer needs a CRS; it is reprojected",
        "to the workspace's projected `crs` (CGCS2000 EPSG:4490 and the Gauss-Krüger zones",
        "EPSG:4534–4554 are read directly). In production the vector layers can live in a",
        "PostGIS schema instead (`[storage]` in city.toml, `gardencity push-postgis`). See",
        "docs/architecture.md for city.toml.",
        "",
        "Generated from `gardencity.io.layers`; do not edit by hand.",
        "",
    ]
    for spec in [*LAYERS.values(), *TABLES.values()]:
        need = "required" if spec.required else "optional"
        lines += [
            f"## `{spec.name}` — {spec.name_zh} ({spec.geometry}, {need})",
            "",
            spec.description,
            "",
        ]
        if spec.needed_by:
            lines += [f"Needed by: {', '.join(f'`{i}`' for i in spec.needed_by)}.", ""]
        if spec.fields:
            lines += [
                "| field | 字段 | type | required | description |",
                "| --- | --- | --- | --- | --- |",
            ]
            for f in spec.fields:
                allowed = f" One of: {', '.join(f.allowed)}." if f.allowed else ""
                lines.append(
                    f"| `{f.name}` | {f.name_zh} | {f.type} | "
                    f"{'yes' if f.required else 'no'} | {f.description}{allowed} |"
                )
            lines.append("")
    lines += ["## Rasters", ""]
    lines += [f"* `{name}`: {text}" for name, text in RASTERS.items()]
    lines += [
        "",
        "## Class tables",
        "",
        "Land-use codes (GB 50137-2011, 用地用海, 三调), CJJ/T 85-2017 green-space classes with",
        "the 2002→2017 crosswalk, and road-grade names are data in `src/gardencity/io/data/`.",
        "",
    ]
    return "\n".join(lines)
