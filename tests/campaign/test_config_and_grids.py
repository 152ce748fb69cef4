"""Campaign configuration (city overrides, every problem at once) and grid tiling checks."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from gardencity.campaign.config import load_campaign_config
from gardencity.campaign.grids import check_grid_tiling
from gardencity.errors import InvalidRequestError


def test_a_city_overrides_labels_and_adds_a_category(tmp_path: Path) -> None:
    city = tmp_path / "campaign.yaml"
    city.write_text(
        "categories:\n"
        "  - {code: bare_soil, name_zh: 裸土, name_en: Bare soil, kind: event, public: false}\n"
        "  - {code: broken_fence, name_zh: 护栏损坏, name_en: Broken fence, kind: component}\n"
        "status_labels:\n  filed: {name_zh: 待受理, name_en: Received}\n"
        "ranking: {period: week, weights: {closure_rate: 100}}\n",
        encoding="utf-8",
    )
    config = load_campaign_config(city)
    assert config.categories["bare_soil"].name_zh == "裸土"
    assert not config.categories["bare_soil"].public
    assert config.categories["broken_fence"].kind == "component"
    assert config.status_labels["filed"].name_zh == "待受理"
    assert config.status_labels["closed"].name_zh == "已结案"  # the rest kept
    assert config.ranking.period == "week"


def test_every_problem_of_a_bad_city_file_at_once(tmp_path: Path) -> None:
    city = tmp_path / "campaign.yaml"
    city.write_text(
        "sla:\n  - {category: no_such_thing, urgent: 1, high: 2, normal: 3, low: 4}\n"
        "status_labels:\n  archived: {name_zh: 归档, name_en: Archived}\n"
        "escalation:\n  - {level: 2, after_hours: 0}\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidRequestError) as caught:
        load_campaign_config(city)
    zh, en = caught.value.text("zh"), caught.value.text("en")
    assert "no_such_thing" in zh and "archived" in zh and "1、2、3" in zh
    assert "no_such_thing" in en and "archived" in en and "1, 2, 3" in en
    assert not re.search(r"[\u4e00-\u9fff]", en.replace("归档", "")), en


def test_negative_sla_hours_are_refused(tmp_path: Path) -> None:
    city = tmp_path / "campaign.yaml"
    city.write_text("sla:\n  - {category: '*', urgent: -1, high: 2, normal: 3, low: 4}\n")
    with pytest.raises(InvalidRequestError, match="urgent"):
        load_campaign_config(city)


def _cells(*boxes: tuple[float, float, float, float], crs: int | None = 4548) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": [f"32030201{i:04d}" for i in range(len(boxes))]},
        geometry=[shapely.box(*b) for b in boxes],
        crs=crs,
    )


def test_a_clean_grid_passes() -> None:
    report = check_grid_tiling(_cells((0, 0, 100, 100), (100, 0, 200, 100)))
    assert report.ok and report.problems == []


def test_overlaps_and_gaps_are_measured() -> None:
    grid = _cells((0, 0, 100, 100), (90, 0, 200, 100), (0, 100, 60, 200), (80, 100, 200, 200))
    report = check_grid_tiling(grid, area=shapely.box(0, 0, 200, 200))
    assert not report.ok
    assert report.overlaps is not None and report.gaps is not None
    assert report.overlaps["area_m2"].round(3).tolist() == [1000.0]  # 10 m × 100 m
    assert report.gaps["area_m2"].round(3).tolist() == [2000.0]  # 20 m × 100 m
    said = [p.render("zh") for p in report.problems]
    assert any("重叠" in p for p in said) and any("缝隙" in p for p in said)
    hole = _cells((0, 0, 300, 100), (0, 100, 100, 200), (200, 100, 300, 200), (0, 200, 300, 300))
    holes = check_grid_tiling(hole).gaps  # without an area: holes inside the grid
    assert holes is not None and holes["area_m2"].round(3).tolist() == [10000.0]


def test_codes_must_be_unique_and_present() -> None:
    grid = _cells((0, 0, 100, 100), (100, 0, 200, 100), (200, 0, 300, 100))
    grid.loc[1, "code"] = grid.loc[0, "code"]
    grid.loc[2, "code"] = None
    problems = [p.render("en") for p in check_grid_tiling(grid).problems]
    assert any("Duplicate codes" in p for p in problems)
    assert any("without a code" in p for p in problems)


def test_a_grid_without_crs_says_how_to_fix() -> None:
    with pytest.raises(InvalidRequestError, match="设置图层坐标系"):
        check_grid_tiling(_cells((0, 0, 1, 1), crs=None))


def test_invalid_cells_are_repaired_and_counted() -> None:
    bowtie = shapely.Polygon([(0, 0), (100, 100), (100, 0), (0, 100)])
    grid = gpd.GeoDataFrame({"code": ["320302010001"]}, geometry=[bowtie], crs=4548)
    assert check_grid_tiling(grid).repaired == 1


def test_a_point_with_swapped_coordinates_is_named_as_such() -> None:
    import shapely

    from gardencity.campaign.boundary import CityBoundary, check_inside
    from gardencity.errors import InvalidRequestError

    city = CityBoundary.from_geometries([shapely.box(87.5, 43.7, 87.7, 43.9)])  # Ürümqi
    check_inside(city, 87.6, 43.8, 500)
    check_inside(None, 0.0, 0.0, 500)  # no boundary known yet: nothing to check
    with pytest.raises(InvalidRequestError, match="经纬度似乎填反了") as swapped:
        check_inside(city, 43.8, 87.6, 500)
    assert "look swapped" in swapped.value.text("en")
    with pytest.raises(InvalidRequestError, match=r"最多允许 0\.5 公里") as refused:
        check_inside(city, 87.6, 44.0, 500)
    assert "0.5 km is accepted" in refused.value.text("en")
    assert "填反" not in str(refused.value) and "swapped" not in refused.value.text("en")
