"""Spot-check rehearsal: the point estimate of green coverage, site draws, hit chances."""

from __future__ import annotations

from math import comb
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gardencity.errors import DataError
from gardencity.inspection.spot_checks import (
    chance_sample_hits_problem,
    classify_points,
    green_coverage_sample,
    largest_tolerable_problem_count,
    points_for_margin,
    random_points_in,
    sample_sites,
)
from gardencity.io.raster import Raster
from gardencity.io.workspace import Workspace


def test_estimate_falls_in_its_95_interval_of_the_exact_value_93_of_100(
    demo_city: Path, demo_assessment
) -> None:  # type: ignore[no-untyped-def]
    ws = Workspace.open(demo_city)
    canopy = ws.load_raster("canopy")
    built_up = ws.load_layer("built_up_area")
    exact = demo_assessment.result("green_coverage_ratio").value
    assert canopy is not None and built_up is not None and exact is not None
    hits = 0
    for seed in range(100):
        est = green_coverage_sample(built_up, canopy=canopy, n=500, seed=seed)
        assert est.n_observed == 500
        hits += est.contains(exact)
    assert hits >= 93, f"only {hits} of 100 intervals contain the exact {exact:.2f} %"


def test_estimate_agrees_with_polygons_and_with_the_formula() -> None:
    area = shapely.box(0, 0, 100, 100)
    veg = gpd.GeoDataFrame(
        {"veg_type": ["tree", "grass"]},
        geometry=[shapely.box(0, 0, 30, 100), shapely.box(20, 0, 40, 100)],
        crs=4547,
    )
    est = green_coverage_sample(area, vegetation=veg, n=1000, seed=7)
    p = est.n_green / est.n_observed
    assert est.standard_error_pct == pytest.approx(100 * np.sqrt(p * (1 - p) / 1000))
    assert est.ci_high_pct - est.estimate_pct == pytest.approx(1.959964 * est.standard_error_pct)
    assert est.contains(40.0)
    # trees win over grass where they overlap: tree share ≈ 30 %, grass ≈ 10 %
    assert est.class_shares_pct["tree"] == pytest.approx(30, abs=4.5)
    assert est.class_shares_pct["grass"] == pytest.approx(10, abs=3)
    assert est.points is not None and len(est.points) == 1000


def test_raster_points_outside_or_on_nodata_are_not_counted() -> None:
    from affine import Affine
    from pyproj import CRS

    array = np.array([[1, 0], [255, 3]], dtype=np.uint8)
    canopy = Raster(array, Affine(10, 0, 0, 0, -10, 20), CRS.from_epsg(4547), 255, None)
    xy = np.array([[5.0, 15.0], [15.0, 15.0], [5.0, 5.0], [15.0, 5.0], [50.0, 50.0]])
    assert classify_points(xy, canopy=canopy).tolist() == ["tree", "none", None, "grass", None]


def test_random_points_stay_inside_a_concave_area() -> None:
    ring = shapely.box(0, 0, 100, 100).difference(shapely.box(10, 10, 90, 90))
    xy = random_points_in(ring, 2000, np.random.default_rng(3))
    assert len(xy) == 2000
    assert shapely.contains_xy(ring, xy[:, 0], xy[:, 1]).all()


def test_sample_size_worked_example() -> None:
    # z = 1.96, p = 0.4: 1.96² × 0.24 / 0.02² = 2304.9 → 2305 points for ±2 %
    assert points_for_margin(2.0, expected_pct=40.0) == 2305
    assert points_for_margin(5.0) == 385  # the classic worst case


def test_hit_chance_equals_the_combinatorial_formula() -> None:
    for population, problems, sample in [(10, 2, 3), (200, 5, 20), (40, 0, 10), (30, 30, 1)]:
        expected = 1 - comb(population - problems, sample) / comb(population, sample)
        got = chance_sample_hits_problem(population, problems, sample)
        assert got == pytest.approx(expected)
    # tolerable: with 100 sites and 10 visited, 2 problems give 19.1 %, 3 give 27.4 %
    assert largest_tolerable_problem_count(100, 10, 0.2) == 2


def test_bad_counts_are_all_reported() -> None:
    with pytest.raises(DataError) as raised:
        chance_sample_hits_problem(10, 11, 12)
    assert "问题场所数应在 0 到场所总数 10 之间（现为 11）；抽查数" in raised.value.text("zh")
    assert "problems must be" in raised.value.text("en") and "sample must be" in raised.value.text(
        "en"
    )


def test_sites_are_drawn_per_category_without_replacement() -> None:
    sites = gpd.GeoDataFrame(
        {"kind": ["park"] * 20 + ["road"] * 3, "site_id": range(23)},
        geometry=[shapely.Point(i, 0) for i in range(23)],
        crs=4547,
    )
    draw = sample_sites(sites, {"park": 5, "road": 10}, seed=11)
    assert draw.groupby("kind").size().to_dict() == {"park": 5, "road": 3}
    assert draw["site_id"].is_unique
    assert sorted(draw[draw["kind"] == "park"]["draw_order"]) == [1, 2, 3, 4, 5]
    again = sample_sites(sites, {"park": 5, "road": 10}, seed=11)
    assert draw["site_id"].tolist() == again["site_id"].tolist()
    assert sample_sites(sites, 2, seed=1).groupby("kind").size().to_dict() == {"park": 2, "road": 2}
