"""Work on two threads and pairs of boxes (toolkit/overlap.py)."""

import threading

import numpy as np
import pytest
import shapely

from gardencity.toolkit import BoxPairs, box_pairs
from gardencity.toolkit.overlap import in_threads


def test_work_asked_for_on_a_worker_thread_runs_on_that_thread() -> None:
    threads: dict[int, set[int]] = {}

    def inner(outer: int, part: slice) -> None:
        threads.setdefault(outer, set()).add(threading.get_ident())

    def outer(part: slice) -> None:
        for k in range(part.start, min(part.stop, 4)):
            threads[k] = set()
            in_threads(lambda inner_part, k=k: inner(k, inner_part), 40, chunk=5)
            assert threads[k] == {threading.get_ident()}

    in_threads(outer, 4, chunk=1)
    assert sorted(threads) == [0, 1, 2, 3]
    seen: set[int] = set()
    in_threads(lambda part: seen.add(threading.get_ident()), 64, chunk=1)
    assert threading.get_ident() not in seen  # from the main thread: the workers do it


def test_pairs_asked_for_in_parts_are_those_of_one_call() -> None:
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 1000, (400, 2))
    others = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 30, xy[:, 1] + 20)
    others[::50] = shapely.Polygon()
    polygons = shapely.buffer(shapely.points(rng.uniform(0, 1000, (120, 2))), 25.0)
    whole = box_pairs(polygons, others)
    pairs = BoxPairs(others)
    starts = range(0, 120, 37)
    found = [pairs(polygons[k : k + 37]) for k in starts]
    polygon = np.concatenate([f[0] + k for f, k in zip(found, starts, strict=True)])
    other = np.concatenate([f[1] for f in found])
    assert np.array_equal(polygon, whole[0]) and np.array_equal(other, whole[1])
    assert len(whole[0]) > 100 and not shapely.is_empty(others[other]).any()


def test_the_threads_follow_the_environment_and_the_results_do_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gardencity.toolkit import THREADS_VARIABLE, TiledCover, work_threads

    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 6000, size=(400, 2))
    polygons = shapely.buffer(shapely.points(xy), rng.uniform(20, 300, size=400))
    monkeypatch.delenv(THREADS_VARIABLE, raising=False)
    assert work_threads() == 2
    two = TiledCover(polygons, tile_m=1000.0)
    monkeypatch.setenv(THREADS_VARIABLE, "1")
    assert work_threads() == 1
    seen: set[int] = set()
    in_threads(lambda part: seen.add(threading.get_ident()), 64, chunk=1)
    assert len(seen) == 1
    one = TiledCover(polygons, tile_m=1000.0)
    assert list(one.pieces) == list(two.pieces)
    assert [shapely.to_wkb(g) for g in one.pieces.values()] == [
        shapely.to_wkb(g) for g in two.pieces.values()
    ]
    monkeypatch.setenv(THREADS_VARIABLE, "many")  # not a number: the default
    assert work_threads() == 2
