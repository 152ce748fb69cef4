"""The union's area in zones without building the union: the same as the plain union (to the
last digits), overlaps counted once, in any number of bands and threads."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity

from gardencity.indicators.green_space import (
    covers_ratio,
    green_space_covers,
    green_space_ratio,
)
from gardencity.indicators.green_union import (
    difference_area_in_zones,
    overlap_windows,
    union_area_in_zones,
)
from gardencity.io.threads import using_threads
from gardencity.toolkit import components

REL = 1e-12


def _plain(polygons: np.ndarray, zones: np.ndarray) -> np.ndarray:
    """The straightforward computation: one union, intersected with each zone."""
    union = shapely.union_all(polygons)
    return np.array([shapely.area(shapely.intersection(union, z)) for z in zones])


def _random_polygons(seed: int) -> np.ndarray:
    """Rotated strips crossing at junctions (as road medians), a grid of squares touching
    along edges, squares overlapping them, a polygon with a hole, a multipolygon, a square
    given twice and a polygon without area."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(80):  # strips that overlap their neighbours at their ends
        x, y = rng.uniform(0, 900, 2)
        length, width, angle = rng.uniform(50, 300), rng.uniform(2, 15), rng.uniform(0, 180)
        strip = shapely.box(x, y, x + length, y + width)
        out.append(shapely.affinity.rotate(strip, angle, origin=(x, y)))
    for i in range(12):  # touching only along edges
        for j in range(12):
            out.append(shapely.box(300 + 20 * i, 300 + 20 * j, 320 + 20 * i, 320 + 20 * j))
    for _ in range(30):
        x, y, s = *rng.uniform(250, 600, 2), rng.uniform(5, 60)
        out.append(shapely.box(x, y, x + s, y + s))
    out.append(shapely.box(0, 0, 200, 200).difference(shapely.box(50, 50, 150, 150)))
    out.append(shapely.MultiPolygon([shapely.box(60, 60, 90, 90), shapely.box(700, 0, 800, 50)]))
    out += [shapely.box(400, 700, 430, 730)] * 2
    out.append(shapely.box(100, 100, 100, 300))  # no area
    return np.array(out, dtype=object)


ZONES = np.array(
    [
        shapely.box(-100, -100, 1300, 1300),
        shapely.Polygon([(0, 0), (640, 40), (530, 610), (60, 470)]),
        shapely.box(310, 295, 455, 1000),
        shapely.box(0, 0, 1000, 1000).difference(shapely.box(200, 200, 700, 700)),
        shapely.box(5000, 5000, 5100, 5100),
        None,
    ],
    dtype=object,
)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("bands", [1, 3, 8])
def test_the_unions_area_in_every_zone_is_the_plain_unions(seed: int, bands: int) -> None:
    polygons = _random_polygons(seed)
    want = _plain(polygons, ZONES[:-1])
    got = union_area_in_zones(polygons, ZONES, bands=bands)
    assert got[:-1] == pytest.approx(want, rel=REL, abs=0)
    assert got[-2] == 0.0 and got[-1] == 0.0 and want[0] > 0
    # the plain sum of the polygons' areas counts the shared areas twice
    assert shapely.area(polygons).sum() > want[0] * (1 + 1e-3)


def test_shared_area_is_counted_once() -> None:
    """Each overlap (a square given twice, strips crossing, a square inside another) once;
    squares that only touch are not merged into one window."""
    polygons = np.array(
        [
            shapely.box(0, 0, 10, 10),
            shapely.box(0, 0, 10, 10),
            shapely.box(20, 0, 30, 100),
            shapely.box(0, 40, 100, 50),
            shapely.box(60, 60, 90, 90),
            shapely.box(70, 70, 80, 80),
            shapely.box(90, 60, 95, 90),  # touches the square beside it
        ],
        dtype=object,
    )
    zones = np.array([shapely.box(-1, -1, 101, 101), shapely.box(25, 0, 100, 45)])
    windows = overlap_windows(polygons)
    assert len(windows.rects) == 3
    want = [100 + 1000 + 1000 - 100 + 900 + 150, 5 * 45 + 75 * 5 - 5 * 5]
    assert union_area_in_zones(polygons, zones) == pytest.approx(want, rel=REL, abs=0)


def test_outside_the_windows_no_two_polygons_share_area() -> None:
    polygons = _random_polygons(4)
    windows = overlap_windows(polygons)
    boxes = shapely.box(*windows.rects.T)
    i, j = shapely.STRtree(polygons).query(polygons, predicate="intersects")
    keep = i < j
    shared = shapely.union_all(shapely.intersection(polygons[i[keep]], polygons[j[keep]]))
    assert shapely.area(shared) > 100
    assert shapely.area(shapely.difference(shared, shapely.union_all(boxes))) < 1e-9
    # the windows' interiors do not meet
    assert shapely.STRtree(boxes).query(boxes, predicate="overlaps").size == 0


def test_windows_across_a_zone_boundary_are_measured_in_each_zone() -> None:
    """Strips crossing where a zone boundary runs through their overlap: the window is cut by
    the boundary, and each side gets its part of the union."""
    cross = [shapely.box(0, 45, 100, 55), shapely.box(45, 0, 55, 100)]
    polygons = np.array([*cross, shapely.box(47, 40, 53, 60)], dtype=object)
    zones = np.array(
        [
            shapely.box(0, 0, 50, 100),
            shapely.box(50, 0, 100, 100),
            shapely.Polygon([(0, 0), (100, 100), (0, 100)]),  # a diagonal through the window
        ]
    )
    windows = overlap_windows(polygons)
    assert len(windows.rects) == 1
    window = shapely.box(*windows.rects[0])
    assert all(shapely.intersects(z.boundary, window) for z in zones)
    got = union_area_in_zones(polygons, zones)
    assert got == pytest.approx(_plain(polygons, zones), rel=REL, abs=0)
    assert got[0] + got[1] == pytest.approx(1900 + 0.0, rel=REL)


def test_one_thread_and_two_threads_give_the_same_digits() -> None:
    polygons = np.concatenate([_random_polygons(seed) for seed in (5, 6)])
    with using_threads(1):
        one = union_area_in_zones(polygons, ZONES, bands=6)
    with using_threads(2):
        two = union_area_in_zones(polygons, ZONES, bands=6)
    assert np.array_equal(one, two)


def test_the_difference_takes_away_only_the_shared_area() -> None:
    polygons = _random_polygons(7)[:60]
    others = _random_polygons(8)[60:]
    got = difference_area_in_zones(polygons, others, ZONES[:-1])
    rest = shapely.difference(shapely.union_all(polygons), shapely.union_all(others))
    want = [shapely.area(shapely.intersection(rest, z)) for z in ZONES[:-1]]
    assert got == pytest.approx(want, rel=REL, abs=1e-9)
    assert 0 < got[0] < shapely.area(shapely.union_all(polygons))


def _built_unions_ratio(zones, green, land, params) -> pd.Series:  # type: ignore[no-untyped-def]
    """The measure with the tiled unions built, then intersected with the zones."""
    covers = green_space_covers(
        green,
        land,
        counted_classes=params["counted_classes"],
        other_green_classes=params["other_green_classes"],
        adjacency_tolerance_m=params.get("adjacency_tolerance_m", 1.0),
    )
    return covers_ratio(zones, covers, params.get("other_green_cap", 0.2))


def test_the_s_demo_citys_ratios_are_those_of_the_built_unions(demo_city: Path) -> None:
    from gardencity.assessment.inputs import AssessmentInputs
    from gardencity.io.workspace import Workspace
    from gardencity.standards import load_standard

    workspace = Workspace.open(demo_city)
    inputs = AssessmentInputs(workspace)
    spec = next(
        s
        for s in load_standard(workspace.config.city.standard).indicators
        if s.id == "green_space_ratio"
    )
    params = dict(spec.params)
    zones, green, land = (inputs.get(k) for k in ("zones", "green_spaces", "land_use"))
    new = green_space_ratio(zones, green, land, **params)
    old = _built_unions_ratio(zones, green, land, params)
    assert len(new) > 2
    assert new.to_numpy() == pytest.approx(old.to_numpy(), rel=REL, abs=0)
    for key in ("other_green_m2", "other_green_credited_m2"):
        assert list(new.attrs[key].values()) == pytest.approx(
            list(old.attrs[key].values()), rel=REL, abs=1e-9
        )


@pytest.mark.parametrize("seed", range(20))
def test_the_toolkits_components_are_scipys(seed: int) -> None:
    """The merging of windows groups boxes as scipy's connected components did, numbered
    alike once renumbered (the merged windows, and so the digits, are the same)."""
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    i, j = rng.integers(0, n, size=(2, int(rng.integers(0, 2 * n))))
    i, j = i[i < j], j[i < j]
    graph = coo_array((np.ones(len(i), dtype=np.int8), (i, j)), (n, n))
    count, labels = connected_components(graph, directed=False)
    smallest, found = np.unique(components(n, i, j), return_inverse=True)
    assert len(smallest) == count
    assert found.tolist() == labels.tolist()
