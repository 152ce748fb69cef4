"""The GCJ-02 hint's share of a layer outside the built-up area: the same share whether a
feature's representative point is made or the feature is found properly inside first."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gardencity.io.hints import _outside_share

CRS = "EPSG:4548"


def _every_point_share(
    layer: gpd.GeoDataFrame, area: shapely.Geometry, dx: float, dy: float
) -> float:
    """The share as it was computed before: a representative point for every feature."""
    geoms = layer.geometry.to_numpy()
    points = shapely.point_on_surface(geoms)
    x, y = shapely.get_x(points) + dx, shapely.get_y(points) + dy
    dim = shapely.get_dimensions(geoms)
    weight = np.where(dim == 2, shapely.area(geoms), np.where(dim == 1, shapely.length(geoms), 1))
    total = float(weight.sum())
    if not total > 0:
        return 0.0
    return float(weight[~shapely.contains_xy(area, x, y)].sum() / total)


def _area() -> shapely.Geometry:
    """A built-up area with a notch and a hole, so that a feature can straddle either."""
    outer = shapely.Polygon([(0, 0), (1000, 0), (1000, 1000), (600, 1000), (600, 400),
                             (400, 400), (400, 1000), (0, 1000)])  # fmt: skip
    return outer.difference(shapely.box(100, 100, 250, 250))


def _features(seed: int, n: int) -> list[shapely.Geometry | None]:
    """Boxes, L-shaped parcels, multipolygons, lines and points anywhere around the area
    (inside, outside, across its edge, its notch or its hole), and a missing one."""
    rng = np.random.default_rng(seed)
    features: list[shapely.Geometry | None] = []
    for _ in range(n):
        x, y = rng.uniform(-100, 1100, 2)
        w, h = rng.uniform(1, 300, 2)
        kind = rng.integers(5)
        if kind == 0:
            features.append(shapely.box(x, y, x + w, y + h))
        elif kind == 1:  # an L: its representative point is not its centre
            features.append(shapely.box(x, y, x + w, y + h).difference(
                shapely.box(x + w / 3, y + h / 3, x + w, y + h)))  # fmt: skip
        elif kind == 2:
            parts = [
                shapely.box(x, y, x + 5, y + 5),
                shapely.box(x + w, y + h, x + w + 5, y + h + 5),
            ]
            features.append(shapely.MultiPolygon(parts))
        elif kind == 3:
            features.append(shapely.LineString([(x, y), (x + w, y + h), (x, y + h)]))
        else:
            features.append(shapely.Point(x, y))
    return [*features, None]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("shift", [(0.0, 0.0), (-350.0, 120.0), (80.0, -40.0)])
def test_the_share_outside_is_the_one_every_point_gives(
    seed: int, shift: tuple[float, float]
) -> None:
    area = _area()
    layer = gpd.GeoDataFrame(geometry=_features(seed, 400), crs=CRS)
    expected = _every_point_share(layer, area, *shift)
    assert _outside_share(layer, area, *shift) == expected  # to the last bit
    assert 0.0 < expected < 1.0  # features on both sides


def test_a_feature_inside_the_area_but_around_its_hole_counts_by_its_point() -> None:
    area = _area()  # a hole at 100–250: a ring around it is not properly inside the area
    ring = shapely.box(50, 50, 300, 300).difference(shapely.box(90, 90, 260, 260))
    inside = shapely.box(500, 100, 600, 200)
    layer = gpd.GeoDataFrame(geometry=[ring, inside], crs=CRS)
    assert _outside_share(layer, area, 0.0, 0.0) == _every_point_share(layer, area, 0.0, 0.0)
    assert _outside_share(layer, area, 0.0, 0.0) == 0.0
