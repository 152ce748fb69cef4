"""Steps that test the caller's geometries (zones, parcels, an area) leave them unprepared,
so that threads testing them later (the what-if zone grid's, or any step of the work's
threads) do not share a GEOS prepared geometry, which is not thread-safe."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import CRS

from gardencity.indicators.data_needs import _graded_in_city, _zone_sums
from gardencity.inspection.spot_checks import random_points_in
from gardencity.io.raster import Raster
from gardencity.io.vector import clip_to
from gardencity.toolkit import (
    TiledCover,
    area_in_zones,
    cell_table,
    covered_areas,
    pieces_by_zone,
    raster_class_counts,
    road_pieces,
)
from tests._threads import answers_at_once, wiggly_zones

Shared = list[shapely.Geometry]


def _zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"kind": ["built_up_area", "district", "district"]},
        index=["built_up_area", "d1", "d2"],
        geometry=wiggly_zones(),
        crs=4547,
    )


def _boxes(size: float = 20.0) -> np.ndarray:
    x, y = np.meshgrid(np.arange(-120, 120, size), np.arange(-120, 120, size))
    return np.asarray(shapely.box(x.ravel(), y.ravel(), x.ravel() + size, y.ravel() + size))


def _lines() -> gpd.GeoDataFrame:
    ys = np.arange(-110.0, 111.0, 20.0)
    lines = [shapely.LineString([(-130, y), (130, y)]) for y in ys]
    return gpd.GeoDataFrame(
        {"grade": ["primary"] * len(lines), "name": None}, geometry=lines, crs=4547
    )


def _pieces_by_zone() -> Shared:
    zones = _zones()
    pieces_by_zone(gpd.GeoDataFrame(geometry=_boxes(), crs=4547), zones)
    return list(zones.geometry)


def _area_in_zones() -> Shared:
    geom = wiggly_zones(1)[0]
    area_in_zones(geom, gpd.GeoDataFrame(geometry=_boxes(60.0), crs=4547))
    return [geom]


def _road_pieces() -> Shared:
    zones = _zones()
    road_pieces(_lines(), zones, ["primary"])
    return list(zones.geometry)


def _covered_areas() -> Shared:
    cover = wiggly_zones(1)[0]
    covered_areas(_boxes(), cover)
    return [cover]


def _clip_to() -> Shared:
    area = wiggly_zones(1)[0]
    clip_to(gpd.GeoDataFrame(geometry=_boxes(), crs=4547), area)
    return [area]


def _random_points_in() -> Shared:
    area = wiggly_zones(1)[0]
    random_points_in(area, 50, np.random.default_rng(1))
    return [area]


def _raster_class_counts() -> Shared:
    zones = _zones()
    array = (np.arange(240 * 240).reshape(240, 240) % 3).astype(np.uint8)
    raster = Raster(array, Affine(1.0, 0, -120, 0, -1.0, 120), CRS.from_epsg(4547), nodata=255)
    raster_class_counts(raster, zones, [1, 2])
    return list(zones.geometry)


def _cell_table() -> Shared:
    hole = shapely.box(-5, -5, 5, 5).exterior.coords
    parcels = [shapely.Polygon(zone.exterior.coords, [hole]) for zone in wiggly_zones()]
    cell_table(np.asarray(parcels, dtype=object), 25.0)
    return parcels


def _overlap_areas() -> Shared:
    zones = _zones()
    TiledCover(_boxes(10.0), tile_m=50.0).overlap_areas(zones.geometry.to_numpy())
    return list(zones.geometry)


def _zone_sums_of() -> Shared:
    zones = _zones()
    xy = np.random.default_rng(2).uniform(-120, 120, (200, 2))
    points = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=4547)
    _zone_sums(points, zones, np.ones(len(points)))
    return list(zones.geometry)


def _graded_city() -> Shared:
    zones = _zones()
    _graded_in_city(_lines(), zones, ["primary"])
    return list(zones.geometry)


CASES: dict[str, Callable[[], Shared]] = {
    "pieces_by_zone": _pieces_by_zone,
    "area_in_zones": _area_in_zones,
    "road_pieces": _road_pieces,
    "covered_areas": _covered_areas,
    "clip_to": _clip_to,
    "random_points_in": _random_points_in,
    "raster_class_counts": _raster_class_counts,
    "cell_table": _cell_table,
    "TiledCover.overlap_areas": _overlap_areas,
    "data_needs._zone_sums": _zone_sums_of,
    "data_needs._graded_in_city": _graded_city,
}


@pytest.mark.parametrize("step", list(CASES.values()), ids=list(CASES))
def test_step_leaves_the_callers_geometries_unprepared(step: Callable[[], Shared]) -> None:
    shared = step()
    assert not shapely.is_prepared(np.asarray(shared, dtype=object)).any()
    expected = answers_at_once(shared, threads=1, rounds=1)
    answers = answers_at_once(shared)
    for k, answer in enumerate(answers):
        np.testing.assert_array_equal(answer, expected[(k // 8) % len(shared)])
