"""The area of many small polygons inside the union of many others, every step in bulk."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import shapely

__all__ = ["areas_in_union", "in_threads", "intersections"]

Objects = npt.NDArray[np.object_]


def _clip_to_rects(geoms: Objects, rects: npt.NDArray[np.float64]) -> Objects:
    """Each geometry clipped to its rectangle ``(xmin, ymin, xmax, ymax)``.

    GEOS's rectangle clipping walks each ring once (no overlay); the few results it leaves
    invalid are cut again by a full intersection with the rectangle.
    """
    if len(geoms) == 0:
        return geoms
    clipped: Objects = np.empty(len(geoms), dtype=object)

    def clip(rows: slice) -> None:
        # shapely.clip_by_rect takes one rectangle; its ufunc takes one per geometry
        part = shapely.lib.clip_by_rect(geoms[rows], *rects[rows].T)
        bad = ~shapely.is_valid(part)
        if bad.any():
            part[bad] = shapely.intersection(geoms[rows][bad], shapely.box(*rects[rows][bad].T))
        clipped[rows] = part

    # each geometry on its own: the same results on two threads as in one call
    in_threads(clip, len(geoms), chunk=max(1, min(4096, len(geoms) // 16)))
    return clipped


def in_threads(function: Callable[[slice], None], n: int, chunk: int | None = None) -> None:
    """``function`` over slices of ``range(n)`` on two threads (GEOS releases the GIL); by
    default at most 4096 at a time, and small enough that the two threads share the work."""
    if chunk is None:
        chunk = max(1, min(4096, -(-n // 16)))
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(function, (slice(i, i + chunk) for i in range(0, n, chunk))))


def intersections(a: Objects, b: Objects) -> Objects:
    """``shapely.intersection(a, b)`` on two threads, a few pairs at a time (the same results)."""
    out = np.empty(len(a), dtype=object)

    def run(rows: slice) -> None:
        out[rows] = shapely.intersection(a[rows], b[rows])

    in_threads(run, len(a), chunk=max(1, min(4096, len(a) // 16)))
    return out


def _tile_parts(polygons: Objects, tile_m: float) -> tuple[Objects, npt.NDArray[np.float64]]:
    """``polygons`` cut into square tiles of ``tile_m`` (anchored at the CRS origin): per tile
    that holds any, a row of its pieces (padded with None), and their bounding box."""
    bounds = shapely.bounds(polygons)
    lo = np.floor(bounds[:, :2] / tile_m).astype(np.int64)
    hi = np.floor(bounds[:, 2:] / tile_m).astype(np.int64)
    nx, ny = hi[:, 0] - lo[:, 0] + 1, hi[:, 1] - lo[:, 1] + 1
    owner = np.repeat(np.arange(len(polygons)), nx * ny)
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(nx * ny) - nx * ny, nx * ny)
    tx = lo[owner, 0] + rank % nx[owner]
    ty = lo[owner, 1] + rank // nx[owner]
    parts: Objects = polygons[owner]
    cut = (nx[owner] > 1) | (ny[owner] > 1)
    x0, y0 = tx[cut] * tile_m, ty[cut] * tile_m
    parts[cut] = _clip_to_rects(parts[cut], np.stack([x0, y0, x0 + tile_m, y0 + tile_m], 1))
    keep = shapely.area(parts) > 0
    tx, ty, parts = tx[keep], ty[keep], parts[keep]
    if len(parts) == 0:
        return np.empty((0, 1), dtype=object), np.empty((0, 4))
    order = np.lexsort((ty, tx))
    tx, ty, parts = tx[order], ty[order], parts[order]
    first = np.flatnonzero(np.r_[True, (np.diff(tx) != 0) | (np.diff(ty) != 0)])
    count = np.diff(np.r_[first, len(parts)])
    grid = np.full((len(first), int(count.max())), None, dtype=object)
    grid[
        np.repeat(np.arange(len(first)), count), np.arange(len(parts)) - np.repeat(first, count)
    ] = parts
    bounds = shapely.bounds(parts)
    low = np.minimum.reduceat(bounds[:, :2], first, axis=0)
    high = np.maximum.reduceat(bounds[:, 2:], first, axis=0)
    return grid, np.concatenate([low, high], axis=1)


def _unions(grid: Objects) -> Objects:
    """The union of each row of ``grid`` (None ignored), on two threads."""
    unions = np.empty(len(grid), dtype=object)

    def union(rows: slice) -> None:
        unions[rows] = shapely.union_all(grid[rows], axis=1)

    in_threads(union, len(grid))
    return unions


def areas_in_union(
    polygons: Objects, others: Objects, *, tile_m: float = 300.0
) -> npt.NDArray[np.float64]:
    """Area of each of ``polygons`` inside the union of ``others`` (overlaps counted once).

    Only the ``others`` near a polygon are used. They are cut into square tiles of ``tile_m``
    and unioned tile by tile (the tiles a polygon meets, two threads); each polygon is
    then intersected with the tile unions it meets, each first clipped to the polygon's
    bounding box, so every overlay is small. Exact as GEOS's overlays are (the same area as one
    ``intersection(polygon, union_all(others))`` up to rounding, a few units in the 12th
    digit).

    Examples
    --------
    >>> corridors = np.array([shapely.box(0, 0, 100, 20), shapely.box(0, 100, 100, 120)])
    >>> green = np.array([shapely.box(0, 5, 60, 15), shapely.box(40, 5, 100, 15),
    ...     shapely.box(500, 500, 600, 600)])
    >>> areas_in_union(corridors, green, tile_m=50.0).tolist()
    [1000.0, 0.0]
    """
    polygons = np.asarray(polygons, dtype=object)
    others = np.asarray(others, dtype=object)
    out = np.zeros(len(polygons))
    if len(polygons) == 0 or len(others) == 0:
        return out
    near = np.unique(shapely.STRtree(others).query(polygons)[1])
    near = near[~shapely.is_empty(others[near])]
    grid, boxes = _tile_parts(others[near], tile_m)
    if len(boxes) == 0:
        return out
    # a tile's union has the bounding box of its pieces: a tree of the boxes finds the tiles
    # each polygon meets, as a tree of the unions would (in the same order), and only those
    # tiles are unioned
    poly_i, piece_i = shapely.STRtree(shapely.box(*boxes.T)).query(polygons)
    needed, again = np.unique(piece_i, return_inverse=True)
    pieces = _unions(grid[needed])
    if not np.array_equal(shapely.bounds(pieces), boxes[needed]):  # never seen; to be sure
        pieces = _unions(grid)
        poly_i, piece_i = shapely.STRtree(pieces).query(polygons)
        again = piece_i
    local = _clip_to_rects(pieces[again.ravel()], shapely.bounds(polygons)[poly_i])
    areas = np.zeros(len(poly_i))

    def intersect(rows: slice) -> None:
        areas[rows] = shapely.area(shapely.intersection(polygons[poly_i[rows]], local[rows]))

    in_threads(intersect, len(poly_i))
    np.add.at(out, poly_i, areas)
    return out
