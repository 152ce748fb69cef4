"""The land-use coverage check split into bands across cores flags exactly the parcels the
whole check flags, overlaps and mismatched edges across the bands' borders included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from gardencity.io import validate_overlaps
from gardencity.io.validate_overlaps import _coverage_pieces, _off_coverage


def _whole(geoms: np.ndarray) -> np.ndarray:
    return np.asarray(~shapely.is_empty(shapely.coverage_invalid_edges(geoms)), dtype=bool)


def _grid(seed: int, n: int = 40) -> np.ndarray:
    """An n × n tiling of jittered quadrilaterals (shared corners: a valid coverage), shuffled."""
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(n + 1) * 10.0, np.arange(n + 1) * 10.0, indexing="ij")
    xs += rng.uniform(-3, 3, xs.shape)
    ys += rng.uniform(-3, 3, ys.shape)
    cells = [
        shapely.Polygon([(xs[i, j], ys[i, j]), (xs[i + 1, j], ys[i + 1, j]),
                         (xs[i + 1, j + 1], ys[i + 1, j + 1]), (xs[i, j + 1], ys[i, j + 1])])
        for i in range(n) for j in range(n)
    ]  # fmt: skip
    return np.array(cells, dtype=object)[rng.permutation(n * n)]


def _spoil_at_borders(geoms: np.ndarray, seed: int) -> np.ndarray:
    """Parcels moved, grown, cut in two (a T-junction) or drawn twice, chosen among those a
    band's border runs through, and a few anywhere."""
    rng = np.random.default_rng(seed)
    spoilt = geoms.copy()
    pieces = _coverage_pieces(geoms)
    at_borders = np.unique(np.concatenate(
        [np.setdiff1d(near, own) for near, own in pieces]))  # fmt: skip
    chosen = np.r_[rng.choice(at_borders, 12, replace=False), rng.choice(len(geoms), 4)]
    for k, i in enumerate(chosen):
        g = spoilt[i]
        if k % 4 == 0:  # moved across its neighbours
            spoilt[i] = shapely.affinity.translate(g, rng.uniform(-4, 4), rng.uniform(-4, 4))
        elif k % 4 == 1:  # grown over them
            spoilt[i] = shapely.affinity.scale(g, 1.2, 1.2)
        elif k % 4 == 2:  # an extra vertex in the middle of an edge its neighbour lacks
            ring = np.asarray(g.exterior.coords)
            mid = (ring[0] + ring[1]) / 2
            spoilt[i] = shapely.Polygon([ring[0], mid, *ring[1:-1]])
        else:  # drawn twice
            spoilt = np.append(spoilt, g)
    return spoilt


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate_overlaps, "COVERAGE_PIECE_MIN", 150)
    monkeypatch.setattr(validate_overlaps, "COVERAGE_PIECES_MAX", 8)  # 8 bands of 200


@pytest.mark.usefixtures("small_pieces")
@pytest.mark.parametrize("seed", range(5))
def test_the_bands_flag_what_the_whole_check_flags(seed: int) -> None:
    geoms = _spoil_at_borders(_grid(seed), seed)
    assert len(_coverage_pieces(geoms)) == 8
    expected = _whole(geoms)
    assert expected.sum() >= 12  # flagged parcels, on the borders of the bands among them
    for threads in (1, 2):
        assert np.array_equal(_off_coverage(geoms, threads=threads), expected)


@pytest.mark.usefixtures("small_pieces")
def test_a_band_alone_would_miss_an_overlap_across_its_border() -> None:
    """Why each band takes its neighbours' parcels: without them, a parcel grown over its
    neighbour in the next band is not flagged."""
    geoms = _spoil_at_borders(_grid(7), 7)
    missed = 0
    for _, own in _coverage_pieces(geoms):
        missed += int((_whole(geoms)[own] & ~_whole(geoms[own])).sum())
    assert missed > 0


@pytest.mark.usefixtures("small_pieces")
def test_each_parcel_is_in_one_band_and_its_touching_parcels_in_the_same_piece() -> None:
    geoms = _spoil_at_borders(_grid(3), 3)
    pieces = _coverage_pieces(geoms)
    owners = np.concatenate([own for _, own in pieces])
    assert np.array_equal(np.sort(owners), np.arange(len(geoms)))
    tree = shapely.STRtree(geoms)
    for near, own in pieces:
        assert np.isin(own, near).all()
        touching = tree.query(shapely.envelope(geoms[own]))[1]
        assert np.isin(touching, near).all()


def test_a_small_coverage_is_checked_whole() -> None:
    geoms = _grid(1, 10)
    assert [(len(near), len(own)) for near, own in _coverage_pieces(geoms)] == [(100, 100)]


def test_the_demo_parcels_are_flagged_as_by_the_whole_check(
    demo_city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyogrio

    geoms = pyogrio.read_dataframe(demo_city / "city.gpkg", layer="land_use").geometry.to_numpy()
    # the demo's parcels, some moved so that they overlap their neighbours
    rng = np.random.default_rng(0)
    moved = rng.choice(len(geoms), 30, replace=False)
    geoms[moved] = shapely.transform(geoms[moved], lambda xy: xy + np.array([2.0, 1.0]))
    monkeypatch.setattr(validate_overlaps, "COVERAGE_PIECE_MIN", len(geoms) // 8)
    monkeypatch.setattr(validate_overlaps, "COVERAGE_PIECES_MAX", 8)
    assert len(_coverage_pieces(geoms)) == 8
    expected = _whole(geoms)
    assert expected.sum() >= 30
    assert np.array_equal(_off_coverage(geoms), expected)
