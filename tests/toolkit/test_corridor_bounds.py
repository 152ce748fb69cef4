"""Road corridors settled as more or less covered than a threshold without an overlay
(toolkit/corridor_bounds.py), checked against the overlay."""

import numpy as np
import shapely

from gardencity.toolkit import corridor_cover_settled, red_line_corridors

ORIGIN = np.array([480_000.0, 3_790_000.0])  # coordinates as large as a real CRS gives


def _city(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gently bent roads, their corridors, and green: strips along some of the roads (partly
    beyond them), boxes with holes, overlapping boxes and two-part polygons."""
    rng = np.random.default_rng(seed)
    n = 150
    starts = rng.uniform(0, 3000, (n, 2)) + ORIGIN
    heading = rng.uniform(0, 2 * np.pi, n)[:, None] + np.cumsum(rng.normal(0, 0.05, (n, 8)), 1)
    steps = 25.0 * np.stack([np.cos(heading), np.sin(heading)], axis=2)
    lines = shapely.linestrings(
        np.concatenate([starts[:, None], starts[:, None] + np.cumsum(steps, 1)], 1)
    )
    half = rng.uniform(5, 30, n)
    corridors = shapely.buffer(lines, half, cap_style="flat")
    strips = shapely.buffer(
        shapely.segmentize(lines[::2], 10.0), half[::2] * rng.uniform(0.1, 0.6, n // 2 + n % 2)
    )
    xy = rng.uniform(0, 3200, (300, 2)) + ORIGIN
    boxes = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 60, xy[:, 1] + 45)
    holed = shapely.difference(boxes[:100], shapely.buffer(shapely.centroid(boxes[:100]), 10.0))
    pairs = shapely.multipolygons(
        np.stack([boxes[100:150], shapely.transform(boxes[100:150], lambda c: c + 100.0)], 1)
    )
    green = np.concatenate([strips, holed, boxes[150:], pairs, [shapely.Polygon()]])
    return lines, half, corridors, green


def test_settled_corridors_agree_with_the_overlay() -> None:
    settled = 0
    for seed in (3, 19):
        lines, half, corridors, green = _city(seed)
        covered = shapely.area(shapely.intersection(corridors, shapely.union_all(green)))
        share = covered / shapely.area(corridors)
        for threshold in (0.05, 0.2, 0.4):
            need = threshold * shapely.area(corridors)
            verdict = corridor_cover_settled(lines, half, corridors, green, need, need)
            assert (covered[verdict == 1] >= need[verdict == 1]).all()
            assert (covered[verdict == -1] < need[verdict == -1]).all()
            far = np.abs(share - threshold) > 0.1
            settled += int((verdict[far] != 0).sum())
            assert (verdict[far] != 0).mean() > 0.5  # the bounds settle most clear cases
    assert settled > 0


def test_a_corridor_resting_on_an_invalid_polygon_is_not_settled() -> None:
    line = np.array([shapely.LineString([(0, 0), (100, 0)])])
    corridor = shapely.buffer(line, 10.0, cap_style="flat")
    bow_tie = shapely.Polygon([(0, -5), (100, 5), (100, -5), (0, 5)])  # crosses itself
    strip = shapely.box(0, -5, 100, 5)  # half the corridor

    def settle(green: shapely.Geometry, share: float) -> int:
        need = np.array([share * 2000.0])
        return int(corridor_cover_settled(line, np.array([10.0]), corridor, green, need, need)[0])

    assert settle(np.array([strip]), 0.4) == 1
    assert settle(np.array([bow_tie]), 0.4) == 0
    assert settle(np.array([strip]), 0.6) == -1
    assert settle(np.array([bow_tie]), 0.6) == 0
    assert settle(np.array([shapely.Polygon()]), 0.4) == -1


def test_corridors_no_polygon_reaches_are_settled_as_short() -> None:
    """Green spaces that all lie away from the roads (a city's centre extract) leave every
    corridor without a polygon beside it: each one surely falls short, without a warning."""
    lines = np.array(
        [shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(0, 50), (80, 90)])]
    )
    corridors = shapely.buffer(lines, 10.0, cap_style="flat")
    far = np.array([shapely.box(5000, 5000, 5100, 5100)])
    need = 0.2 * shapely.area(corridors)
    verdict = corridor_cover_settled(lines, np.array([10.0, 10.0]), corridors, far, need, need)
    assert verdict.tolist() == [-1, -1]


def test_a_corridor_is_settled_by_any_of_its_polygons_not_only_the_likeliest() -> None:
    """The polygons are tried from the largest overlap of boxes down: frames around the
    corridor (the largest overlaps, none of them inside) settle nothing, the strip after
    them does, second or third in line."""
    line = np.array([shapely.LineString([(0, 0), (100, 0)])])
    corridor = shapely.buffer(line, 10.0, cap_style="flat")
    frame = shapely.difference(shapely.box(-10, -50, 110, 50), shapely.box(-5, -45, 105, 45))
    wider = shapely.difference(shapely.box(-20, -60, 120, 60), shapely.box(-15, -55, 115, 55))
    strip, small = shapely.box(0, -5, 100, 5), shapely.box(0, -2, 50, 2)

    def settle(*green: shapely.Geometry) -> int:
        need = np.array([0.4 * 2000.0])
        return int(corridor_cover_settled(line, np.array([10.0]), corridor, green, need, need)[0])

    assert settle(frame) == -1
    assert settle(frame, strip) == 1
    assert settle(frame, small, wider, strip) == 1
    assert settle(frame, small, wider) == -1


def test_corridors_are_shared_by_equal_lines_of_equal_width_whether_one_object_or_two() -> None:
    line = shapely.LineString([(0, 0), (50, 10), (90, 0)])
    twin = shapely.from_wkb(shapely.to_wkb(line))  # equal, another object
    other = shapely.LineString([(0, 0), (50, 10)])
    lines = np.array([other, line, twin, line, other, line], dtype=object)
    widths = np.array([8.0, 8.0, 8.0, 6.0, 8.0, 8.0])
    corridors, first, of = red_line_corridors(lines, widths)
    assert first.tolist() == [0, 1, 3]
    assert of.tolist() == [0, 1, 1, 2, 0, 1]
    expected = shapely.buffer(lines[first], widths[first] / 2.0, cap_style="flat")
    assert all(shapely.equals_exact(corridors, expected, tolerance=0.0))


def test_a_bent_road_among_straight_ones_leaves_the_others_settled() -> None:
    # the bent corridor has no inner rectangle along its chord: the others keep their own
    lines = np.array(
        [
            shapely.LineString([(0, 0), (100, 0)]),
            shapely.LineString([(0, 0), (100, 100), (200, 0)]),
            shapely.LineString([(0, 50), (100, 50)]),
        ]
    )
    half = np.full(3, 10.0)
    corridors = shapely.buffer(lines, half, cap_style="flat")
    green = shapely.buffer(lines, 9.0, cap_style="flat")
    need = 0.5 * shapely.area(corridors)
    verdict = corridor_cover_settled(lines, half, corridors, green, need, need)
    assert verdict[[0, 2]].tolist() == [1, 1]
    covered = shapely.area(shapely.intersection(corridors, shapely.union_all(green)))
    assert verdict[1] in (0, 1 if covered[1] >= need[1] else -1)


def test_pairs_rank_by_likelihood_with_ties_in_pair_order() -> None:
    from types import SimpleNamespace

    from gardencity.toolkit.corridor_bounds import _lower_candidates

    rng = np.random.default_rng(5)
    n = 4000
    corridor = np.sort(rng.integers(0, 300, n))
    most = rng.choice([5.0, 8.0, 10.0, 15.0, 20.0, 30.0, 40.0], n)  # many ties
    inner = rng.uniform(0, 100, (300, 4))

    def bounds(rows: np.ndarray, rects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        assert rects is inner  # the bounds inside the inner rectangles
        return most[rows], np.zeros(len(rows), dtype=bool)

    pairs = SimpleNamespace(corridor=corridor, bounds=bounds)
    inside = rng.random(300) < 0.8
    reaches = rng.choice([0.0, 12.0, 50.0], 300)
    can, rank = _lower_candidates(pairs, inside, reaches, inner)  # type: ignore[arg-type]
    assert can.tolist() == (inside[corridor] & (most * (1 + 1e-9) >= reaches[corridor])).tolist()
    likely = np.where(can, most, -1.0)
    for k in np.unique(corridor):
        rows = np.flatnonzero(corridor == k)
        order = rows[np.argsort(-likely[rows], kind="stable")]
        assert rank[order].tolist() == [0, 1, *[2] * len(rows)][: len(rows)]


def test_pair_bounds_hold_the_area_inside_each_rectangle() -> None:
    """Each polygon's area inside its corridor's rectangle (turned into the corridor's frame)
    is at most its pair's bound, and equal to it where the bound says it is the area."""
    from gardencity.toolkit import box_pairs
    from gardencity.toolkit.corridor_bounds import _Frames, _Pairs

    lines, half, corridors, green = _city(11)
    dots = shapely.buffer(shapely.line_interpolate_point(lines, 0.5, normalized=True), 1.5)
    green = np.concatenate([green[~shapely.is_empty(green)], dots])  # small ones, inside some
    frames = _Frames(lines)
    pairs = _Pairs(green, frames, box_pairs(corridors, green))
    rng = np.random.default_rng(11)
    lengths = shapely.length(lines)
    n = len(lines)
    low = np.stack([rng.uniform(-0.2, 0.3, n) * lengths, -half * rng.uniform(0.5, 1.5, n)], 1)
    size = np.stack([lengths * rng.uniform(0.5, 1.0, n), half * rng.uniform(0.5, 3.0, n)], 1)
    rects = np.concatenate([low, low + size], axis=1)
    rows = np.arange(len(pairs.corridor))
    most, known = pairs.bounds(rows, rects)
    own = pairs.corridor
    # the rectangles back in the world, each polygon's area inside its corridor's
    corners = np.stack([rects[:, [0, 1]], rects[:, [2, 1]], rects[:, [2, 3]], rects[:, [0, 3]]], 1)
    cos, sin = frames.cos[:, None], frames.sin[:, None]
    x = frames.origin[:, None, 0] + corners[..., 0] * cos - corners[..., 1] * sin
    y = frames.origin[:, None, 1] + corners[..., 0] * sin + corners[..., 1] * cos
    world = shapely.polygons(np.stack([x, y], axis=2))
    exact = shapely.area(shapely.intersection(green[pairs.other], world[own]))
    assert (exact <= most * (1 + 1e-9) + 1e-6).all()
    assert np.allclose(exact[known], most[known], rtol=1e-9, atol=1e-6)
    assert 0 < known.sum() < len(known) and (most[known] > 0).any()
    assert np.allclose(pairs.areas(rows, rects), exact, rtol=1e-9, atol=1e-6)


def test_rectangles_inside_corridors_as_geos_finds_them() -> None:
    """Rectangles about each corridor (turned into its frame): inside, crossing an edge,
    beside it, around a hole (a road that loops onto itself) or across two parts."""
    from gardencity.toolkit.corridor_bounds import _contain, _Frames

    lines, half, corridors, _ = _city(23)
    loop = shapely.LineString([(0, 0), (100, 0), (100, 100), (50, 100), (50, -50)])
    loop = shapely.transform(loop, lambda c: c + ORIGIN)
    lines = np.concatenate([lines, [loop, loop, loop]])
    half = np.concatenate([half, [10.0, 10.0, 10.0]])
    corridors = shapely.buffer(lines, half, cap_style="flat")
    assert shapely.get_num_interior_rings(corridors[-1]) == 1
    x, y = ORIGIN
    two = [shapely.box(x, y - 10, x + 40, y + 10), shapely.box(x + 60, y - 10, x + 100, y + 10)]
    corridors[-1] = shapely.multipolygons(two)
    frames = _Frames(lines)
    turned = frames.turned_xy(corridors)
    rng = np.random.default_rng(23)
    outside, inside = 0, 0
    for _ in range(6):
        n = len(lines)
        low = np.stack([rng.uniform(-10, 120, n), rng.uniform(-25, 10, n)], 1)
        rects = np.concatenate([low, low + rng.uniform(0.5, 60, (n, 2))], axis=1)
        rows = np.flatnonzero(rng.random(n) < 0.9)
        got = _contain(corridors, turned, rects, rows)
        geoms = shapely.set_coordinates(np.array(corridors, dtype=object), turned[0])
        expected = shapely.contains(geoms[rows], shapely.box(*rects[rows].T))
        assert got.tolist() == expected.tolist()
        inside += int(got.sum())
        outside += int((~got).sum())
    assert inside > 20 and outside > 20


def test_spans_hold_their_corridors_and_fill_a_bent_ones_box_less() -> None:
    from gardencity.toolkit.corridor_bounds import _Frames, _per_owner_bounds, _spans

    lines, _, corridors, _ = _city(29)
    loop = shapely.transform(
        shapely.LineString([(0, 0), (100, 0), (100, 100), (50, 100), (50, -50)]),
        lambda c: c + ORIGIN,
    )
    lines = np.concatenate([lines, [loop]])
    corridors = np.concatenate([corridors, shapely.buffer([loop], 10.0, cap_style="flat")])
    frames = _Frames(lines)
    turned = frames.turned_xy(corridors)
    outer = _per_owner_bounds(*turned, len(corridors))
    chosen = np.arange(len(corridors)) % 3 != 1
    spans = _spans(corridors, turned, outer, chosen, 5)
    assert not np.stack(spans)[:, ~chosen].any()  # none for the others
    # back in the world, the spans of a corridor cover it
    cos, sin = frames.cos[:, None], frames.sin[:, None]
    pieces = []
    for rect in spans:
        corners = np.stack([rect[:, [0, 1]], rect[:, [2, 1]], rect[:, [2, 3]], rect[:, [0, 3]]], 1)
        x = frames.origin[:, None, 0] + corners[..., 0] * cos - corners[..., 1] * sin
        y = frames.origin[:, None, 1] + corners[..., 0] * sin + corners[..., 1] * cos
        pieces.append(shapely.polygons(np.stack([x, y], axis=2)))
    held = shapely.union_all(np.stack(pieces, axis=1), axis=1)
    left = shapely.area(shapely.difference(corridors, held))
    assert (left[chosen] < 1e-6 * shapely.area(corridors[chosen])).all()
    area = sum((r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1]) for r in spans)
    box = (outer[:, 2] - outer[:, 0]) * (outer[:, 3] - outer[:, 1])
    assert (area[chosen] <= box[chosen] * (1 + 1e-6)).all()
    assert (area[chosen] < 0.97 * box[chosen]).mean() > 0.5
