"""Where the completeness parts place a feature: the middle of a line, a point inside
anything else — each point made once."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from gardencity.indicators.data_needs import _anchor_xy


def test_a_feature_is_placed_at_the_middle_of_its_line_or_a_point_inside_it() -> None:
    rng = np.random.default_rng(11)
    features: list[shapely.Geometry | None] = []
    for _ in range(300):
        x, y = rng.uniform(0, 1000, 2)
        kind = rng.integers(4)
        if kind == 0:
            features.append(shapely.LineString(rng.uniform(0, 1000, (4, 2))))
        elif kind == 1:
            features.append(shapely.MultiLineString([rng.uniform(0, 1000, (3, 2)),
                                                     rng.uniform(0, 1000, (2, 2))]))  # fmt: skip
        elif kind == 2:
            features.append(shapely.box(x, y, x + 30, y + 10).difference(
                shapely.box(x + 10, y, x + 30, y + 5)))  # fmt: skip
        else:
            features.append(shapely.Point(x, y))
    features.append(None)
    layer = gpd.GeoDataFrame(geometry=features, crs="EPSG:4548")
    geoms = layer.geometry.to_numpy()
    lines = shapely.get_dimensions(geoms) == 1
    expected = shapely.point_on_surface(geoms)
    expected[lines] = shapely.line_interpolate_point(geoms[lines], 0.5, normalized=True)
    x, y = _anchor_xy(layer)
    assert lines.sum() > 100 and (~lines).sum() > 100
    assert np.array_equal(x, shapely.get_x(expected), equal_nan=True)
    assert np.array_equal(y, shapely.get_y(expected), equal_nan=True)
    assert np.isnan(x[-1]) and np.isnan(y[-1])  # a missing geometry is nowhere
    line = shapely.LineString([(0, 0), (30, 0), (30, 50)])
    only_lines = gpd.GeoDataFrame(geometry=[line], crs="EPSG:4548")
    assert [float(v[0]) for v in _anchor_xy(only_lines)] == [30.0, 10.0]
