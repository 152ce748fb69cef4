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

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

__all__ = ["CellTable", "cell_table"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
_CHUNK_PAIRS = 60_000


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
    rows = np.repeat(starts[codes], n) + _ranks(n)
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


def _ranks(counts: I64) -> I64:
    """0..n-1 for each group of the given sizes, concatenated."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def _unique_table(geoms: npt.NDArray[np.object_], cell_size: float) -> CellTable:
    bounds = shapely.bounds(geoms)
    ix0 = np.floor(bounds[:, 0] / cell_size).astype(np.int64)
    iy0 = np.floor(bounds[:, 1] / cell_size).astype(np.int64)
    ix1 = np.floor(bounds[:, 2] / cell_size).astype(np.int64)
    iy1 = np.floor(bounds[:, 3] / cell_size).astype(np.int64)
    nx, ny = ix1 - ix0 + 1, iy1 - iy0 + 1
    counts = nx * ny
    owner = np.repeat(np.arange(len(geoms)), counts)
    offset = _ranks(counts)
    cx = ix0[owner] + offset % nx[owner]
    cy = iy0[owner] + offset // nx[owner]
    n = len(owner)
    area = np.zeros(n)
    px = np.full(n, np.nan)
    py = np.full(n, np.nan)
    whole = np.zeros(n, dtype=bool)
    done = np.zeros(n, dtype=bool)

    simple = (shapely.get_type_id(geoms) == 3) & (shapely.get_num_interior_rings(geoms) == 0)
    rings = _Rings(geoms, simple)
    fast_cells = np.flatnonzero(simple[owner])
    # chunks of cells so that the (cell, edge) pairs stay within a bounded memory
    per_cell = rings.n_edges[owner[fast_cells]]
    bounds_at = np.searchsorted(
        np.cumsum(per_cell), np.arange(1, 1 + per_cell.sum() // _CHUNK_PAIRS) * _CHUNK_PAIRS
    )

    def run(chunk: I64) -> None:
        with np.errstate(divide="ignore", invalid="ignore"):  # inf/nan are masked out
            _fast_cells(
                rings, owner[chunk], cx[chunk], cy[chunk], cell_size, chunk,
                area, px, py, whole, done,
            )  # fmt: skip

    # chunks write disjoint rows; numpy releases the GIL, so two threads use two cores
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(run, [c for c in np.split(fast_cells, bounds_at) if c.size]))

    slow = np.flatnonzero(~done)
    if slow.size:
        boxes = _boxes(cx[slow], cy[slow], cell_size)
        owner_geoms = geoms[owner[slow]]
        shapely.prepare(owner_geoms)
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


class _Rings:
    """Edges (x0, y0) → (x1, y1) of the exterior ring of each selected polygon."""

    def __init__(self, geoms: npt.NDArray[np.object_], selected: B) -> None:
        n_edges = np.zeros(len(geoms), dtype=np.int64)
        start = np.zeros(len(geoms), dtype=np.int64)
        sign = np.ones(len(geoms))
        idx = np.flatnonzero(selected)
        # single-ring polygons: their coordinates are the exterior ring's
        coords, ring = shapely.get_coordinates(geoms[idx], return_index=True)
        same = ring[1:] == ring[:-1]
        self.x0, self.y0 = coords[:-1, 0][same], coords[:-1, 1][same]
        self.x1, self.y1 = coords[1:, 0][same], coords[1:, 1][same]
        edge_ring = ring[:-1][same]
        per_ring = np.bincount(edge_ring, minlength=len(idx))
        n_edges[idx] = per_ring
        start[idx] = np.cumsum(per_ring) - per_ring
        # orientation from the shoelace sum taken about each ring's first vertex (in world
        # coordinates a thin sliver's sum drowns in rounding)
        ox = self.x0[start[idx]][edge_ring]
        oy = self.y0[start[idx]][edge_ring]
        cross = (self.x0 - ox) * (self.y1 - oy) - (self.x1 - ox) * (self.y0 - oy)
        twice_area = np.bincount(edge_ring, weights=cross, minlength=len(idx))
        sign[idx] = np.where(twice_area < 0, -1.0, 1.0)
        self.n_edges, self.start, self.sign = n_edges, start, sign
        self.y_min = np.minimum(self.y0, self.y1)
        self.y_max = np.maximum(self.y0, self.y1)


def _fast_cells(
    rings: _Rings,
    owner: I64,
    cx: I64,
    cy: I64,
    cs: float,
    rows: I64,
    area_out: F64,
    x_out: F64,
    y_out: F64,
    whole_out: B,
    done_out: B,
) -> None:
    """Area and interior point of ``ring ∩ square`` for cells whose answer is unambiguous."""
    n_cells = len(owner)
    ne = rings.n_edges[owner]
    cell = np.repeat(np.arange(n_cells), ne)
    edge = np.repeat(rings.start[owner], ne) + _ranks(ne)
    first = np.cumsum(ne) - ne
    # only edges reaching the cell's row [y0, y1] can matter (area, vertices, crossings, the
    # corner rays and the scan line all lie in it); keep one pair per cell in any case
    row_lo, row_hi = (cy * cs).astype(np.float64), ((cy + 1) * cs).astype(np.float64)
    keep = (rings.y_min[edge] <= row_hi[cell]) & (rings.y_max[edge] >= row_lo[cell])
    keep[first] = True
    cell, edge = cell[keep], edge[keep]
    first = np.searchsorted(cell, np.arange(n_cells))  # first pair of each cell

    def per_cell(v: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return np.add.reduceat(v, first)

    bx0 = (cx * cs).astype(np.float64)[cell]
    bx1 = ((cx + 1) * cs)[cell]
    by0 = (cy * cs).astype(np.float64)[cell]
    by1 = ((cy + 1) * cs)[cell]
    ax, ay, bx, by = rings.x0[edge], rings.y0[edge], rings.x1[edge], rings.y1[edge]
    dx, dy = bx - ax, by - ay

    # degenerate: a ring vertex on a grid line of this cell
    degenerate = per_cell(((ax == bx0) | (ax == bx1) | (ay == by0) | (ay == by1)).astype(np.int64))

    # Liang–Barsky: the part t ∈ [t_in, t_out] of the edge inside the square
    with np.errstate(divide="ignore", invalid="ignore"):
        tx_a, tx_b = (bx0 - ax) / dx, (bx1 - ax) / dx
        ty_a, ty_b = (by0 - ay) / dy, (by1 - ay) / dy
    inside_x = (ax > bx0) & (ax < bx1)
    inside_y = (ay > by0) & (ay < by1)
    tx_lo = np.where(dx == 0, np.where(inside_x, -np.inf, np.inf), np.minimum(tx_a, tx_b))
    tx_hi = np.where(dx == 0, np.where(inside_x, np.inf, -np.inf), np.maximum(tx_a, tx_b))
    ty_lo = np.where(dy == 0, np.where(inside_y, -np.inf, np.inf), np.minimum(ty_a, ty_b))
    ty_hi = np.where(dy == 0, np.where(inside_y, np.inf, -np.inf), np.maximum(ty_a, ty_b))
    t_in = np.maximum(np.maximum(tx_lo, ty_lo), 0.0)
    t_out = np.minimum(np.minimum(tx_hi, ty_hi), 1.0)
    crosses = t_in < t_out
    entry = crosses & (t_in > 0.0)
    leave = crosses & (t_out < 1.0)
    n_cross = per_cell(entry.astype(np.int64) + leave.astype(np.int64))

    # area by Green's theorem in cell-local coordinates
    lx0, lx1 = ax - bx0, bx - bx0
    ly0 = ay - by0
    ldx, ldy = lx1 - lx0, dy
    with np.errstate(divide="ignore", invalid="ignore"):
        ya, yb = (0.0 - ly0) / ldy, (cs - ly0) / ldy
        xa, xb = (0.0 - lx0) / ldx, (cs - lx0) / ldx
    tlo = np.clip(np.minimum(ya, yb), 0.0, 1.0)
    thi = np.clip(np.maximum(ya, yb), 0.0, 1.0)
    xa = np.where(ldx == 0, tlo, np.clip(xa, tlo, thi))
    xb = np.where(ldx == 0, tlo, np.clip(xb, tlo, thi))
    t1, t2 = np.minimum(xa, xb), np.maximum(xa, xb)
    contrib = np.zeros(len(cell))
    for lo, hi in ((tlo, t1), (t1, t2), (t2, thi)):
        mid = 0.5 * (lo + hi)
        g = np.clip(lx0 + mid * ldx, 0.0, cs)
        contrib += g * ldy * (hi - lo)
    contrib[ldy == 0] = 0.0
    area = per_cell(contrib) * rings.sign[owner]

    # square corners inside the ring (crossing parity of a ray to +x along each side's y)
    corner_y = []
    corners_in = np.zeros(n_cells, dtype=np.int64)
    for side_y in (by0, by1):
        spans = (ay > side_y) != (by > side_y)
        xr = ax + (side_y - ay) * dx / dy
        for side_x in (bx0, bx1):
            hit = per_cell((spans & (xr > side_x)).astype(np.int64)) % 2 == 1
            corners_in += hit
            corner_y.append(hit)
    cy0, cy1 = by0[first], by1[first]
    vertex_in = inside_x & inside_y
    n_vertex_in = per_cell(vertex_in.astype(np.int64))

    # y values of the vertices of ring ∩ square
    y_in = np.where(ty_lo == t_in, np.where(dy > 0, by0, by1), ay + t_in * dy)
    y_lv = np.where(ty_hi == t_out, np.where(dy > 0, by1, by0), ay + t_out * dy)
    yv = np.where(vertex_in, ay, np.nan)
    ye = np.where(entry, y_in, np.nan)
    yl = np.where(leave, y_lv, np.nan)
    bottom = corner_y[0] | corner_y[1]
    top = corner_y[2] | corner_y[3]

    def fmin(v: F64) -> F64:
        return np.fmin.reduceat(v, first)

    def fmax(v: F64) -> F64:
        return np.fmax.reduceat(v, first)

    min_y = np.fmin(np.fmin(fmin(yv), fmin(ye)), fmin(yl))
    max_y = np.fmax(np.fmax(fmax(yv), fmax(ye)), fmax(yl))
    min_y = np.where(bottom, cy0, min_y)
    max_y = np.where(top, cy1, max_y)
    centre = (min_y + max_y) / 2.0
    c = centre[cell]
    lo_y, hi_y = min_y.copy(), max_y.copy()
    for v in (yv, ye, yl):
        lo_y = np.fmax(lo_y, fmax(np.where(v <= c, v, np.nan)))
        hi_y = np.fmin(hi_y, fmin(np.where(v > c, v, np.nan)))
    scan = (lo_y + hi_y) / 2.0

    # crossings of the ring with the scan line, clipped to the square
    s = scan[cell]
    on_line = per_cell(((ay == s) | (by == s)).astype(np.int64))
    spans = ((ay > s) != (by > s)) & (dy != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = np.where(dx == 0, ax, ax + (s - ay) / (dy / dx))
    n_scan = per_cell(spans.astype(np.int64))
    left = fmin(np.where(spans, xs, np.nan))
    right = fmax(np.where(spans, xs, np.nan))
    sx0, sx1 = bx0[first], bx1[first]
    a = np.maximum(left, sx0)
    b = np.minimum(right, sx1)

    empty = (n_cross == 0) & (n_vertex_in == 0) & (corners_in == 0)
    is_whole = (n_cross == 0) & (n_vertex_in == 0) & (corners_in == 4)
    four = np.flatnonzero(n_cross[cell] == 4)
    one_piece = n_cross == 2
    if four.size:
        f = four
        one_piece[np.unique(cell[f])] = _one_piece(
            ax[f], ay[f], dx[f], dy[f], tx_lo[f], ty_lo[f], tx_hi[f], ty_hi[f], t_in[f],
            t_out[f], entry[f], leave[f], bx0[f], by0[f], rings.sign[owner][cell[f]], cs,
        )  # fmt: skip
    ok = (degenerate == 0) & ((n_cross == 0) | one_piece)
    ok &= empty | ((on_line == 0) & (n_scan == 2) & (a < b))
    ok &= ~((n_cross == 0) & ~empty & ~is_whole & (corners_in != 0))
    r = rows[ok]
    whole_area = (sx1 - sx0) * (cy1 - cy0)
    area_out[r] = np.where(empty[ok], 0.0, np.where(is_whole[ok], whole_area[ok], area[ok]))
    x_out[r] = ((a + b) / 2.0)[ok]
    y_out[r] = scan[ok]
    whole_out[r] = is_whole[ok]
    done_out[r] = True


def _one_piece(
    ax: F64,
    ay: F64,
    dx: F64,
    dy: F64,
    tx_lo: F64,
    ty_lo: F64,
    tx_hi: F64,
    ty_hi: F64,
    t_in: F64,
    t_out: F64,
    entry: B,
    leave: B,
    bx0: F64,
    by0: F64,
    sign: F64,
    cs: float,
) -> B:
    """For cells whose ring meets the square's boundary at four points (pairs of those cells,
    in ring order): is ``ring ∩ square`` one polygon? Leaving the square at the end of one
    inside arc, the square's boundary (walked with the ring's orientation) must reach the
    other arc's entry before its own."""
    # position of each crossing along the square's boundary, counter-clockwise from (x0, y0)
    x_in, y_in = ax + t_in * dx, ay + t_in * dy
    x_out, y_out = ax + t_out * dx, ay + t_out * dy
    vertical_in = tx_lo >= ty_lo
    vertical_out = tx_hi <= ty_hi
    p_in = np.where(
        vertical_in,
        np.where(dx > 0, 4 * cs - (y_in - by0), cs + (y_in - by0)),
        np.where(dy > 0, x_in - bx0, 3 * cs - (x_in - bx0)),
    )
    p_out = np.where(
        vertical_out,
        np.where(dx > 0, cs + (y_out - by0), 4 * cs - (y_out - by0)),
        np.where(dy > 0, 3 * cs - (x_out - bx0), x_out - bx0),
    )
    flags = np.stack([entry, leave], axis=1).ravel()
    events = np.flatnonzero(flags)
    is_entry = (events % 2 == 0).reshape(-1, 4)
    param = np.where(events % 2 == 0, p_in[events // 2], p_out[events // 2]).reshape(-1, 4)
    direction = np.stack([sign, sign], axis=1).ravel()[events].reshape(-1, 4)[:, 0]
    alternating = (is_entry[:, 0] == is_entry[:, 2]) & (is_entry[:, 1] == is_entry[:, 3])
    alternating &= is_entry[:, 0] != is_entry[:, 1]
    starts_in = is_entry[:, 0]
    # arcs A = (entry ea → exit xa) and B = (entry eb → exit xb), in ring order
    ea = np.where(starts_in, param[:, 0], param[:, 1])
    xa = np.where(starts_in, param[:, 1], param[:, 2])
    eb = np.where(starts_in, param[:, 2], param[:, 3])
    perimeter = 4 * cs
    to_own = np.mod((ea - xa) * direction, perimeter)
    to_other = np.mod((eb - xa) * direction, perimeter)
    out: B = alternating & (to_other < to_own)
    return out
