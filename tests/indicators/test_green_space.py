from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gardencity.indicators.green_space import (
    green_space_ratio,
    near_any,
    park_area_per_capita,
    parks_per_10k,
)
from tests.conftest import ZoneMaker

X0, Y0 = 500_000.0, 3_000_000.0


def _green(
    rows: list[tuple[str, bool, tuple[float, float, float, float]]], crs: int = 4547
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "green_class": [r[0] for r in rows],
            "in_construction_land": [r[1] for r in rows],
            "is_open": True,
        },
        geometry=[shapely.box(X0 + a, Y0 + b, X0 + c, Y0 + d) for *_, (a, b, c, d) in rows],
        crs=4547,
    ).to_crs(crs)


def test_green_space_ratio_caps_other_green_at_20_percent(make_zones: ZoneMaker) -> None:
    green = _green(
        [
            ("G11", True, (0, 0, 100, 100)),  # 10,000 m² counted
            ("XG", True, (50, 0, 150, 100)),  # overlaps: union adds 5,000
            ("EG12", False, (150, 0, 350, 100)),  # 20,000 m² adjoining, capped
            ("G3", True, (600, 0, 700, 100)),
        ]
    )  # square: not counted
    result = green_space_ratio(
        make_zones(), green, counted_classes=["G1", "XG"], other_green_classes=["EG"]
    )
    assert result["built_up_area"] == pytest.approx((15_000 + 3_000) / 1e6 * 100)
    assert result.attrs["other_green_m2"]["built_up_area"] == pytest.approx(20_000)


def test_other_green_not_adjoining_construction_land_is_not_counted(make_zones: ZoneMaker) -> None:
    green = _green([("G11", True, (0, 0, 100, 100)), ("EG12", False, (400, 400, 450, 450))])
    result = green_space_ratio(
        make_zones(), green, counted_classes=["G1"], other_green_classes=["EG"]
    )
    assert result["built_up_area"] == pytest.approx(1.0)


def test_park_area_per_capita_per_district(make_zones: ZoneMaker) -> None:
    green = _green(
        [
            ("G12", True, (0, 0, 100, 100)),
            ("G14", True, (600, 0, 650, 100)),
            ("XG", True, (700, 0, 800, 100)),
        ]
    )
    result = park_area_per_capita(
        make_zones(population=(500.0, 1000.0)), green, park_classes=["G1"]
    )
    assert result["d1"] == pytest.approx(20.0)
    assert result["d2"] == pytest.approx(5.0)
    assert result["built_up_area"] == pytest.approx(15_000 / 1500)


def test_adding_a_park_never_lowers_park_area_per_capita(make_zones: ZoneMaker) -> None:
    green = _green([("G12", True, (0, 0, 100, 100))])
    more = pd.concat([green, _green([("G14", True, (50, 50, 300, 200))])])
    before = park_area_per_capita(make_zones(), green, park_classes=["G1"])
    after = park_area_per_capita(
        make_zones(), gpd.GeoDataFrame(more, crs=4547), park_classes=["G1"]
    )
    assert (after >= before).all()


def test_parks_per_10k_counts_comprehensive_parks(make_zones: ZoneMaker) -> None:
    green = _green(
        [
            ("G11", True, (0, 0, 100, 100)),
            ("G11", True, (600, 0, 610, 10)),
            ("G12", True, (200, 0, 300, 100)),
        ]
    )
    zones = make_zones(population=(10_000.0, 30_000.0))
    result = parks_per_10k(zones, green, park_classes=["G11"], min_area_m2=1000)
    assert result["d1"] == pytest.approx(1.0)
    assert result["d2"] == pytest.approx(0.0)
    assert result["built_up_area"] == pytest.approx(0.25)


@pytest.mark.parametrize("crs", [32650, 4490])
def test_invariance(make_zones: ZoneMaker, crs: int) -> None:
    green = _green([("G12", True, (0, 0, 100, 100)), ("EG", False, (100, 0, 200, 50))])
    reprojected = green.to_crs(crs).to_crs(4547) if crs == 4490 else green.to_crs(crs)
    zones = make_zones() if crs == 4490 else make_zones(crs)
    a = green_space_ratio(make_zones(), green, counted_classes=["G1"], other_green_classes=["EG"])
    b = green_space_ratio(zones, reprojected, counted_classes=["G1"], other_green_classes=["EG"])
    assert a.to_numpy() == pytest.approx(b.to_numpy(), rel=1e-4)


def _near_by_full_tree(geoms: np.ndarray, anchors: np.ndarray, distance: float) -> np.ndarray:
    near = shapely.STRtree(anchors).query(geoms, predicate="dwithin", distance=distance)[0]
    return np.unique(near)


@pytest.mark.parametrize("distance", [0.0, 1.0, 30.0])
def test_near_any_finds_what_a_tree_over_every_anchor_finds(
    demo_city: Path, distance: float
) -> None:
    from gardencity.assessment.inputs import AssessmentInputs
    from gardencity.io.workspace import Workspace

    inputs = AssessmentInputs(Workspace.open(demo_city))
    green = inputs.get("green_spaces").geometry.to_numpy()
    parcels = inputs.get("land_use").geometry.to_numpy()
    some = green[:: max(1, len(green) // 300)]  # a few hundred of the city's green polygons
    expected = _near_by_full_tree(some, parcels, distance)
    assert 0 < len(expected) < len(some) or distance == 30.0
    assert near_any(some, parcels, distance).tolist() == expected.tolist()


def test_near_any_at_the_distance_and_diagonally_beyond_it() -> None:
    anchors = np.array([shapely.box(X0, Y0, X0 + 10, Y0 + 10)])
    geoms = np.array(
        [
            shapely.box(X0 + 11, Y0, X0 + 20, Y0 + 10),  # exactly 1 m east: near
            shapely.box(X0 + 10.8, Y0 + 10.8, X0 + 20, Y0 + 20),  # 1.13 m diagonally: not
            shapely.box(X0 - 30, Y0 - 30, X0 - 20, Y0 - 20),  # far
            shapely.box(X0 + 2, Y0 + 2, X0 + 3, Y0 + 3),  # inside
        ]
    )
    for distance in (0.0, 1.0, 2.0):
        expected = _near_by_full_tree(geoms, anchors, distance)
        assert near_any(geoms, anchors, distance).tolist() == expected.tolist()
        for i in range(len(geoms)):  # each alone: its own box must reach the anchor
            found = near_any(geoms[i : i + 1], anchors, distance).tolist()
            assert found == ([0] if i in expected else [])
    assert near_any(geoms, anchors, 1.0).tolist() == [0, 3]
