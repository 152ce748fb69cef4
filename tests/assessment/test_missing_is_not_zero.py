"""Missing is not zero: for every indicator, its defining layer missing, empty, or its needed
attribute unknown gives 未评估 / 数据不足 with the reason and fix — never a value and a verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from gardencity.assessment import run_assessment
from gardencity.assessment.evaluate import evaluate_indicator
from gardencity.assessment.inputs import AssessmentInputs
from gardencity.assessment.results import IndicatorResult
from gardencity.errors import ValidationError
from gardencity.indicators import REGISTRY
from gardencity.io.workspace import Workspace
from gardencity.standards import load_standard
from tests.assessment._full_city import (
    MANAGEMENT,
    full_config,
    full_layers,
    stations,
    write_canopy,
    write_city,
)

STANDARD = "national_ecological_garden_city_2022"
CONTEXT: dict[str, str | None] = {"grade": None, "region": None, "city_size": None}
GREEN = ["green_space_ratio", "min_district_green_space_ratio"]
PARKS = ["park_area_per_capita", "min_district_park_area_per_capita", "parks_per_10k"]
SERVICE = ["park_service_coverage", "park_service_coverage_walking"]
GREENWAYS = ["greenway_service_coverage", "greenway_length_per_10k"]
COVER = ["green_coverage_ratio", "tree_shrub_share"]

Layers = dict[str, gpd.GeoDataFrame]


@dataclass
class City:
    layers: Layers
    config: dict[str, Any]
    stations: pd.DataFrame
    root: Path


def _evaluate(root: Path, ids: list[str]) -> dict[str, IndicatorResult]:
    standard = load_standard(STANDARD)
    inputs = AssessmentInputs(Workspace.open(root))
    results = {}
    for spec in standard.indicators:
        if spec.id in ids:
            results[spec.id], _ = evaluate_indicator(spec, inputs, REGISTRY, standard, CONTEXT)
    assert set(results) == set(ids)
    return results


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template") / "city"
    return write_city(root, full_layers(), full_config())


def _city(tmp_path: Path, change: Callable[[City], None], template: Path | None = None) -> Path:
    city = City(full_layers(), full_config(), stations(), tmp_path / "city")
    city.root.mkdir()
    change(city)
    return write_city(city.root, city.layers, city.config, city.stations, template)


def drop(name: str) -> Callable[[City], None]:
    def change(city: City) -> None:
        del city.layers[name]

    return change


def empty(name: str) -> Callable[[City], None]:
    def change(city: City) -> None:
        city.layers[name] = city.layers[name].iloc[0:0]

    return change


def set_column(name: str, column: str, values: list[Any]) -> Callable[[City], None]:
    def change(city: City) -> None:
        city.layers[name][column] = values

    return change


def canopy_mostly_nodata(city: City) -> None:
    city.layers.pop("vegetation")
    city.config["rasters"] = {"canopy": write_canopy(city.root, nodata_share=0.6)}


def no_parks(city: City) -> None:
    green = city.layers["green_spaces"]
    city.layers["green_spaces"] = green[green["green_class"] == "XG"]


def unknown_land_use(city: City) -> None:  # a small residential parcel stays known
    land = city.layers["land_use"]
    land["code"] = ["R2", "ZZ9", "ZZ9", "ZZ9"]
    city.layers["land_use"] = land.set_geometry(
        [land.geometry.iloc[0].buffer(-150), *land.geometry.iloc[1:]]
    )


def no_tree_canopy(city: City) -> None:
    city.layers.pop("trees")
    veg = city.layers["vegetation"]
    city.layers["vegetation"] = veg[veg["veg_type"] == "grass"]


def no_stations(city: City) -> None:
    city.config.pop("tables")


def empty_stations(city: City) -> None:
    city.stations = city.stations.iloc[0:0]


def unknown_temperatures(city: City) -> None:
    city.stations["tmax_c"] = [35.0, np.nan, np.nan, 33.0, np.nan, np.nan]


def undeclared_management(city: City) -> None:
    city.config.pop("management")


def no_evidence_listed(city: City) -> None:
    city.config["management"]["green_system_plan"]["evidence"] = []


def evidence_file_missing(city: City) -> None:
    city.config["management"]["green_system_plan"]["evidence"] = ["docs/批复.pdf"]


NA, LOW = "not_assessed", "insufficient_data"
CASES: list[tuple[str, Callable[[City], None], list[str], str, str]] = [
    # (case, change, indicators, status, words the Chinese note must contain)
    ("vegetation missing", drop("vegetation"), COVER, NA, "没有植被覆盖图层"),
    ("vegetation empty", empty("vegetation"), COVER, NA, "没有植被覆盖图斑"),
    ("canopy raster mostly nodata", canopy_mostly_nodata, COVER, LOW, "冠层栅格有数据的面积"),
    ("vegetation type unknown", set_column("vegetation", "veg_type", ["unknown"] * 4),
     ["tree_shrub_share"], LOW, "植被类型"),
    ("green spaces empty", empty("green_spaces"), GREEN + PARKS + SERVICE, NA, "没有绿地图斑"),
    ("green classes unknown", set_column("green_spaces", "green_class", ["X9", "X9", "XG", "X9"]),
     GREEN, LOW, "绿地分类代码可识别"),
    ("no park polygons", no_parks, PARKS + SERVICE, NA, "没有公园绿地"),
    ("population unknown", set_column("districts", "population", [np.nan, np.nan]),
     [*PARKS, "greenway_length_per_10k"], NA, "没有城区人口"),
    ("population of one district unknown", set_column("districts", "population", [6000.0, np.nan]),
     ["park_area_per_capita", "parks_per_10k", "greenway_length_per_10k"], LOW, "有人口数据"),
    ("land use empty", empty("land_use"), [*SERVICE, "greenway_service_coverage"], NA,
     "没有用地图斑"),
    ("no residential land", set_column("land_use", "code", ["B1", "B1", "B1", "G1"]),
     [*SERVICE, "greenway_service_coverage"], NA, "没有居住用地"),
    ("land-use codes unknown", unknown_land_use, [*SERVICE, "greenway_service_coverage"], LOW,
     "用地分类代码可识别"),
    ("roads empty", empty("roads"),
     ["shaded_road_coverage", "road_green_compliance", "park_service_coverage_walking"], NA,
     "没有道路数据"),
    ("road grades unknown", set_column("roads", "grade", ["次干路", "未知等级"]),
     ["shaded_road_coverage", "road_green_compliance"], LOW, "道路等级已知"),
    ("red-line widths unknown", set_column("roads", "red_line_width_m", [np.nan, np.nan]),
     ["road_green_compliance"], LOW, "红线宽度"),
    ("no tree canopy", no_tree_canopy, ["shaded_road_coverage"], NA, "没有乔木树冠数据"),
    ("greenways missing", drop("greenways"), GREENWAYS, NA, "没有绿道数据"),
    ("greenways empty", empty("greenways"), GREENWAYS, NA, "没有绿道数据"),
    ("trees missing", drop("trees"), ["native_woody_plant_index"], NA, "没有树木调查数据"),
    ("trees empty", empty("trees"), ["native_woody_plant_index"], NA, "没有树木调查数据"),
    ("nativeness unknown", set_column("trees", "is_native", [None] * 4),
     ["native_woody_plant_index"], LOW, "是否乡土树种"),
    ("no temperature data", no_stations, ["heat_island_intensity"], NA, "没有地表温度栅格"),
    ("station table empty", empty_stations, ["heat_island_intensity"], NA, "没有地表温度栅格"),
    ("station temperatures unknown", unknown_temperatures, ["heat_island_intensity"], LOW,
     "日最高气温"),
    ("management not declared", undeclared_management, list(MANAGEMENT), NA, "未填报该管理项"),
    ("no evidence listed", no_evidence_listed, ["green_system_plan"], NA, "未列出证明材料"),
    ("evidence file missing", evidence_file_missing, ["green_system_plan"], NA,
     "证明材料文件不存在：docs/批复.pdf"),
]  # fmt: skip


def test_the_full_city_has_every_value_with_complete_data(template: Path) -> None:
    ids = [spec.id for spec in load_standard(STANDARD).indicators]
    results = _evaluate(template, ids)
    for result in results.values():
        assert result.value is not None, (result.id, result.note)
        assert result.status not in (NA, LOW, "error"), (result.id, result.note)
        assert result.completeness is not None and result.completeness["share"] == 1.0, result.id


@pytest.mark.parametrize(
    ("case", "change", "ids", "status", "words"), CASES, ids=[c[0] for c in CASES]
)
def test_missing_data_gives_no_value_and_no_verdict(
    tmp_path: Path,
    template: Path,
    case: str,
    change: Callable[[City], None],
    ids: list[str],
    status: str,
    words: str,
) -> None:
    for result in _evaluate(_city(tmp_path, change, template), ids).values():
        assert result.status == status, (result.id, result.status, result.note)
        assert result.value is None and result.gap is None, result.id
        assert words in result.note_zh, (result.id, result.note_zh)
        assert "处理：" in result.note_zh and "Fix" in result.note, result.id
        if status == LOW:  # the figure on the data at hand is kept, without a verdict
            assert result.completeness is not None
            share = result.completeness["share"]
            assert share < result.completeness["minimum"], result.id
            assert share == 0 or result.partial is not None, result.id


def test_a_district_without_data_keeps_its_neighbours_verdict(
    tmp_path: Path, template: Path
) -> None:
    root = _city(tmp_path, set_column("districts", "population", [6000.0, np.nan]), template)
    result = _evaluate(root, ["min_district_park_area_per_capita"])[
        "min_district_park_area_per_capita"
    ]
    assert result.district_status["e"] == NA and result.by_district["e"] is None
    assert result.by_district["w"] is not None
    assert result.district_status["w"] not in (NA, LOW)


@pytest.mark.parametrize("layer", ["land_use", "green_spaces", "roads", "districts"])
def test_a_missing_required_layer_stops_the_assessment_with_the_fix(
    tmp_path: Path, layer: str
) -> None:
    root = _city(tmp_path, drop(layer))
    with pytest.raises(ValidationError, match=f"(?s)required layer '{layer}'.*import-layer"):
        run_assessment(root)
