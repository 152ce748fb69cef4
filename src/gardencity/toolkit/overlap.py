"""The area of many small polygons inside the union of many others, every step in bulk."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import numpy as np
import numpy.typing as npt
import shapely

from gardencity.io.threads import THREADS_VARIABLE, work_pool, work_threads

__all__ = [
    "THREADS_VARIABLE",
    "BoxPairs",
    "areas_in_union",
    "box_pairs",
    "clip_to_rects",
    "in_threads",
    "intersections",
    "work_threads",
]

Objects = npt.NDArray[np.object_]
Ints = npt.NDArray[np.intp]


def clip_to_rects(geoms: Objects, rects: npt.NDArray[np.float64]) -> Objects:
    """Each geometry clipped to its rectangle ``(xmin, ymin, xmax, ymax)``, on this thread.

    GEOS's rectangle clipping walks each ring once (no overlay); the few results it leaves
    invalid are cut again by a full intersection with the rectangle.

    >>> [g.area for g in clip_to_rects(np.array([shapely.box(0, 0, 4, 4)]),
    ...     np.array([[1.0, 1.0, 2.0, 3.0]]))]
    [2.0]
    """
    if len(geoms) == 0:
        return np.empty(0, dtype=object)
    # shapely.clip_by_rect takes one rectangle; its ufunc takes one per geometry
    clipped: Objects = shapely.lib.clip_by_rect(geoms, *rects.T)
    bad = ~shapely.is_valid(clipped)
    if bad.any():
        clipped[bad] = shapely.intersection(geoms[bad], shapely.box(*rects[bad].T))
    return clipped


def _clip_to_rects(geoms: Objects, rects: npt.NDArray[np.float64]) -> Objects:
    """:func:`clip_to_rects` on the work's threads."""
    if len(geoms) == 0:
        return geoms
    clipped: Objects = np.empty(len(geoms), dtype=object)

    def clip(rows: slice) -> None:
        clipped[rows] = clip_to_rects(geoms[rows], rects[rows])

    # each geometry on its own: the same results on two threads as in one call
    in_threads(clip, len(geoms), chunk=max(1, min(4096, len(geoms) // 16)))
    return clipped


_WORKER = threading.local()


def _as_worker(function: Callable[[slice], None], part: slice) -> None:
    _WORKER.busy = True
    try:
        function(part)
    finally:
        _WORKER.busy = False


def in_threads(function: Callable[[slice], None], n: int, chunk: int | None = None) -> None:
    """``function`` over slices of ``range(n)`` on :func:`work_threads` threads (GEOS releases
    the GIL); by default at most 4096 at a time, and small enough that two threads share it.
    Called from one of those threads, or with one thread, it runs the slices in the caller's.
    """
    if chunk is None:
        chunk = max(1, min(4096, -(-n // 16)))
    parts = (slice(i, i + chunk) for i in range(0, n, chunk))
    if getattr(_WORKER, "busy", False) or work_threads() == 1:
        for part in parts:
            function(part)
        return
    with work_pool() as pool:
        list(pool.map(partial(_as_worker, function), parts))


def intersections(a: Objects, b: Objects) -> Objects:
    """``shapely.intersection(a, b)`` on two threads, a few pairs at a time (the same results)."""
    out = np.empty(len(a), dtype=object)

    def run(rows: slice) -> None:
        out[rows] = shapely.intersection(a[rows], b[rows])

    in_threads(run, len(a), chunk=max(1, min(4096, len(a) // 16)))
    return out


class BoxPairs:
    """:func:`box_pairs` with the same ``others`` for several arrays of polygons (their tree
    built once; each polygon's pairs are the same whatever else is asked with it)."""

    def __init__(self, others: Objects) -> None:
        self.others = others
        self.tree = shapely.STRtree(others)
        self.empty = shapely.is_empty(others)

    def __call__(self, polygons: Objects) -> tuple[Ints, Ints]:
        polygon, other = self.tree.query(polygons)
        if self.empty.any():
            keep = ~self.empty[other]
            polygon, other = polygon[keep], other[keep]
        return np.asarray(polygon, dtype=np.intp), np.asarray(other, dtype=np.intp)


def box_pairs(polygons: Objects, others: Objects) -> tuple[Ints, Ints]:
    """The pairs of ``polygons`` and non-empty ``others`` whose boxes meet: their positions,
    in the order of ``STRtree(others).query(polygons)``."""
    return BoxPairs(others)(polygons)


def _per_row(values: Objects, row: Ints, n: int) -> Objects:
    """``values`` laid out in ``n`` rows, each value in its ``row`` (in their order), padded
    with None."""
    counts = np.bincount(row, minlength=n)
    order = np.argsort(row, kind="stable")
    grid = np.full((n, max(1, int(counts.max(initial=0)))), None, dtype=object)
    grid[row[order], np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)] = values[
        order
    ]
    return grid


def _unions(grid: Objects) -> Objects:
    """The union of each row of ``grid`` (None ignored), on two threads."""
    unions = np.empty(len(grid), dtype=object)

    def union(rows: slice) -> None:
        unions[rows] = shapely.union_all(grid[rows], axis=1)

    in_threads(union, len(grid))
    return unions


def areas_in_union(
    polygons: Objects, others: Objects, *, near: tuple[Ints, Ints] | None = None
) -> npt.NDArray[np.float64]:
    """Area of each of ``polygons`` inside the union of ``others`` (overlaps counted once).

    Only the ``others`` whose boxes meet a polygon's are used (``near``: those pairs, as
    :func:`box_pairs` finds them, if already known). They are clipped to the polygon's box,
    the clipped parts unioned polygon by polygon and the polygon intersected with that union
    (two threads), so every overlay is small. Exact as GEOS's overlays are (the same area as
    one ``intersection(polygon, union_all(others))`` up to rounding, a few units in the 12th
    digit).

    Examples
    --------
    >>> corridors = np.array([shapely.box(0, 0, 100, 20), shapely.box(0, 100, 100, 120)])
    >>> green = np.array([shapely.box(0, 5, 60, 15), shapely.box(40, 5, 100, 15),
    ...     shapely.box(500, 500, 600, 600)])
    >>> areas_in_union(corridors, green).tolist()
    [1000.0, 0.0]
    """
    polygons = np.asarray(polygons, dtype=object)
    others = np.asarray(others, dtype=object)
    out = np.zeros(len(polygons))
    if len(polygons) == 0 or len(others) == 0:
        return out
    polygon, other = box_pairs(polygons, others) if near is None else near
    parts = _clip_to_rects(others[other], shapely.bounds(polygons)[polygon])
    keep = ~shapely.is_empty(parts)
    polygon, parts = polygon[keep], parts[keep]
    has_parts = np.bincount(polygon, minlength=len(polygons)) > 0
    unions = _unions(_per_row(parts, (np.cumsum(has_parts) - 1)[polygon], int(has_parts.sum())))
    met = np.flatnonzero(has_parts)

    def intersect(rows: slice) -> None:
        out[met[rows]] = shapely.area(shapely.intersection(polygons[met[rows]], unions[rows]))

    in_threads(intersect, len(met))
    return out
