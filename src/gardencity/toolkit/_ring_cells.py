"""The numpy route of :func:`gardencity.toolkit.cells.cell_table`: area and interior point of
``ring ∩ square`` for every cell of single-ring polygons at once (see the module docstring
of :mod:`gardencity.toolkit.cells` for the method)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

__all__ = ["Rings", "fast_cells", "ranks"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


def ranks(counts: I64) -> I64:
    """0..n-1 for each group of the given sizes, concatenated."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


class Rings:
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


@dataclass
class _Pairs:
    """The (cell, ring edge) pairs of a batch of cells that can matter, with the cell's square
    ``[bx0, bx1] × [by0, by1]`` and the edge ``(ax, ay) → (bx, by)`` of each pair."""

    cell: I64
    edge: I64
    first: I64  # first pair of each cell
    bx0: F64
    bx1: F64
    by0: F64
    by1: F64
    ax: F64
    ay: F64
    bx: F64
    by: F64
    dx: F64
    dy: F64

    @classmethod
    def of(cls, rings: Rings, owner: I64, cx: I64, cy: I64, cs: float) -> _Pairs:
        n_cells = len(owner)
        ne = rings.n_edges[owner]
        cell = np.repeat(np.arange(n_cells), ne)
        edge = np.repeat(rings.start[owner], ne) + ranks(ne)
        first = np.cumsum(ne) - ne
        # only edges reaching the cell's row [y0, y1] can matter (area, vertices, crossings,
        # the corner rays and the scan line all lie in it); keep one pair per cell in any case
        row_lo, row_hi = (cy * cs).astype(np.float64), ((cy + 1) * cs).astype(np.float64)
        keep = (rings.y_min[edge] <= row_hi[cell]) & (rings.y_max[edge] >= row_lo[cell])
        keep[first] = True
        cell, edge = cell[keep], edge[keep]
        ax, ay, bx, by = rings.x0[edge], rings.y0[edge], rings.x1[edge], rings.y1[edge]
        return cls(
            cell=cell,
            edge=edge,
            first=np.searchsorted(cell, np.arange(n_cells)),
            bx0=(cx * cs).astype(np.float64)[cell],
            bx1=((cx + 1) * cs)[cell],
            by0=(cy * cs).astype(np.float64)[cell],
            by1=((cy + 1) * cs)[cell],
            ax=ax,
            ay=ay,
            bx=bx,
            by=by,
            dx=bx - ax,
            dy=by - ay,
        )

    def per_cell(self, v: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return np.add.reduceat(v, self.first)

    def count(self, flags: B) -> I64:
        counts: I64 = self.per_cell(flags.astype(np.int64))
        return counts

    def fmin(self, v: F64) -> F64:
        return np.fmin.reduceat(v, self.first)

    def fmax(self, v: F64) -> F64:
        return np.fmax.reduceat(v, self.first)


@dataclass
class _Clip:
    """Liang–Barsky: the part ``t ∈ [t_in, t_out]`` of each pair's edge inside the square."""

    tx_lo: F64
    tx_hi: F64
    ty_lo: F64
    ty_hi: F64
    t_in: F64
    t_out: F64
    entry: B  # the edge enters the square
    leave: B  # the edge leaves the square
    vertex_in: B  # the edge's start lies strictly inside the square

    @classmethod
    def of(cls, p: _Pairs) -> _Clip:
        with np.errstate(divide="ignore", invalid="ignore"):
            tx_a, tx_b = (p.bx0 - p.ax) / p.dx, (p.bx1 - p.ax) / p.dx
            ty_a, ty_b = (p.by0 - p.ay) / p.dy, (p.by1 - p.ay) / p.dy
        inside_x = (p.ax > p.bx0) & (p.ax < p.bx1)
        inside_y = (p.ay > p.by0) & (p.ay < p.by1)
        tx_lo = np.where(p.dx == 0, np.where(inside_x, -np.inf, np.inf), np.minimum(tx_a, tx_b))
        tx_hi = np.where(p.dx == 0, np.where(inside_x, np.inf, -np.inf), np.maximum(tx_a, tx_b))
        ty_lo = np.where(p.dy == 0, np.where(inside_y, -np.inf, np.inf), np.minimum(ty_a, ty_b))
        ty_hi = np.where(p.dy == 0, np.where(inside_y, np.inf, -np.inf), np.maximum(ty_a, ty_b))
        t_in = np.maximum(np.maximum(tx_lo, ty_lo), 0.0)
        t_out = np.minimum(np.minimum(tx_hi, ty_hi), 1.0)
        crosses = t_in < t_out
        return cls(
            tx_lo, tx_hi, ty_lo, ty_hi, t_in, t_out,
            crosses & (t_in > 0.0), crosses & (t_out < 1.0), inside_x & inside_y,
        )  # fmt: skip


def _ring_area(p: _Pairs, cs: float) -> F64:
    """Signed area of ``ring ∩ square`` per cell, by Green's theorem in cell-local coordinates
    (the ring's orientation decides the sign)."""
    lx0, lx1 = p.ax - p.bx0, p.bx - p.bx0
    ly0 = p.ay - p.by0
    ldx, ldy = lx1 - lx0, p.dy
    with np.errstate(divide="ignore", invalid="ignore"):
        ya, yb = (0.0 - ly0) / ldy, (cs - ly0) / ldy
        xa, xb = (0.0 - lx0) / ldx, (cs - lx0) / ldx
    tlo = np.clip(np.minimum(ya, yb), 0.0, 1.0)
    thi = np.clip(np.maximum(ya, yb), 0.0, 1.0)
    xa = np.where(ldx == 0, tlo, np.clip(xa, tlo, thi))
    xb = np.where(ldx == 0, tlo, np.clip(xb, tlo, thi))
    t1, t2 = np.minimum(xa, xb), np.maximum(xa, xb)
    contrib = np.zeros(len(p.cell))
    for lo, hi in ((tlo, t1), (t1, t2), (t2, thi)):
        mid = 0.5 * (lo + hi)
        g = np.clip(lx0 + mid * ldx, 0.0, cs)
        contrib += g * ldy * (hi - lo)
    contrib[ldy == 0] = 0.0
    area: F64 = p.per_cell(contrib)
    return area


def _corners_inside(p: _Pairs, n_cells: int) -> tuple[I64, B, B]:
    """Per cell: how many square corners lie inside the ring (crossing parity of a ray to +x
    along each side's y), and whether a bottom / a top corner does."""
    corner_y = []
    corners_in = np.zeros(n_cells, dtype=np.int64)
    for side_y in (p.by0, p.by1):
        spans = (p.ay > side_y) != (p.by > side_y)
        xr = p.ax + (side_y - p.ay) * p.dx / p.dy
        for side_x in (p.bx0, p.bx1):
            hit = p.count(spans & (xr > side_x)) % 2 == 1
            corners_in += hit
            corner_y.append(hit)
    return corners_in, corner_y[0] | corner_y[1], corner_y[2] | corner_y[3]


def _scan_y(p: _Pairs, clip: _Clip, bottom: B, top: B) -> F64:
    """GEOS's scan line per cell: halfway between the vertex ``y`` values of ``ring ∩ square``
    nearest the middle of their range."""
    y_in = np.where(
        clip.ty_lo == clip.t_in, np.where(p.dy > 0, p.by0, p.by1), p.ay + clip.t_in * p.dy
    )
    y_lv = np.where(
        clip.ty_hi == clip.t_out, np.where(p.dy > 0, p.by1, p.by0), p.ay + clip.t_out * p.dy
    )
    # each pair's vertex y values (NaN where it has none): the ring vertex inside, the entry
    # and the exit; a pair has at most one of each. Minima and maxima pick values without
    # rounding, so each is taken over the pair's values first, then over the cell's pairs.
    yv = np.where(clip.vertex_in, p.ay, np.nan)
    ye = np.where(clip.entry, y_in, np.nan)
    yl = np.where(clip.leave, y_lv, np.nan)
    low = np.fmin(np.fmin(yv, ye), yl)
    high = np.fmax(np.fmax(yv, ye), yl)
    min_y = np.where(bottom, p.by0[p.first], p.fmin(low))
    max_y = np.where(top, p.by1[p.first], p.fmax(high))
    c = ((min_y + max_y) / 2.0)[p.cell]
    # the vertex y nearest the centre from below (at most c) and from above
    below = np.fmax(np.fmax(_at_most(yv, c), _at_most(ye, c)), _at_most(yl, c))
    above = np.fmin(np.fmin(_above(yv, c), _above(ye, c)), _above(yl, c))
    lo_y = np.fmax(min_y, p.fmax(below))
    hi_y = np.fmin(max_y, p.fmin(above))
    scan: F64 = (lo_y + hi_y) / 2.0
    return scan


def _at_most(v: F64, c: F64) -> F64:
    return np.where(v <= c, v, np.nan)


def _above(v: F64, c: F64) -> F64:
    return np.where(v > c, v, np.nan)


def _scan_crossings(p: _Pairs, scan: F64) -> tuple[I64, I64, F64, F64]:
    """Per cell: ring vertices on the scan line, ring crossings of it, and the crossings'
    extent ``[a, b]`` clipped to the square."""
    s = scan[p.cell]
    on_line = p.count((p.ay == s) | (p.by == s))
    spans = ((p.ay > s) != (p.by > s)) & (p.dy != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = np.where(p.dx == 0, p.ax, p.ax + (s - p.ay) / (p.dy / p.dx))
    left = p.fmin(np.where(spans, xs, np.nan))
    right = p.fmax(np.where(spans, xs, np.nan))
    a = np.maximum(left, p.bx0[p.first])
    b = np.minimum(right, p.bx1[p.first])
    return on_line, p.count(spans), a, b


def fast_cells(
    rings: Rings,
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
    p = _Pairs.of(rings, owner, cx, cy, cs)
    # degenerate: a ring vertex on a grid line of this cell
    degenerate = p.count((p.ax == p.bx0) | (p.ax == p.bx1) | (p.ay == p.by0) | (p.ay == p.by1))
    clip = _Clip.of(p)
    n_cross = p.per_cell(clip.entry.astype(np.int64) + clip.leave.astype(np.int64))
    area = _ring_area(p, cs) * rings.sign[owner]
    corners_in, bottom, top = _corners_inside(p, n_cells)
    n_vertex_in = p.count(clip.vertex_in)
    scan = _scan_y(p, clip, bottom, top)
    on_line, n_scan, a, b = _scan_crossings(p, scan)

    empty = (n_cross == 0) & (n_vertex_in == 0) & (corners_in == 0)
    is_whole = (n_cross == 0) & (n_vertex_in == 0) & (corners_in == 4)
    four = np.flatnonzero(n_cross[p.cell] == 4)
    one_piece = n_cross == 2
    if four.size:
        f, c = four, clip
        one_piece[np.unique(p.cell[f])] = _one_piece(
            p.ax[f], p.ay[f], p.dx[f], p.dy[f], c.tx_lo[f], c.ty_lo[f], c.tx_hi[f],
            c.ty_hi[f], c.t_in[f], c.t_out[f], c.entry[f], c.leave[f], p.bx0[f], p.by0[f],
            rings.sign[owner][p.cell[f]], cs,
        )  # fmt: skip
    ok = (degenerate == 0) & ((n_cross == 0) | one_piece)
    ok &= empty | ((on_line == 0) & (n_scan == 2) & (a < b))
    ok &= ~((n_cross == 0) & ~empty & ~is_whole & (corners_in != 0))
    r = rows[ok]
    sx0, sx1, cy0, cy1 = p.bx0[p.first], p.bx1[p.first], p.by0[p.first], p.by1[p.first]
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
