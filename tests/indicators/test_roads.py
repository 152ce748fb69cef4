from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from geopandas.testing import assert_geodataframe_equal
from pyproj import CRS

from gardencity.assessment.inputs import AssessmentInputs
from gardencity.indicators.roads import (
    road_green_compliance,
    road_shade_segments,
    shaded_road_coverage,
)
from gardencity.io.raster import Raster
from gardencity.io.workspace import Workspace
from gardencity.toolkit import (
    DEFAULT_RED_LINE_M,
    LineAxes,
    PixelMask,
    road_piece_axes,
    road_pieces,
    side_bins,
)

ZONES = gpd.GeoDataFrame(
    {"population": [1.0]},
    index=["built_up_area"],
    geometry=[shapely.box(-100, -100, 500, 100)],
    crs=4547,
)
ROAD = gpd.GeoDataFrame(
    {
        "grade": ["branch"],
        "red_line_width_m": [20.0],
        "sidewalk_width_m": [3.0],
        "bike_lane_width_m": [2.0],
        "name": ["支路"],
    },
    geometry=[shapely.LineString([(0, 0), (400, 0)])],
    crs=4547,
)


def test_each_side_and_100_m_segment_is_judged() -> None:
    crowns = gpd.GeoDataFrame(
        {"veg_type": ["tree", "tree"]},
        geometry=[
            shapely.box(0, 4, 200, 11),  # left band (5–10 m) of the first 200 m
            shapely.box(0, -11, 100, -4),
        ],  # right band of the first 100 m
        crs=4547,
    )
    value = shaded_road_coverage(ZONES, ROAD, vegetation=crowns, grades=["branch"])
    assert value["built_up_area"] == pytest.approx(3 / 8 * 100)
    segments = road_shade_segments(ZONES, ROAD, vegetation=crowns, grades=["branch"])
    assert len(segments) == 8 and segments["length_m"].sum() == pytest.approx(800)


def test_partial_shade_below_threshold_is_not_shaded() -> None:
    crowns = gpd.GeoDataFrame(
        {"veg_type": ["tree"]}, geometry=[shapely.box(0, 4, 400, 8)], crs=4547
    )  # covers ~60 % of the 5 m band
    assert (
        shaded_road_coverage(ZONES, ROAD, vegetation=crowns, grades=["branch"])["built_up_area"]
        == 0.0
    )


def test_raster_canopy_and_tree_points() -> None:
    grid = np.zeros((200, 600), dtype=np.uint8)
    grid[:, :] = 1  # every pixel tree
    raster = Raster(
        grid,
        Affine(1, 0, -100, 0, -1, 100),
        CRS.from_epsg(4547),
        255,
        {"tree": 1, "shrub": 2, "grass": 3},
    )
    assert shaded_road_coverage(ZONES, ROAD, canopy=raster, grades=["branch"])[
        "built_up_area"
    ] == pytest.approx(100)
    trees = gpd.GeoDataFrame(
        {"crown_radius_m": [np.nan]}, geometry=[shapely.Point(50, 7.5)], crs=4547
    )
    value = shaded_road_coverage(ZONES, ROAD, trees=trees, grades=["branch"])
    assert value["built_up_area"] == 0.0


def test_grades_outside_scope_are_ignored() -> None:
    arterial = ROAD.assign(grade="arterial")
    crowns = gpd.GeoDataFrame(
        {"veg_type": ["tree"]}, geometry=[shapely.box(0, -20, 400, 20)], crs=4547
    )
    value = shaded_road_coverage(ZONES, arterial, vegetation=crowns, grades=["branch"])
    assert np.isnan(value["built_up_area"])


def test_road_green_compliance_from_geometry_and_survey() -> None:
    roads = gpd.GeoDataFrame(
        {
            "grade": ["branch", "branch", "branch"],
            "red_line_width_m": [20.0, 20.0, np.nan],
            "green_ratio": [np.nan, 0.1, np.nan],
            "is_landscape_road": [False, False, False],
        },
        geometry=[
            shapely.LineString([(0, 0), (100, 0)]),
            shapely.LineString([(0, 50), (100, 50)]),
            shapely.LineString([(200, 0), (300, 0)]),
        ],
        crs=4547,
    )
    strip = gpd.GeoDataFrame(
        {"green_class": ["SG"]}, geometry=[shapely.box(0, -2.5, 100, 2.5)], crs=4547
    )  # 5 m of 20 m = 25 %
    rules = [
        {"min_width_m": 50, "min_ratio": 0.3},
        {"min_width_m": 40, "max_width_m": 50, "min_ratio": 0.25},
        {"min_width_m": 0, "max_width_m": 40, "min_ratio": 0.2},
    ]
    value = road_green_compliance(
        ZONES, roads, strip, ratio_rules=rules, landscape_road_min_ratio=0.4, grades=["branch"]
    )
    assert value["built_up_area"] == pytest.approx(50.0)
    assert value.attrs["excluded_m"]["built_up_area"] == pytest.approx(100.0)
    landscape = roads.assign(is_landscape_road=True)
    value = road_green_compliance(
        ZONES, landscape, strip, ratio_rules=rules, landscape_road_min_ratio=0.4, grades=["branch"]
    )
    assert value["built_up_area"] == 0.0


def test_line_axes_points_match_geos_interpolation() -> None:
    rng = np.random.default_rng(7)
    lines = []
    for _ in range(300):
        xy = np.cumsum(rng.normal(0, 30, (int(rng.integers(2, 12)), 2)), axis=0)
        xy += [480_000.0, 3_790_000.0]
        if len(xy) > 2:
            xy[1] = xy[0]  # a zero-length segment
        lines.append(shapely.LineString(xy))
    geoms = np.array(lines, dtype=object)
    length = shapely.length(geoms)
    owner = rng.integers(0, len(geoms), 20_000)
    distance = rng.uniform(0, 1, len(owner)) * length[owner]
    distance[:50] = 0.0
    distance[50:100] = length[owner[50:100]]  # the end, and beyond it
    distance[100:150] = 2 * length[owner[100:150]]
    vertex_of = rng.integers(0, 2, 200)  # exactly at a vertex
    heads = [
        shapely.LineString(shapely.get_coordinates(geoms[i])[: k + 2])
        for i, k in zip(owner[150:350], vertex_of, strict=True)
    ]
    distance[150:350] = shapely.length(np.array(heads, dtype=object))
    expected = shapely.get_coordinates(shapely.line_interpolate_point(geoms[owner], distance))
    assert np.array_equal(LineAxes(geoms).points(owner, distance), expected)


def test_road_on_a_district_boundary_counts_once_for_the_district_on_its_left() -> None:
    zones = gpd.GeoDataFrame(
        {"population": [1.0, 1.0]},
        index=["north", "south"],
        geometry=[shapely.box(-100, 0, 500, 100), shapely.box(-100, -100, 500, 0)],
        crs=4547,
    )
    crowns = gpd.GeoDataFrame(
        {"veg_type": ["tree"]}, geometry=[shapely.box(-100, -20, 500, 20)], crs=4547
    )
    value = shaded_road_coverage(zones, ROAD, vegetation=crowns, grades=["branch"])
    assert value["north"] == 100.0  # the road runs east: its left is north
    assert np.isnan(value["south"])
    segments = road_shade_segments(zones, ROAD, vegetation=crowns, grades=["branch"])
    assert set(segments["zone_id"]) == {"north"}
    assert segments["length_m"].sum() == pytest.approx(800)


def test_road_pieces_keep_the_boundary_pieces_road_piece_axes_keeps() -> None:
    zones = gpd.GeoDataFrame(
        {"population": [1.0, 1.0, 1.0]},
        index=["built_up_area", "north", "south"],
        geometry=[
            shapely.box(-100, -100, 500, 100),
            shapely.box(-100, 0, 500, 100),
            shapely.box(-100, -100, 500, 0),
        ],
        crs=4547,
    )
    roads = gpd.GeoDataFrame(
        {"grade": ["branch"] * 4},
        geometry=[
            shapely.LineString([(0, 0), (400, 0)]),  # on the boundary, heading east
            shapely.LineString([(300, 0), (100, 0), (50, 0)]),  # on it, heading west
            shapely.LineString([(0, 50), (400, 50)]),  # inside the north
            shapely.LineString([(0, -50), (200, 50)]),  # across it
        ],
        crs=4547,
    )
    pieces = road_pieces(roads, zones, ["branch"])
    with_axes, _ = road_piece_axes(roads, zones, ["branch"])
    assert_geodataframe_equal(pieces, with_axes)
    on_boundary = pieces[pieces["source"] < 2]
    assert sorted(zip(on_boundary["zone_id"], on_boundary["source"], strict=True)) == [
        ("built_up_area", 0),
        ("built_up_area", 1),
        ("north", 0),
        ("south", 1),
        ("south", 1),  # cut in two at its middle vertex
    ]


def test_both_sides_of_a_segment_lie_on_the_same_piece_of_the_axis() -> None:
    road = ROAD.set_geometry([shapely.LineString([(0, 0), (150, 0), (150, 90), (400, 95)])])
    crowns = gpd.GeoDataFrame(
        {"veg_type": ["tree"]}, geometry=[shapely.box(0, -20, 160, 20)], crs=4547
    )
    segments = road_shade_segments(ZONES, road, vegetation=crowns, grades=["branch"])
    assert segments["side"].tolist() == ["right", "left"] * 5
    geoms = segments.geometry.to_numpy()
    assert shapely.equals_exact(geoms[0::2], geoms[1::2], tolerance=0.0).all()
    axis = road.geometry.iloc[0]
    starts = np.repeat(np.arange(0.0, shapely.length(axis), 100.0), 2)
    expected = shapely.line_interpolate_point(axis, starts)
    firsts = shapely.get_point(segments.geometry.to_numpy(), 0)
    assert np.allclose(shapely.get_coordinates(firsts), shapely.get_coordinates(expected))
    assert np.allclose(shapely.length(segments.geometry.to_numpy()), segments["length_m"])


def test_sample_counts_on_both_sides_with_mapped_slow_lanes() -> None:
    """The right side's samples mirror the left's: a band mapped on one side only, under a
    crown covering both, is counted on that side alone."""
    lanes = gpd.GeoDataFrame(geometry=[shapely.box(0, -10, 400, -4)], crs=4547)  # right only
    crowns = gpd.GeoDataFrame(
        {"veg_type": ["tree"]}, geometry=[shapely.box(0, -12, 100, 12)], crs=4547
    )
    segments = road_shade_segments(
        ZONES, ROAD, vegetation=crowns, slow_lanes=lanes, grades=["branch"]
    )
    assert set(segments["side"]) == {"right"}
    assert segments["is_shaded"].tolist() == [True, False, False, False]


def test_slow_lanes_away_from_the_roads_leave_no_segment() -> None:
    lanes = gpd.GeoDataFrame(geometry=[shapely.box(0, 60, 400, 70)], crs=4547)
    crowns = gpd.GeoDataFrame({"veg_type": ["tree"]}, geometry=[shapely.box(0, 0, 9, 9)], crs=4547)
    segments = road_shade_segments(
        ZONES, ROAD, vegetation=crowns, slow_lanes=lanes, grades=["branch"]
    )
    assert segments.empty and list(segments.geometry) == []


def _side_bins_line_by_line(
    lines: np.ndarray,
    inner: np.ndarray,
    outer: np.ndarray,
    step: float,
    covered: Any,
    within: Any,
) -> pd.DataFrame:
    """The reference: each line on its own, its sample points placed by GEOS's
    interpolation, every sample tested and counted in its 100 m bin and side."""
    counts: dict[tuple[int, int, int], list[int]] = {}
    for i, line in enumerate(lines):
        length = shapely.length(line)
        n = max(1, int(np.ceil(length / step)))
        along = (np.arange(n) + 0.5) * (length / n)
        eps = min(0.5, length / 4)
        cx, cy = shapely.get_coordinates(shapely.line_interpolate_point(line, along)).T
        ax, ay = shapely.get_coordinates(
            shapely.line_interpolate_point(line, np.minimum(along + eps, length))
        ).T
        bx, by = shapely.get_coordinates(
            shapely.line_interpolate_point(line, np.maximum(along - eps, 0.0))
        ).T
        dx, dy = ax - bx, ay - by
        norm = np.hypot(dx, dy)
        norm[norm == 0] = 1.0
        nx, ny = -dy / norm, dx / norm
        bins = (along // 100.0).astype(np.int64)
        for j in range(3):
            offset = inner[i] + (j + 0.5) / 3 * (outer[i] - inner[i])
            for side in (1, -1):
                if side > 0:
                    x, y = cx + offset * nx, cy + offset * ny
                else:
                    x, y = cx - offset * nx, cy - offset * ny
                keep = within(x, y)
                hit = covered(x, y) & keep
                for b, k, h in zip(bins, keep, hit, strict=True):
                    row = counts.setdefault((i, int(b), side), [0, 0])
                    row[0] += int(k)
                    row[1] += int(h)
    rows = sorted((key, c) for key, c in counts.items() if c[0] > 0)
    return pd.DataFrame(
        [(*key, *c) for key, c in rows], columns=["line", "bin", "side", "samples", "hits"]
    )


@pytest.mark.parametrize("threads", [1, 2])
def test_side_bins_count_every_sample_as_each_line_on_its_own_does(
    demo_city: Path, threads: int
) -> None:
    """The demo city's roads and canopy: the bins counted for all lines at once, a few
    hundred steps at a time, equal those of each line walked on its own, sample by sample
    (with and without samples left out)."""
    inputs = AssessmentInputs(Workspace.open(demo_city))
    zones, canopy = inputs.get("zones"), inputs.get("canopy")
    pieces = road_pieces(inputs.get("roads"), zones, ["secondary", "branch"]).iloc[:400]
    lines = pieces.geometry.to_numpy()
    outer = pieces["grade"].map(DEFAULT_RED_LINE_M).to_numpy(dtype=float) / 2
    inner = np.maximum(outer - 5.5, 0.0)
    covered = PixelMask(canopy, 1).at_xy
    step = abs(canopy.transform.a)

    def off_every_third_metre(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.floor(x) % 3 != 0

    for within in (None, off_every_third_metre):
        bins = side_bins(
            LineAxes(lines), pieces["length_m"].to_numpy(), inner, outer, step_m=step,
            segment_length_m=100.0, across=3, covered=covered, within=within, chunk=500,
            threads=threads,
        )  # fmt: skip
        expected = _side_bins_line_by_line(
            lines, inner, outer, step, covered, within or (lambda x, y: np.ones(len(x), bool))
        )
        assert len(expected) > 1000
        pd.testing.assert_frame_equal(bins, expected)


def test_axes_of_the_kept_road_pieces_equal_axes_built_from_them(demo_city: Path) -> None:
    """The axes that placed the boundary probes, cut down to the pieces kept, are those
    built afresh from the kept pieces: every vertex, distance and search key, so every point."""
    inputs = AssessmentInputs(Workspace.open(demo_city))
    grades = ["arterial", "secondary", "branch"]
    pieces, axes = road_piece_axes(inputs.get("roads"), inputs.get("zones"), grades)
    lines = pieces.geometry.to_numpy()
    fresh = LineAxes(lines)
    assert len(pieces) > 100
    assert_geodataframe_equal(pieces, road_pieces(inputs.get("roads"), inputs.get("zones"), grades))
    for name in ("xy", "x", "y", "first", "last", "cum", "base", "key"):
        assert np.array_equal(getattr(axes, name), getattr(fresh, name)), name
    starts = np.ones(len(fresh.x), dtype=bool)
    starts[fresh.last] = False  # where a segment starts
    for name in ("dx", "dy"):
        assert np.array_equal(getattr(axes, name)[starts], getattr(fresh, name)[starts]), name
    assert np.array_equal(axes.seg[starts[:-1]], fresh.seg[starts[:-1]])
    rng = np.random.default_rng(5)
    line = rng.integers(0, len(lines), 50_000)
    distance = rng.uniform(0, 1.1, len(line)) * pieces["length_m"].to_numpy()[line]
    assert np.array_equal(axes.points(line, distance), fresh.points(line, distance))


def test_corridors_measured_in_parts_give_what_one_call_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gardencity.indicators import road_corridors, roads

    rng = np.random.default_rng(5)
    starts = rng.uniform(0, 2000, (60, 2))
    heading = rng.uniform(0, 2 * np.pi, 60)[:, None] + np.cumsum(rng.normal(0, 0.1, (60, 6)), 1)
    steps = 30.0 * np.stack([np.cos(heading), np.sin(heading)], axis=2)
    lines = shapely.linestrings(np.concatenate([starts[:, None], starts[:, None] + steps], 1))
    lines[:10] = [shapely.LineString([(0, 60 * k), (150, 60 * k)]) for k in range(10)]
    width = rng.choice([16.0, 32.0, 50.0], 60)
    roads_frame = gpd.GeoDataFrame(
        {"grade": ["branch"] * 60, "red_line_width_m": width}, geometry=lines, crs=4547
    )
    # strips of 5 % to 45 % of the red line; on the straight roads exactly the 20 % asked for
    share = np.where(np.arange(60) < 10, 0.2, rng.uniform(0.05, 0.45, 60))
    strips = shapely.buffer(lines, width * share / 2.0, cap_style="flat")
    green = gpd.GeoDataFrame({"green_class": ["SG"] * 60}, geometry=strips, crs=4547)
    zones = gpd.GeoDataFrame(
        {"population": [1.0, 1.0]},
        index=["built_up_area", "d1"],
        geometry=[shapely.box(-500, -500, 2500, 2500), shapely.box(-500, -500, 1000, 2500)],
        crs=4547,
    )
    params: dict[str, Any] = {
        "ratio_rules": [{"min_width_m": 0, "min_ratio": 0.2}],
        "landscape_road_min_ratio": 0.4,
        "grades": ["branch"],
    }
    monkeypatch.setattr(road_corridors, "CORRIDOR_PARTS", 1)
    whole = roads.road_green_segments(zones, roads_frame, green, **params)
    monkeypatch.setattr(road_corridors, "CORRIDOR_PARTS", 7)
    parts = roads.road_green_segments(zones, roads_frame, green, **params)
    pd.testing.assert_frame_equal(
        parts.drop(columns="geometry"), whole.drop(columns="geometry"), check_exact=True
    )
    wkb = [shapely.to_wkb(frame.geometry.to_numpy()) for frame in (parts, whole)]
    assert (wkb[0] == wkb[1]).all()
    ratio = whole["green_ratio"].to_numpy()
    assert np.isnan(ratio).any() and np.isfinite(ratio).any()  # settled and measured
    assert whole["compliant"].any() and not whole["compliant"].all()
