"""The threads a block of code starts, heard as each begins to run; geometries tested on
threads at once."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import shapely


@contextmanager
def threads_started() -> Iterator[list[str]]:
    """The names of the threads started in the block (each heard as it begins to run)."""
    names: list[str] = []

    def heard(*_: object) -> None:
        names.append(threading.current_thread().name)
        sys.setprofile(None)

    threading.setprofile(heard)
    try:
        yield names
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]


def wiggly_zones(count: int = 3, vertices: int = 5_000) -> list[shapely.Polygon]:
    """``count`` overlapping star-like polygons of ``vertices`` vertices around the origin
    (radius 90–110 m): GEOS builds the indexes of such a polygon's prepared geometry as it is
    first tested, long enough for threads testing it at once to meet there."""
    turn = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    zones = []
    for k in range(count):
        radius = 100 + 10 * np.sin(turn * (37 + 2 * k))
        zones.append(shapely.Polygon(np.c_[radius * np.cos(turn), radius * np.sin(turn)]))
    return zones


def answers_at_once(
    geoms: Sequence[shapely.Geometry], threads: int = 8, rounds: int = 1
) -> list[np.ndarray]:
    """``contains_properly`` of each of ``geoms`` against the same small boxes on ``threads``
    threads at once, ``rounds`` times, as a threaded step sharing them (the what-if zone
    grid's) tests them: every thread's answers, in order. A geometry left prepared by an
    earlier step is then used by every thread at once, which GEOS does not allow (libgeos/
    geos#825): wrong answers, or a crash of the process."""
    xy = np.random.default_rng(7).uniform(-120, 120, (400, 2))
    boxes = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 3, xy[:, 1] + 3)
    answers: list[np.ndarray] = []
    for _ in range(rounds):
        for geom in geoms:
            answers.extend(_at_once(geom, boxes, threads))
    return answers


def _at_once(geom: shapely.Geometry, boxes: np.ndarray, threads: int) -> list[np.ndarray]:
    start = threading.Barrier(threads)
    found: list[np.ndarray] = [np.zeros(0, dtype=bool)] * threads

    def test(k: int) -> None:
        start.wait()
        found[k] = shapely.contains_properly(geom, boxes)

    running = [threading.Thread(target=test, args=(k,)) for k in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return found
