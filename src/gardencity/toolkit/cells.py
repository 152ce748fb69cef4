"""Grid cells of polygons as numbers: area and interior point of every ``piece ∩ square``.

Cutting every cell with GEOS costs one overlay per cell (~50 µs each); the walking measure only
needs each cell's area and ``shapely.point_on_surface``, so for single-ring polygons both are
computed here with numpy for all cells at once:

* area: Green's theorem over the polygon's edges, ``∮ (clamp(x, x0, x1) − x0)·[y0 ≤ y ≤ y1] dy``
  (exact for any simple ring);
* interior point: GEOS ``InteriorPointArea`` replayed on ``piece ∩ square`` — the scan line
  ``y`` halfway between the vertex ``y`` values nearest the envelope centre, then the middle of
  the widest crossing interval — using the vertices of the intersection (ring vertices inside
  the square, ring/square crossings, square corners inside the ring).

A cell takes the numpy route only when ``piece ∩ square`` is one polygon whose boundary meets
the square at exactly two points (or none) and nothing is degenerate (a vertex on a grid line
or on the scan line); every other cell (≈5 % on the demo cities), and every piece that is not a
single-ring polygon, goes through GEOS as before. Both routes agree to float rounding (~1e-9 m).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gardencity.io.threads import prepared_copies, work_pool
from gardencity.toolkit._ring_cells import Rings, fast_cells, ranks

__all__ = ["CellTable", "cell_table"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
_CHUNK_PAIRS = 60_000
_BATCH_SQUARES = 8_192  # padded squares per batch of pieces merged at once


@dataclass(frozen=True)
class CellTable:
    """One row per non-empty cell (pieces in order, each piece's squares row by row, west to
    east): the ``piece`` row it belongs to,
    its grid index ``(ix, iy)``, ``area``, interior point ``(x, y)``, ``whole`` (the square
    lies inside the piece, so the cell is the square itself) and ``key``: cells of identical
    pieces (a parcel in the city and in its district) share a key in ``0 .. n_keys - 1``."""

    piece: I64
    ix: I64
    iy: I64
    area: F64
    x: F64
    y: F64
    whole: B
    key: I64

    def first_of_key(self) -> I64:
        """The first row of each key (``key[first_of_key()] == arange(n_keys)``)."""
        first = np.zeros(int(self.key.max()) + 1 if len(self.key) else 0, dtype=np.int64)
        first[self.key[::-1]] = np.arange(len(self.key))[::-1]
        return first

    def geometries(
        self, pieces: npt.NDArray[np.object_], cell_size: float, rows: I64 | None = None
    ) -> npt.NDArray[Any]:
        """The cells (or the given ``rows``) as polygons: squares where whole, else
        ``piece ∩ square`` by GEOS, once per key."""
        rows = np.arange(len(self.key)) if rows is None else np.asarray(rows, dtype=np.int64)
        _, first, inverse = np.unique(self.key[rows], return_index=True, return_inverse=True)
        at = rows[first]
        boxes = _boxes(self.ix[at], self.iy[at], cell_size)
        out = boxes.copy()
        cut = ~self.whole[at]
        out[cut] = shapely.intersection(pieces[self.piece[at][cut]], boxes[cut])
        return out[inverse.ravel()]

    def regions(
        self, pieces: npt.NDArray[np.object_], cell_size: float, rows: I64
    ) -> tuple[I64, npt.NDArray[np.object_]]:
        """The cells ``rows`` (in table order) merged per piece: each piece that has one, and
        the part of it they make up — the piece itself where they are all its cells, else
        ``piece ∩ union(squares)``, one overlay per piece instead of one per cell.

        >>> table = cell_table(np.array([shapely.box(0, 0, 30, 20), shapely.box(0, 30, 9, 39)]),
        ...     25.0)
        >>> piece, merged = table.regions(np.array([shapely.box(0, 0, 30, 20),
        ...     shapely.box(0, 30, 9, 39)]), 25.0, np.array([1, 2]))
        >>> piece.tolist(), [g.area for g in merged]
        ([0, 1], [100.0, 81.0])
        """
        rows = np.asarray(rows, dtype=np.int64)
        owner = self.piece[rows]
        piece, start = np.unique(owner, return_index=True)
        given = np.bincount(owner, minlength=len(pieces))[piece]
        whole = given == np.bincount(self.piece, minlength=len(pieces))[piece]
        merged = np.asarray(pieces, dtype=object)[piece].copy()
        partial = np.flatnonzero(~whole)
        if partial.size:
            merged[partial] = _cut_to_cells(
                merged[partial], self.ix[rows], self.iy[rows], start[partial], given[partial],
                cell_size,
            )  # fmt: skip
        return piece, merged


def _cut_to_cells(
    pieces: npt.NDArray[np.object_], ix: I64, iy: I64, start: I64, count: I64, cell_size: float
) -> npt.NDArray[np.object_]:
    """``piece ∩ union(squares)`` of each piece, with its ``count`` cells from row ``start``
    of ``(ix, iy)``.

    Pieces with about as many cells are taken together: their squares in the rows of a
    table padded with None (``union_all`` leaves missing geometries out, so each row's union
    is the union of its own squares), one GEOS call per batch. The batches are shared by
    two threads (GEOS runs without the GIL); each piece's result is the same whatever the
    batch."""
    out = np.empty(len(pieces), dtype=object)
    width = 1 << np.ceil(np.log2(count)).astype(np.int64)  # pad to at most twice the count
    batches: list[npt.NDArray[np.intp]] = []
    for w in np.unique(width):
        same = np.flatnonzero(width == w)
        per_batch = max(1, _BATCH_SQUARES // int(w))
        batches.extend(np.split(same, np.arange(per_batch, len(same), per_batch)))

    def cut(batch: npt.NDArray[np.intp]) -> None:
        n = count[batch]
        cell = np.repeat(start[batch], n) + ranks(n)
        table = np.full((len(batch), int(width[batch[0]])), None, dtype=object)
        table[np.repeat(np.arange(len(batch)), n), ranks(n)] = _boxes(ix[cell], iy[cell], cell_size)
        out[batch] = shapely.intersection(pieces[batch], shapely.union_all(table, axis=1))

    with work_pool() as pool:
        list(pool.map(cut, batches))
    return out


def _boxes(ix: I64, iy: I64, cell_size: float) -> npt.NDArray[np.object_]:
    return np.asarray(
        shapely.box(ix * cell_size, iy * cell_size, (ix + 1) * cell_size, (iy + 1) * cell_size),
        dtype=object,
    )


def cell_table(pieces: npt.NDArray[np.object_], cell_size: float) -> CellTable:
    """Cells of a grid anchored at the CRS origin cut from each piece.

    Identical pieces (the same geometry object, e.g. a parcel in the city and in its
    district) are computed once and share their cells' ``key``.

    Parameters
    ----------
    pieces
        Polygons in a projected CRS.
    cell_size
        The grid's cell side in metres.

    Returns
    -------
    CellTable

    Examples
    --------
    >>> table = cell_table(np.array([shapely.box(0, 0, 30, 20)]), 25.0)
    >>> table.area.tolist(), table.whole.tolist()
    ([500.0, 100.0], [False, False])
    >>> table.ix.tolist(), table.iy.tolist()
    ([0, 1], [0, 0])
    """
    pieces = np.asarray(pieces, dtype=object)
    if len(pieces) == 0:
        e = np.zeros(0, dtype=np.int64)
        f = np.zeros(0)
        return CellTable(e, e, e, f, f, f, np.zeros(0, dtype=bool), e)
    # the same geometry object (a parcel wholly inside the city and inside its district)
    codes, _ = pd.factorize(np.fromiter(map(id, pieces), dtype=np.int64, count=len(pieces)))
    first = np.unique(codes, return_index=True)[1]
    uniq = _unique_table(pieces[first], cell_size)
    # expand back to every piece, keeping piece order then cell order
    counts = np.bincount(uniq.piece, minlength=len(first))
    starts = np.cumsum(counts) - counts
    n = counts[codes]
    rows = np.repeat(starts[codes], n) + ranks(n)
    return CellTable(
        np.repeat(np.arange(len(pieces)), n),
        uniq.ix[rows],
        uniq.iy[rows],
        uniq.area[rows],
        uniq.x[rows],
        uniq.y[rows],
        uniq.whole[rows],
        rows,
    )


def _unique_table(geoms: npt.NDArray[np.object_], cell_size: float) -> CellTable:
    bounds = shapely.bounds(geoms)
    ix0 = np.floor(bounds[:, 0] / cell_size).astype(np.int64)
    iy0 = np.floor(bounds[:, 1] / cell_size).astype(np.int64)
    ix1 = np.floor(bounds[:, 2] / cell_size).astype(np.int64)
    iy1 = np.floor(bounds[:, 3] / cell_size).astype(np.int64)
    nx, ny = ix1 - ix0 + 1, iy1 - iy0 + 1
    counts = nx * ny
    owner = np.repeat(np.arange(len(geoms)), counts)
    offset = ranks(counts)
    cx = ix0[owner] + offset % nx[owner]
    cy = iy0[owner] + offset // nx[owner]
    n = len(owner)
    area = np.zeros(n)
    px = np.full(n, np.nan)
    py = np.full(n, np.nan)
    whole = np.zeros(n, dtype=bool)
    done = np.zeros(n, dtype=bool)

    simple = (shapely.get_type_id(geoms) == 3) & (shapely.get_num_interior_rings(geoms) == 0)
    rings = Rings(geoms, simple)
    fast = np.flatnonzero(simple[owner])
    # chunks of cells so that the (cell, edge) pairs stay within a bounded memory
    per_cell = rings.n_edges[owner[fast]]
    bounds_at = np.searchsorted(
        np.cumsum(per_cell), np.arange(1, 1 + per_cell.sum() // _CHUNK_PAIRS) * _CHUNK_PAIRS
    )

    def run(chunk: I64) -> None:
        with np.errstate(divide="ignore", invalid="ignore"):  # inf/nan are masked out
            fast_cells(
                rings, owner[chunk], cx[chunk], cy[chunk], cell_size, chunk,
                area, px, py, whole, done,
            )  # fmt: skip

    # chunks write disjoint rows; numpy releases the GIL, so two threads use two cores
    with work_pool() as pool:
        list(pool.map(run, [c for c in np.split(fast, bounds_at) if c.size]))

    slow = np.flatnonzero(~done)
    if slow.size:
        boxes = _boxes(cx[slow], cy[slow], cell_size)
        held, at = np.unique(owner[slow], return_inverse=True)
        owner_geoms = prepared_copies(geoms[held])[at]
        inside = shapely.contains_properly(owner_geoms, boxes)
        cells = boxes.copy()
        cut = ~inside
        cells[cut] = shapely.intersection(owner_geoms[cut], boxes[cut])
        area[slow] = shapely.area(cells)
        some = area[slow] > 0
        points = shapely.point_on_surface(cells[some])
        px[slow[some]] = shapely.get_x(points)
        py[slow[some]] = shapely.get_y(points)
        whole[slow] = inside
    keep = area > 0
    return CellTable(
        owner[keep], cx[keep], cy[keep], area[keep], px[keep], py[keep], whole[keep], owner[keep]
    )
