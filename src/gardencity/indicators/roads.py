"""Road measures: 城市林荫路覆盖率 and 城市道路绿地达标率."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gardencity.errors import DataError
from gardencity.indicators.registry import Chart, Diagnostic, Family, GapFigure
from gardencity.indicators.road_corridors import corridor_green_ratio
from gardencity.io.raster import Raster
from gardencity.io.threads import helper_executor
from gardencity.messages import Catalogue
from gardencity.toolkit import (
    CITY_ZONE,
    DEFAULT_RED_LINE_M,
    LineAxes,
    PixelMask,
    RunContext,
    district_of,
    per_zone,
    ratio_result,
    remainder,
    require_columns,
    require_raster_crs,
    require_same_crs,
    road_piece_axes,
    road_pieces,
    shared,
    side_bins,
)
from gardencity.toolkit.overlap import in_threads, work_threads

__all__ = [
    "CORRIDOR_TILE_M",
    "FAMILY",
    "road_green_compliance",
    "road_green_segments",
    "road_shade_segments",
    "shade_layers",
    "shade_ratio",
    "shade_result",
    "shaded_road_coverage",
    "unshaded_km",
]
MESSAGES = Catalogue(__package__)


def _tree_lookup(
    zones: gpd.GeoDataFrame,
    canopy: Raster | None,
    vegetation: gpd.GeoDataFrame | None,
    trees: gpd.GeoDataFrame | None,
) -> tuple[Any, float]:
    """A function (x, y) -> bool "under a tree crown", and the natural sampling step."""
    if canopy is not None:
        require_raster_crs(canopy, zones, "canopy")
        tree_value = (canopy.classes or {"tree": 1}).get("tree", 1)
        return PixelMask(canopy, tree_value).at_xy, max(abs(canopy.transform.a), 1.0)
    crowns: list[Any] = []
    if vegetation is not None and "veg_type" in vegetation:
        crowns.extend(vegetation[vegetation["veg_type"] == "tree"].geometry.to_numpy())
    if trees is not None and len(trees):
        radius = trees.get("crown_radius_m", pd.Series(3.0, index=trees.index)).fillna(3.0)
        crowns.extend(shapely.buffer(trees.geometry.to_numpy(), radius.to_numpy()))
    if not crowns:
        raise DataError(MESSAGES.message("no_tree_canopy"))
    union = shapely.union_all(np.asarray(crowns, dtype=object))
    shapely.prepare(union)

    def in_vector(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> Any:
        return shapely.contains_xy(union, x, y)

    return in_vector, 1.0


def road_shade_segments(
    zones: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    canopy: Raster | None = None,
    vegetation: gpd.GeoDataFrame | None = None,
    trees: gpd.GeoDataFrame | None = None,
    slow_lanes: gpd.GeoDataFrame | None = None,
    *,
    grades: Sequence[str],
    shade_threshold: float = 0.9,
    segment_length_m: float = 100.0,
    default_sidewalk_width_m: float = 3.0,
    default_bike_lane_width_m: float = 2.5,
) -> gpd.GeoDataFrame:
    """Every side-segment of the evaluated roads with its canopy fraction and ``is_shaded``
    (the measure and its diagnostic layers share it within a run)."""
    require_same_crs(
        zones=zones, roads=roads, vegetation=vegetation, trees=trees, slow_lanes=slow_lanes
    )
    require_columns(roads, ["grade"], "roads")
    # the crown look-up (raster reads, or a union of crowns) is built while the roads are cut
    with helper_executor() as pool:
        lookup = pool.submit(_tree_lookup, zones, canopy, vegetation, trees)
        pieces, axes = road_piece_axes(roads, zones, list(grades))
        in_crown, step = lookup.result()
    columns = ["zone_id", "grade", "name", "side", "length_m", "canopy_fraction", "is_shaded"]
    if pieces.empty:
        return gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs=zones.crs)
    inner, outer, across, within = _slow_lane_bands(
        pieces, slow_lanes, default_sidewalk_width_m, default_bike_lane_width_m
    )
    line_len = pieces["length_m"].to_numpy()
    stats = side_bins(
        axes,
        line_len,
        inner,
        outer,
        step_m=step,
        segment_length_m=segment_length_m,
        across=across,
        covered=in_crown,
        within=within,
        # the canopy raster's look-ups are plain numpy: the work's threads (GEOS tests on one)
        threads=work_threads() if canopy is not None and within is None else 1,
    )
    line = stats["line"].to_numpy()
    bin_start = stats["bin"].to_numpy() * segment_length_m
    length = np.minimum(bin_start + segment_length_m, line_len[line]) - bin_start
    fraction = stats["hits"].to_numpy() / stats["samples"].to_numpy()
    geometry = _segment_lines(axes, line, bin_start, length)
    return gpd.GeoDataFrame(
        {
            "zone_id": pieces["zone_id"].to_numpy()[line],
            "grade": pieces["grade"].to_numpy()[line],
            "name": pieces.get("name", pd.Series(None, index=pieces.index)).to_numpy()[line],
            "side": np.where(stats["side"].to_numpy() > 0, "left", "right"),
            "length_m": length,
            "canopy_fraction": fraction,
            "is_shaded": fraction >= shade_threshold,
        },
        geometry=geometry,
        crs=zones.crs,
    )


def _segment_lines(
    axes: LineAxes,
    line: npt.NDArray[np.int64],
    start: npt.NDArray[np.float64],
    length: npt.NDArray[np.float64],
) -> npt.NDArray[np.object_]:
    """The axis of each side-segment (rows ordered by line, then bin, then side): both sides
    of a bin share one LineString, cut once."""
    new_bin = np.ones(len(line), dtype=bool)
    new_bin[1:] = (line[1:] != line[:-1]) | (start[1:] != start[:-1])
    first = np.flatnonzero(new_bin)
    cuts = np.empty(len(first), dtype=object)
    line, start, end = line[first], start[first], (start + length)[first]

    def cut(rows: slice) -> None:  # each segment on its own: the same lines on two threads
        cuts[rows] = axes.substrings(line[rows], start[rows], end[rows])

    in_threads(cut, len(first), chunk=1 << 15)
    out: npt.NDArray[np.object_] = cuts[np.cumsum(new_bin) - 1]
    return out


def _slow_lane_bands(
    pieces: gpd.GeoDataFrame,
    slow_lanes: gpd.GeoDataFrame | None,
    default_sidewalk_width_m: float,
    default_bike_lane_width_m: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int, Any]:
    """Where to sample each road piece: the band from ``inner`` to ``outer`` metres off the
    axis (sidewalk + bike lane inside the red line, or the whole half-width where slow lanes
    are mapped), the number of sample lines across it, and the test "inside a mapped slow
    lane" (None without mapped lanes)."""
    red = pieces.get("red_line_width_m", pd.Series(np.nan, index=pieces.index)).to_numpy(
        dtype=float, copy=True
    )
    red = np.where(
        np.isnan(red), pieces["grade"].map(DEFAULT_RED_LINE_M).to_numpy(dtype=float, copy=True), red
    )
    walk = pieces.get("sidewalk_width_m", pd.Series(np.nan, index=pieces.index)).to_numpy(
        dtype=float, copy=True
    )
    bike = pieces.get("bike_lane_width_m", pd.Series(np.nan, index=pieces.index)).to_numpy(
        dtype=float, copy=True
    )
    slow = np.nan_to_num(walk, nan=default_sidewalk_width_m) + np.nan_to_num(
        bike, nan=default_bike_lane_width_m
    )
    outer = red / 2.0
    inner = np.maximum(outer - slow, 0.0)
    across = 3
    within = None
    if slow_lanes is not None and len(slow_lanes):
        inner = np.zeros_like(outer)
        across = 8
        lanes = shapely.union_all(slow_lanes.geometry.to_numpy())
        shapely.prepare(lanes)

        def within(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> Any:
            return shapely.contains_xy(lanes, x, y)

    return inner, outer, across, within


def shaded_road_coverage(
    zones: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    canopy: Raster | None = None,
    vegetation: gpd.GeoDataFrame | None = None,
    trees: gpd.GeoDataFrame | None = None,
    slow_lanes: gpd.GeoDataFrame | None = None,
    run: RunContext | None = None,
    *,
    grades: Sequence[str],
    shade_threshold: float = 0.9,
    segment_length_m: float = 100.0,
    default_sidewalk_width_m: float = 3.0,
    default_bike_lane_width_m: float = 2.5,
) -> pd.Series:
    """城市林荫路覆盖率: share of sidewalk/bike-lane length that is shaded by tree crowns.

    Each road of ``grades`` is cut into ``segment_length_m`` pieces per side; a side-segment's
    slow-lane band (from the red-line edge inwards by sidewalk + bike-lane width, or the
    mapped ``slow_lanes``) is sampled on a grid (pixel-size steps along the road, 3 lines
    across); it is shaded when the tree-covered share of the samples reaches
    ``shade_threshold``. Formula: ``100 × Σ length(shaded) / Σ length``. Clause: 国家生态园林城市
    2022 林荫路 definition (S2): 次干路 + 支路, sidewalk and bike lane with ≥ 90 % green cover.

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame({"population": [1.0]}, index=["built_up_area"],
    ...     geometry=[shapely.box(-50, -50, 250, 50)], crs=4547)
    >>> road = gpd.GeoDataFrame({"grade": ["branch"], "red_line_width_m": [20.0],
    ...     "sidewalk_width_m": [3.0], "bike_lane_width_m": [2.0]},
    ...     geometry=[shapely.LineString([(0, 0), (200, 0)])], crs=4547)
    >>> crowns = gpd.GeoDataFrame({"veg_type": ["tree"]},
    ...     geometry=[shapely.box(0, 0, 100, 12)], crs=4547)   # left side, first 100 m
    >>> float(shaded_road_coverage(zones, road, vegetation=crowns,
    ...     grades=["branch"]).iloc[0])
    25.0
    """
    segments = shared(
        run,
        road_shade_segments,
        zones,
        roads,
        canopy,
        vegetation,
        trees,
        slow_lanes,
        grades=grades,
        shade_threshold=shade_threshold,
        segment_length_m=segment_length_m,
        default_sidewalk_width_m=default_sidewalk_width_m,
        default_bike_lane_width_m=default_bike_lane_width_m,
    )
    return shade_result(segments, zones)


def shade_result(segments: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.Series:
    """The coverage per zone from side-segments (``zone_id``, ``length_m``, ``is_shaded``)."""
    zone_ids = segments["zone_id"].to_numpy()
    length = segments["length_m"].to_numpy(dtype=float, copy=True)
    shaded = per_zone(np.where(segments["is_shaded"].to_numpy(bool), length, 0.0), zone_ids, zones)
    return shade_ratio(shaded, per_zone(length, zone_ids, zones))


def shade_ratio(shaded_m: pd.Series, total_m: pd.Series) -> pd.Series:
    """100 × shaded length ÷ evaluated length, per zone."""
    return ratio_result(
        shaded_m,
        total_m,
        name="shaded_road_coverage",
        numerator_unit="m",
        denominator_unit="m",
    )


def _required_ratio(
    width: npt.NDArray[np.float64],
    landscape: npt.NDArray[np.bool_],
    rules: Sequence[Mapping[str, Any]],
    landscape_ratio: float,
) -> npt.NDArray[np.float64]:
    required = np.full(len(width), np.nan)
    for rule in reversed(list(rules)):
        lo = float(rule.get("min_width_m", 0.0))
        hi = rule.get("max_width_m")
        hit = (width > lo) & (width <= (float(hi) if hi is not None else np.inf))
        if lo == 0.0:
            hit |= width == 0.0
        required = np.where(hit, float(rule["min_ratio"]), required)
    return np.where(landscape, np.maximum(np.nan_to_num(required), landscape_ratio), required)


# Tile of the green cover for road corridors: small tiles keep each corridor's overlays small
# (a 2 km tile's union has thousands of vertices that every corridor intersection walks).
CORRIDOR_TILE_M = 300.0


def road_green_segments(
    zones: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame | None = None,
    *,
    ratio_rules: Sequence[Mapping[str, Any]],
    landscape_road_min_ratio: float,
    grades: Sequence[str],
) -> gpd.GeoDataFrame:
    """Road pieces with ``green_ratio`` (surveyed or computed; NaN where bounds on the green
    area alone settled the piece's compliance), ``required_ratio`` and ``compliant``."""
    require_same_crs(zones=zones, roads=roads, green_spaces=green_spaces)
    pieces = road_pieces(roads, zones, list(grades))
    width = pieces.get("red_line_width_m", pd.Series(np.nan, index=pieces.index)).to_numpy(
        dtype=float, copy=True
    )
    landscape = (
        pieces.get("is_landscape_road", pd.Series(False, index=pieces.index))
        .fillna(False)
        .to_numpy(bool)
    )
    ratio = pieces.get("green_ratio", pd.Series(np.nan, index=pieces.index)).to_numpy(
        dtype=float, copy=True
    )
    required = _required_ratio(
        np.nan_to_num(width, nan=-1.0), landscape, ratio_rules, landscape_road_min_ratio
    )
    required[np.isnan(width)] = np.nan
    todo = np.isnan(ratio) & ~np.isnan(width)
    # where bounds on the green area settled compliance, the ratio is not computed (NaN)
    settled, passes = np.zeros(len(pieces), dtype=bool), np.zeros(len(pieces), dtype=bool)
    if todo.any() and green_spaces is not None and len(green_spaces):
        ratio[todo], settled[todo], passes[todo] = corridor_green_ratio(
            pieces.geometry.to_numpy()[todo],
            width[todo],
            required[todo],
            green_spaces.geometry.to_numpy(),
        )
    elif todo.any():
        ratio[todo] = 0.0
    out = pieces[["zone_id", "grade", "length_m", "geometry"]].copy()
    out["red_line_width_m"] = width
    out["green_ratio"] = ratio
    out["required_ratio"] = required
    out["evaluated"] = ~np.isnan(width)
    out["compliant"] = np.where(settled, passes, out["evaluated"] & (ratio >= required - 1e-12))
    return out


def road_green_compliance(
    zones: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame | None = None,
    run: RunContext | None = None,
    *,
    ratio_rules: Sequence[Mapping[str, Any]],
    landscape_road_min_ratio: float,
    grades: Sequence[str],
) -> pd.Series:
    """城市道路绿地达标率: share of road length whose green ratio meets CJJ 75-97.

    The required ratio follows the red-line width (``ratio_rules``; landscape roads at least
    ``landscape_road_min_ratio``); the actual ratio is the surveyed ``green_ratio`` or the
    green-space area inside the red-line corridor ÷ corridor area. Roads without a red-line
    width are not evaluated (their length is in ``attrs["excluded_m"]``). Formula:
    ``100 × Σ length(compliant) / Σ length(evaluated)``. Clause: CJJ 75-97 (S45).

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame({"population": [1.0]}, index=["built_up_area"],
    ...     geometry=[shapely.box(-50, -50, 350, 50)], crs=4547)
    >>> roads = gpd.GeoDataFrame({"grade": ["branch", "branch"], "red_line_width_m": [20.0, 20.0],
    ...     "green_ratio": [0.25, 0.1]}, geometry=[shapely.LineString([(0, 0), (100, 0)]),
    ...     shapely.LineString([(100, 0), (300, 0)])], crs=4547)
    >>> v = road_green_compliance(zones, roads, ratio_rules=[{"min_width_m": 0,
    ...     "min_ratio": 0.2}], landscape_road_min_ratio=0.4, grades=["branch"])
    >>> round(float(v.iloc[0]), 4)
    33.3333
    """
    # computed once in the run: the what-if engine follows these segments through edits
    segments = shared(
        run,
        road_green_segments,
        zones,
        roads,
        green_spaces,
        ratio_rules=ratio_rules,
        landscape_road_min_ratio=landscape_road_min_ratio,
        grades=grades,
    )
    zone_ids = segments["zone_id"].to_numpy()
    length = segments["length_m"].to_numpy(dtype=float, copy=True)
    evaluated = segments["evaluated"].to_numpy(bool)
    ok = per_zone(np.where(segments["compliant"].to_numpy(bool), length, 0.0), zone_ids, zones)
    result = ratio_result(
        ok,
        per_zone(np.where(evaluated, length, 0.0), zone_ids, zones),
        name="road_green_compliance",
        numerator_unit="m",
        denominator_unit="m",
    )
    result.attrs["excluded_m"] = per_zone(
        np.where(evaluated, 0.0, length), zone_ids, zones
    ).to_dict()
    return result


# --- diagnostic layers and shortfall figures ------------------------------------------------


def shade_layers(
    zones: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    canopy: Raster | None = None,
    vegetation: gpd.GeoDataFrame | None = None,
    trees: gpd.GeoDataFrame | None = None,
    slow_lanes: gpd.GeoDataFrame | None = None,
    run: RunContext | None = None,
    *,
    grades: Sequence[str],
    shade_threshold: float = 0.9,
    segment_length_m: float = 100.0,
    default_sidewalk_width_m: float = 3.0,
    default_bike_lane_width_m: float = 2.5,
) -> dict[str, gpd.GeoDataFrame]:
    """Where :func:`shaded_road_coverage` falls short: the city's side-segments with their
    canopy fraction (``road_shade_segments``) and those not shaded
    (``unshaded_road_segments``), each with its district."""
    segments = shared(  # all zones, as the measure asks: computed once in the run
        run,
        road_shade_segments,
        zones,
        roads,
        canopy,
        vegetation,
        trees,
        slow_lanes,
        grades=grades,
        shade_threshold=shade_threshold,
        segment_length_m=segment_length_m,
        default_sidewalk_width_m=default_sidewalk_width_m,
        default_bike_lane_width_m=default_bike_lane_width_m,
    )
    segments = segments[segments["zone_id"].to_numpy() == CITY_ZONE].drop(columns=["zone_id"])
    segments = segments.reset_index(drop=True)
    segments["zone_id"] = district_of(segments, zones)
    unshaded = segments[~segments["is_shaded"].astype(bool)].reset_index(drop=True)
    return {"road_shade_segments": segments, "unshaded_road_segments": unshaded}


def unshaded_km(series: pd.Series, gap_unit: str) -> float | None:
    """The city's unshaded slow-lane length in km (a shortfall figure)."""
    if series.attrs.get("numerator_unit") != "m":
        return None
    rest = remainder(series)
    return None if rest is None else rest * 1e-3


FAMILY = Family(
    name="roads",
    measures=(shaded_road_coverage, road_green_compliance),
    diagnostics=(
        Diagnostic(
            "shaded_road_coverage",
            ("road_shade_segments", "unshaded_road_segments"),
            shade_layers,
        ),
    ),
    gap_figures=(GapFigure("shaded_road_coverage", "unshaded_km", unshaded_km),),
    charts=(Chart("shaded_road_coverage"),),
)
