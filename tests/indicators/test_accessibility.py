import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gardencity.indicators.accessibility import (
    park_service_coverage,
    park_service_coverage_walking,
)
from gardencity.indicators.greenways import greenway_length_per_10k, greenway_service_coverage
from gardencity.network import walk_graph_from_roads
from tests.conftest import ZoneMaker

X0, Y0 = 500_000.0, 3_000_000.0
BANDS = [
    {"min_area_m2": 5000, "radius_m": 500},
    {"min_area_m2": 2000, "max_area_m2": 5000, "radius_m": 300},
    {"min_area_m2": 1000, "max_area_m2": 2000, "radius_m": 300, "historic_only": True},
]


def _parks(
    boxes: list[tuple[float, float, float, float]],
    classes: list[str] | None = None,
    is_open: list[bool] | None = None,
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"green_class": classes or ["G12"] * len(boxes), "is_open": is_open or [True] * len(boxes)},
        geometry=[shapely.box(X0 + a, Y0 + b, X0 + c, Y0 + d) for a, b, c, d in boxes],
        crs=4547,
    )


def _land(boxes: list[tuple[float, float, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"category": ["residential"] * len(boxes)},
        geometry=[shapely.box(X0 + a, Y0 + b, X0 + c, Y0 + d) for a, b, c, d in boxes],
        crs=4547,
    )


def _naive(
    land: gpd.GeoDataFrame, parks: gpd.GeoDataFrame, radius: float, zone: shapely.Geometry
) -> float:
    """The oracle: buffer → union → overlay, exactly the slow textbook way."""
    res = gpd.clip(land, zone)
    cover = gpd.GeoDataFrame(
        geometry=[parks.buffer(radius, quad_segs=16).union_all()], crs=land.crs
    )
    covered = gpd.overlay(res, cover, how="intersection")
    return float(covered.area.sum() / res.area.sum() * 100)


def test_hand_computed_band_coverage(make_zones: ZoneMaker) -> None:
    zones = make_zones()
    land = _land([(0, 0, 1000, 100)])
    parks = _parks([(0, 200, 100, 300)])  # 1 ha → 500 m
    value = park_service_coverage(zones, land, parks, bands=BANDS, eligible_classes=["G1"])
    # exact circle: 10,000 m² (x ≤ 100) + ∫₁₀₀²⁰⁰ √(500²−u²) du = 57,600.8 m² of 100,000 m²;
    # the east district (x ≥ 500) gets ∫₁₀₀²⁰⁰ (√(500²−u²) − 400) du = 7,600.8 m² of 50,000 m²
    assert value["built_up_area"] == pytest.approx(57.60, abs=0.05)
    assert value["d1"] == pytest.approx(100.0)
    assert value["d2"] == pytest.approx(15.20, abs=0.1)


def test_bands_by_area_historic_and_open() -> None:
    from gardencity.toolkit import eligible_parks

    parks = _parks(
        [(0, 0, 100, 100), (0, 0, 50, 50), (0, 0, 40, 30), (0, 0, 40, 30), (0, 0, 100, 100)],
        is_open=[True, True, True, True, False],
    )
    historic = gpd.GeoDataFrame(
        geometry=[shapely.box(X0 - 10, Y0 - 10, X0 + 20, Y0 + 20)], crs=4547
    )
    out = eligible_parks(parks, historic, bands=BANDS, eligible_classes=["G1"], require_open=True)
    assert out["radius_m"].tolist() == [500.0, 300.0, 300.0, 300.0]
    none_historic = eligible_parks(
        parks, None, bands=BANDS, eligible_classes=["G1"], require_open=False
    )
    assert none_historic["radius_m"].tolist() == [500.0, 300.0, 500.0]


def test_straight_line_matches_the_naive_overlay_on_random_parcels(make_zones: ZoneMaker) -> None:
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 950, (300, 2))
    land = _land([(x, y, x + rng.uniform(10, 50), y + rng.uniform(10, 50)) for x, y in xy])
    land = land[~land.geometry.duplicated()]
    parks = _parks([(100, 100, 200, 180), (700, 600, 800, 700)])
    zones = make_zones()
    value = park_service_coverage(zones, land, parks, bands=BANDS[:1], eligible_classes=["G1"])
    # overlapping random parcels: compare per parcel, as the oracle does
    for zone_id in ("built_up_area", "d1", "d2"):
        expected = _naive(land, parks, 500, zones.geometry[zone_id])
        assert value[zone_id] == pytest.approx(expected, rel=1e-9)


def test_adding_a_park_never_lowers_coverage(make_zones: ZoneMaker) -> None:
    zones = make_zones()
    land = _land([(0, 0, 1000, 100), (0, 800, 1000, 900)])
    parks = _parks([(0, 200, 100, 300)])
    more = pd.concat([parks, _parks([(800, 700, 900, 790)])])
    a = park_service_coverage(zones, land, parks, bands=BANDS, eligible_classes=["G1"])
    b = park_service_coverage(
        zones, land, gpd.GeoDataFrame(more, crs=4547), bands=BANDS, eligible_classes=["G1"]
    )
    assert (b >= a).all() and b["built_up_area"] > a["built_up_area"]
    road = gpd.GeoDataFrame(
        geometry=[
            shapely.LineString(
                [(X0, Y0 + 150), (X0 + 1000, Y0 + 150), (X0 + 1000, Y0 + 750), (X0, Y0 + 750)]
            )
        ],
        crs=4547,
    )
    graph = walk_graph_from_roads(road)
    wa = park_service_coverage_walking(
        zones, land, parks, graph, bands=BANDS, eligible_classes=["G1"], cell_size_m=50
    )
    wb = park_service_coverage_walking(
        zones,
        land,
        gpd.GeoDataFrame(more, crs=4547),
        graph,
        bands=BANDS,
        eligible_classes=["G1"],
        cell_size_m=50,
    )
    assert (wb >= wa).all()


def test_walking_hand_computed_on_one_edge(make_zones: ZoneMaker) -> None:
    zones = make_zones()
    land = _land([(0, 10, 1000, 60)])
    parks = _parks([(-100, 0, 0, 100)], ["G11"])
    road = gpd.GeoDataFrame(geometry=[shapely.LineString([(X0, Y0), (X0 + 1000, Y0)])], crs=4547)
    value = park_service_coverage_walking(
        zones,
        land,
        parks,
        walk_graph_from_roads(road),
        bands=BANDS,
        eligible_classes=["G1"],
        cell_size_m=50,
    )
    # entrance at x=0; a cell centred at x+25 with snap 35 m is covered while x+25+35 ≤ 500
    assert value["built_up_area"] == pytest.approx(45.0)
    assert value["d1"] == pytest.approx(90.0)
    assert value["d2"] == pytest.approx(0.0)


def test_same_result_from_cgcs2000_input_and_under_translation(make_zones: ZoneMaker) -> None:
    land = _land([(0, 0, 1000, 100), (300, 500, 600, 650)])
    parks = _parks([(0, 200, 100, 300)])
    base = park_service_coverage(make_zones(), land, parks, bands=BANDS, eligible_classes=["G1"])
    from_lonlat = park_service_coverage(
        make_zones(),
        land.to_crs(4490).to_crs(4547),
        parks.to_crs(4490).to_crs(4547),
        bands=BANDS,
        eligible_classes=["G1"],
    )
    assert from_lonlat.to_numpy() == pytest.approx(base.to_numpy(), rel=1e-6)
    shifted = park_service_coverage(
        make_zones(origin=(X0 + 12_345, Y0 - 6_789)),
        land.set_geometry(land.translate(12_345, -6_789)),
        parks.set_geometry(parks.translate(12_345, -6_789)),
        bands=BANDS,
        eligible_classes=["G1"],
    )
    assert shifted.to_numpy() == pytest.approx(base.to_numpy(), rel=1e-9)


def test_greenways(make_zones: ZoneMaker) -> None:
    zones = make_zones(population=(5000.0, 5000.0))
    land = _land([(0, 0, 1000, 200)])
    way = gpd.GeoDataFrame(geometry=[shapely.LineString([(X0, Y0), (X0 + 1000, Y0)])], crs=4547)
    cover = greenway_service_coverage(zones, land, way, radius_m=50)
    assert cover["built_up_area"] == pytest.approx(25.0)
    length = greenway_length_per_10k(zones, way)
    assert length["built_up_area"] == pytest.approx(1.0)
    assert length["d1"] == pytest.approx(1.0)
