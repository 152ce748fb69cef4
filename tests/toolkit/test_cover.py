"""The tiled union behind the vector area measures (indicators/_zonal.py)."""

import numpy as np
import pytest
import shapely

from gardencity.toolkit import TiledCover


def test_tiled_cover_equals_one_union() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 5000, (300, 2))
    size = rng.uniform(5, 400, (300, 2))
    polygons = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + size[:, 0], xy[:, 1] + size[:, 1])
    union = shapely.union_all(polygons)
    cover = TiledCover(polygons, tile_m=1000.0)
    assert all(shapely.is_valid(list(cover.pieces.values())))
    assert cover.area == pytest.approx(union.area, rel=1e-12)
    zones = np.array([shapely.box(-10, -10, 6000, 6000), shapely.box(1234, 567, 3456, 4321)])
    expected = shapely.area(shapely.intersection(zones, union))
    assert np.allclose(cover.overlap_areas(zones), expected, rtol=1e-12)
    small = polygons[:50]
    assert np.allclose(
        cover.overlap_areas(small), shapely.area(shapely.intersection(small, union)), rtol=1e-9
    )
    outside = shapely.area(cover.outside_parts(zones))
    assert np.allclose(outside, shapely.area(zones) - expected, rtol=1e-9)


def test_tiled_cover_minus_and_empty_input() -> None:
    a = TiledCover(np.array([shapely.box(0, 0, 3000, 100)]))
    b = TiledCover(np.array([shapely.box(1000, 0, 5000, 100), shapely.box(0, 50, 10, 60)]))
    assert a.minus(b).area == pytest.approx(1000 * 100 - 10 * 10)
    empty = TiledCover(np.empty(0, dtype=object))
    assert empty.area == 0.0 and empty.pieces == {}
    assert empty.overlap_areas(np.array([shapely.box(0, 0, 1, 1)])).tolist() == [0.0]
