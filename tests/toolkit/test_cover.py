"""The tiled union behind the vector area measures (indicators/_zonal.py)."""

import numpy as np
import pytest
import shapely

from gardencity.toolkit import EditableCover, TiledCover


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


def test_areas_in_union_equal_one_overlay_for_bent_corridors() -> None:
    """Corridors (flat buffers of bent lines) in overlapping green strips and boxes: each
    corridor's green area is its intersection with one union of all the green."""
    from gardencity.toolkit import areas_in_union

    rng = np.random.default_rng(19)
    starts = rng.uniform(0, 3000, (120, 2))
    bends = starts[:, None, :] + np.cumsum(rng.uniform(-60, 160, (120, 5, 2)), axis=1)
    lines = shapely.linestrings(np.concatenate([starts[:, None, :], bends], axis=1))
    corridors = shapely.buffer(lines, rng.uniform(4, 25, 120), cap_style="flat")
    strips = shapely.buffer(lines[::2], 3.0, cap_style="flat")  # inside their corridors
    xy = rng.uniform(0, 3500, (400, 2))
    boxes = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 70, xy[:, 1] + 40)
    green = np.concatenate([strips, boxes, [shapely.Polygon()]])
    expected = shapely.area(shapely.intersection(corridors, shapely.union_all(green)))
    assert expected.max() > 0
    got = areas_in_union(corridors, green)
    assert np.allclose(got, expected, rtol=1e-9, atol=1e-6)
    assert areas_in_union(corridors[:0], green).tolist() == []
    assert areas_in_union(corridors[:2], green[:0]).tolist() == [0.0, 0.0]


def test_a_lazy_editable_cover_unions_only_the_tiles_asked_for_and_gives_the_same_areas() -> None:
    """The what-if engine's corridor cover: tiles unioned when an edit or an overlap first
    reaches them, piece for piece as the whole cover, before and after edits."""
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 6000, (400, 2))
    size = rng.uniform(5, 500, (400, 2))
    polygons = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + size[:, 0], xy[:, 1] + size[:, 1])
    keys = list(range(len(polygons)))
    whole = EditableCover(keys, polygons, tile_m=300.0)
    lazy = EditableCover(keys, polygons, tile_m=300.0, lazy=True)
    assert lazy.pieces == {}
    probes = shapely.box(xy[:40, 0], xy[:40, 1], xy[:40, 0] + 50, xy[:40, 1] + 700)
    assert lazy.overlap_areas(probes).tolist() == whole.overlap_areas(probes).tolist()
    assert 0 < len(lazy.pieces) < len(whole.pieces)
    assert all(shapely.equals_exact(lazy.pieces[t], whole.pieces[t], 0) for t in lazy.pieces)
    for cover in (whole, lazy):
        cover.add("new", shapely.box(2000, 2000, 2900, 2300))
        cover.remove(5)
    assert lazy.overlap_areas(probes).tolist() == whole.overlap_areas(probes).tolist()
    assert lazy.area == pytest.approx(whole.area, rel=1e-12)  # the pieces summed in another order
    assert sorted(lazy.pieces) == sorted(whole.pieces)
    assert all(shapely.equals_exact(lazy.pieces[t], whole.pieces[t], 0) for t in whole.pieces)


def test_groups_from_the_pairs_still_apart_are_those_of_every_intersecting_pair() -> None:
    """A tile's groups of intersecting polygons, found by testing first one pair per polygon
    and then only the pairs still between groups, are those of all intersecting pairs: for
    chains of overlapping strips, boxes that only share an edge or a corner, and triangles
    whose boxes meet although they do not."""
    from gardencity.toolkit.cover import _intersecting_groups, components

    rng = np.random.default_rng(23)
    starts = rng.uniform(0, 2000, (60, 2))
    bends = starts[:, None, :] + np.cumsum(rng.uniform(-80, 120, (60, 6, 2)), axis=1)
    lines = shapely.linestrings(np.concatenate([starts[:, None, :], bends], axis=1))
    pieces = shapely.get_parts(shapely.segmentize(lines, 40.0))
    strips = shapely.buffer(pieces, rng.uniform(2, 9, len(pieces)), cap_style="flat")
    touching = [shapely.box(3000 + 10 * i, 0, 3010 + 10 * i, 10) for i in range(5)]
    corners = [
        shapely.box(3000 + 10 * i, 100 + 10 * i, 3010 + 10 * i, 110 + 10 * i) for i in range(4)
    ]
    apart = [
        shapely.Polygon([(4000 + 20 * i, 0), (4030 + 20 * i, 0), (4000 + 20 * i, 30)])
        for i in range(6)
    ] + [shapely.Polygon([(4030, 30), (4030, 1), (4001, 30)])]
    parts = np.concatenate([strips, touching, corners, apart, rng.permutation(strips)[:40]])
    a, b = shapely.STRtree(parts).query(parts, predicate="intersects")
    expected = components(len(parts), a, b)
    assert len(np.unique(expected)) < len(parts) - 20  # many groups of several
    for rounds in (0, 1, 2, 5):
        assert np.array_equal(_intersecting_groups(parts, rounds), expected)
    one = np.array([shapely.box(0, 0, 1, 1)])
    assert _intersecting_groups(one).tolist() == [0]


def test_overlap_areas_leave_no_prepared_index_on_the_measured_polygons() -> None:
    """A city's residential parcels measured against a cover keep no prepared index after
    it (on the L city they held ~575 MB to the end of the run); one the caller prepared
    stays prepared, and the areas are those with every polygon prepared."""
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 3000, (200, 2))
    polygons = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 60, xy[:, 1] + 40)
    cover = TiledCover(shapely.buffer(shapely.points(xy[:80]), 90.0), tile_m=500.0)
    shapely.prepare(polygons[:10])
    areas = cover.overlap_areas(polygons)
    assert shapely.is_prepared(polygons[:10]).all()
    assert not shapely.is_prepared(polygons[10:]).any()
    union = shapely.union_all(list(cover.pieces.values()))
    expected = shapely.area(shapely.intersection(polygons, union))
    assert np.allclose(areas, expected, rtol=1e-9, atol=1e-6)


def test_many_small_polygons_are_tested_against_the_pieces_prepared_once() -> None:
    """More polygons than pieces (a city's parcels): the pieces are prepared, not each
    polygon, and every area is the one found with the polygons prepared (a few at a time,
    fewer than the pieces, as zones are measured)."""
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 3000, (300, 2))
    polygons = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 70, xy[:, 1] + 50)
    cover = TiledCover(shapely.buffer(shapely.points(xy[:60]), 120.0), tile_m=500.0)
    pieces = np.array(list(cover.pieces.values()))
    assert 3 < len(pieces) < len(polygons)
    areas = cover.overlap_areas(polygons)
    assert shapely.is_prepared(pieces).all() and not shapely.is_prepared(polygons).any()
    few = np.concatenate([cover.overlap_areas(polygons[i : i + 3]) for i in range(0, 300, 3)])
    assert np.array_equal(areas, few)
    assert 0 < np.count_nonzero(areas) < len(polygons)


def test_taking_an_addition_out_again_gives_back_the_tiles_as_they_were() -> None:
    """A polygon added and taken out (a what-if park drawn, read and removed) leaves each
    tile's piece as it was; once another edit has changed one of its tiles, the tiles are
    unioned again from the polygons left, to the same area."""
    rng = np.random.default_rng(11)
    xy = rng.uniform(0, 3000, (200, 2))
    polygons = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 150, xy[:, 1] + 90)
    for lazy in (False, True):
        cover = EditableCover(range(len(polygons)), polygons, tile_m=500.0, lazy=lazy)
        cover.overlap_areas(polygons)  # every tile unioned
        before = dict(cover.pieces)
        park = shapely.box(900, 900, 1700, 1400)
        changed = cover.add("park", park)
        assert cover.remove("park") == changed
        assert cover.pieces.keys() == before.keys()
        assert all(cover.pieces[t] is before[t] for t in before)
        cover.add("park", park)
        cover.remove(int(np.flatnonzero(shapely.intersects(polygons, park))[0]))
        cover.remove("park")  # a tile of it changed since: unioned again
        left = np.delete(polygons, np.flatnonzero(shapely.intersects(polygons, park))[0])
        assert cover.area == pytest.approx(shapely.union_all(left).area, rel=1e-12)


def test_parts_on_a_tile_edge_are_cut_and_those_inside_kept_whole() -> None:
    """A polygon is kept uncut only when it lies in the tile's interior: one touching the tile's
    edge from inside, one along it outside, one crossing it; the union is that of GEOS."""
    polygons = np.array(
        [
            shapely.box(0, 10, 30, 20),  # touches the tile line x = 0 from inside
            shapely.box(-30, 10, 0, 20),  # on the other side of it
            shapely.box(10, 990, 40, 1010),  # crosses y = 1000
            shapely.box(100, 100, 200, 200),  # inside
            shapely.box(150, 150, 250, 250),
        ]
    )
    cover = TiledCover(polygons, tile_m=1000.0)
    assert sorted(cover.pieces) == [(-1, 0), (0, 0), (0, 1)]
    assert cover.area == pytest.approx(shapely.union_all(polygons).area, rel=1e-12)
    inside = cover.pieces[(0, 0)]
    assert shapely.equals(
        inside, shapely.union_all([*polygons[[0, 3, 4]], shapely.box(10, 990, 40, 1000)])
    )


def test_areas_in_union_same_as_each_polygon_with_the_union_of_its_clipped_neighbours() -> None:
    """Each polygon's area, bit for bit, is that of its intersection with the union of the
    others whose boxes meet its box, each clipped to that box; the same with the pairs passed
    in (found once for several uses), and without an empty or a far polygon."""
    from gardencity.toolkit import areas_in_union, box_pairs

    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 4000, (900, 2)) + np.array([480_000.0, 3_790_000.0])
    green = shapely.buffer(shapely.points(xy), rng.uniform(5, 90, len(xy)), quad_segs=5)
    green = np.concatenate([green, [shapely.Polygon()]])
    starts = xy[:40] + rng.uniform(-50, 50, (40, 2))
    lines = shapely.linestrings(
        np.stack([starts, starts + rng.uniform(-400, 400, (40, 2))], axis=1)
    )
    corridors = shapely.buffer(lines, 12.0, cap_style="flat")
    corridors[5] = shapely.box(0, 0, 10, 10)  # far from all the green
    expected = np.zeros(len(corridors))
    for k, corridor in enumerate(corridors):
        box = shapely.bounds(corridor)
        near = green[shapely.intersects(shapely.box(*box), shapely.envelope(green))]
        parts = shapely.clip_by_rect(near, *box)
        parts = parts[~shapely.is_empty(parts)]
        if len(parts):
            expected[k] = shapely.area(shapely.intersection(corridor, shapely.union_all(parts)))
    assert expected.max() > 0 and expected[5] == 0.0
    assert np.array_equal(areas_in_union(corridors, green), expected)
    near = box_pairs(corridors, green)
    assert not shapely.is_empty(green[near[1]]).any()
    assert np.array_equal(areas_in_union(corridors, green, near=near), expected)
    one_overlay = shapely.area(shapely.intersection(corridors, shapely.union_all(green)))
    assert np.allclose(expected, one_overlay, rtol=1e-9, atol=1e-6)
