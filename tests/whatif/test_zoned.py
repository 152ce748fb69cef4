"""The what-if's per-tile zone areas: a tiled cover's area in each zone, tile by tile."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gardencity.io.threads import using_threads
from gardencity.whatif.zoned import ZonedCover, ZoneGrid
from tests._threads import wiggly_zones


def test_zone_areas_per_tile_sum_to_the_covers_overlap_with_each_zone() -> None:
    """Zones holding tiles whole, zones cut by tiles, and a zone smaller than a tile inside
    one piece: per tile the areas a tiled cover measures, summed over the tiles."""
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 6000, (500, 2))
    size = rng.uniform(20, 600, (500, 2))
    polygons = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + size[:, 0], xy[:, 1] + size[:, 1])
    city = shapely.Polygon([(-50, -50), (6500, 100), (6400, 6600), (100, 6400)])
    west = shapely.intersection(city, shapely.box(-100, -100, 3100, 7000))
    small = shapely.box(150, 150, 160, 170)  # inside the first polygon's piece, if covered
    polygons = np.concatenate([[shapely.box(100, 100, 400, 400)], polygons])
    zones = np.array([city, west, shapely.difference(city, west), small], dtype=object)
    cover = ZonedCover(list(range(len(polygons))), polygons, ZoneGrid(zones, 1000.0))
    expected = cover.cover.overlap_areas(zones)
    assert expected[3] == pytest.approx(200.0)
    assert np.allclose(cover.totals(), expected, rtol=1e-12)
    changed = cover.cover.add("park", shapely.box(2500, 2500, 3600, 3300))
    cover.update(changed)
    assert np.allclose(cover.totals(), cover.cover.overlap_areas(zones), rtol=1e-12)


def test_zones_are_tested_against_the_tiles_of_many_threads() -> None:
    """The zones, prepared once for the tests against tiles (a GEOS prepared geometry builds
    its indexes as it is used, and is not thread-safe), are tested on the tiles of many
    threads at once without a crash, with the areas one thread measures; the caller's zones
    are left unprepared."""
    x, y = np.mgrid[-110:110:10, -110:110:10].reshape(2, -1)
    boxes = shapely.box(x, y, x + 10, y + 10)
    for _ in range(20):
        zones = np.array(wiggly_zones(), dtype=object)
        with using_threads(1):
            alone = ZonedCover(list(range(len(boxes))), boxes, ZoneGrid(zones, 20.0)).totals()
        with using_threads(8):
            shared = ZonedCover(list(range(len(boxes))), boxes, ZoneGrid(zones, 20.0)).totals()
        np.testing.assert_array_equal(shared, alone)
        assert not shapely.is_prepared(zones).any()
