"""Pocket-park siting: exact gains, consistent with the coverage measure, greedy choices."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gardencity.errors import CrsError
from gardencity.indicators.accessibility import park_service_coverage
from gardencity.planning import plan_pocket_parks

BANDS = [
    {"min_area_m2": 5000, "radius_m": 500},
    {"min_area_m2": 2000, "max_area_m2": 5000, "radius_m": 300},
]
X, Y = 500_000.0, 3_000_000.0


def _frame(rows: dict[str, shapely.Geometry], **columns: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, index=list(rows), geometry=list(rows.values()), crs=4547)


@pytest.fixture
def city() -> dict[str, gpd.GeoDataFrame]:
    """A 3 km × 1 km built-up area; residential strips in the west, middle and east; one
    existing park in the west; candidate sites of several sizes."""
    zones = _frame({"built_up_area": shapely.box(X, Y, X + 3000, Y + 1000)}, population=[1e4])
    land = _frame(
        {
            "west": shapely.box(X, Y + 400, X + 800, Y + 600),
            "middle": shapely.box(X + 1100, Y + 400, X + 1900, Y + 600),
            "east": shapely.box(X + 2200, Y + 400, X + 3000, Y + 600),
        },
        category=["residential"] * 3,
    )
    parks = _frame(
        {"old park": shapely.box(X + 350, Y + 700, X + 450, Y + 800)},  # 10,000 m²: 500 m
        green_class=["G11"],
        is_open=[True],
    )
    candidates = _frame(
        {
            "big middle": shapely.box(X + 1450, Y + 650, X + 1550, Y + 750),  # 10,000 m²
            "small middle": shapely.box(X + 1475, Y + 650, X + 1525, Y + 700),  # 2,500 m²
            "east corner": shapely.box(X + 2950, Y + 900, X + 3000, Y + 950),  # 2,500 m²
            "east centre": shapely.box(X + 2550, Y + 650, X + 2650, Y + 750),  # 10,000 m²
            "tiny": shapely.box(X + 2000, Y + 900, X + 2020, Y + 920),  # 400 m²
        },
        kind=["vacant", "vacant", "convertible", "vacant", "vacant"],
    )
    return {"zones": zones, "land": land, "parks": parks, "candidates": candidates}


def _plan(city: dict[str, gpd.GeoDataFrame], **kwargs: object):  # type: ignore[no-untyped-def]
    return plan_pocket_parks(
        city["zones"],
        city["land"],
        city["parks"],
        city["candidates"],
        bands=BANDS,
        eligible_classes=["G1"],
        **kwargs,  # type: ignore[arg-type]
    )


def _measure(city: dict[str, gpd.GeoDataFrame], extra: gpd.GeoDataFrame) -> float:
    parks = pd.concat(
        [
            city["parks"],
            extra.assign(green_class="G14", is_open=True)[["green_class", "is_open", "geometry"]],
        ]
    )
    value = park_service_coverage(
        city["zones"],
        city["land"],
        gpd.GeoDataFrame(parks, crs=4547),
        bands=BANDS,
        eligible_classes=["G1"],
    )
    return float(value.loc["built_up_area"])


def test_the_plan_reaches_the_target_with_the_fewest_sites_and_the_measure_agrees(city) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(city, target_percent=99.0)
    assert list(plan.sites.index) == ["big middle", "east centre"]
    assert plan.reached and plan.coverage_after == pytest.approx(100.0)
    assert plan.coverage_before == pytest.approx(_measure(city, city["candidates"].iloc[:0]))
    assert plan.coverage_after == pytest.approx(_measure(city, plan.sites), abs=1e-9)
    assert plan.sites["coverage_percent"].is_monotonic_increasing
    assert plan.unusable == ["tiny: 400 m² is below every service band"]


def test_each_gain_is_the_exact_area_newly_covered(city) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(city, target_percent=100.0)
    covered = plan.covered_before_m2
    chosen = city["candidates"].iloc[:0]
    for name, row in plan.sites.iterrows():
        chosen = pd.concat([chosen, city["candidates"].loc[[name]]])
        now = _measure(city, chosen) / 100 * plan.residential_m2
        assert row["gain_m2"] == pytest.approx(now - covered, rel=1e-9)
        covered = now


def test_least_land_takes_the_best_gain_per_square_metre_first(city) -> None:  # type: ignore[no-untyped-def]
    by_area = _plan(city, target_percent=99.0, objective="area")
    base = _measure(city, city["candidates"].iloc[:0])
    usable = city["candidates"].drop(index="tiny")
    per_m2 = {
        name: (_measure(city, usable.loc[[name]]) - base) / usable.loc[[name]].area.iloc[0]
        for name in usable.index
    }
    assert by_area.sites.index[0] == max(per_m2, key=per_m2.__getitem__)
    assert by_area.reached
    capped = _plan(city, target_percent=99.0, max_sites=1)
    assert len(capped.sites) == 1 and not capped.reached


def test_a_target_already_met_needs_no_site_and_bad_inputs_say_why(city) -> None:  # type: ignore[no-untyped-def]
    assert _plan(city, target_percent=30.0).sites.empty
    with pytest.raises(CrsError):
        plan_pocket_parks(
            city["zones"],
            city["land"],
            city["parks"],
            city["candidates"].to_crs(4326),
            bands=BANDS,
            eligible_classes=["G1"],
            target_percent=90.0,
        )


def test_shading_order_on_the_demo_city_follows_the_measure(demo_assessment) -> None:  # type: ignore[no-untyped-def]
    from gardencity.planning import shading_priorities

    segments = demo_assessment.diagnostics["road_shade_segments"]
    measured = next(
        i for i in demo_assessment.to_dict()["indicators"] if i["id"] == "shaded_road_coverage"
    )
    plan = shading_priorities(segments, target_percent=measured["value"] + 5)
    assert 0 < len(plan) < (~segments["is_shaded"].astype(bool)).sum()
    assert plan["km_per_km"].is_monotonic_decreasing
    shaded = segments["length_m"].where(segments["is_shaded"].astype(bool), 0).sum()
    before = 100 * shaded / segments["length_m"].sum()
    assert before == pytest.approx(measured["value"], abs=1e-6)
    after = 100 * (shaded + plan["length_m"].sum()) / segments["length_m"].sum()
    assert after == pytest.approx(plan["coverage_percent"].iloc[-1])
    assert after >= measured["value"] + 5 > plan["coverage_percent"].iloc[-2]
