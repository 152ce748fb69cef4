"""Bounds on the area of road corridors inside a union of polygons, with rectangle clips only.

Each corridor (a line buffered with flat ends) is turned so that its chord, the line from its
first to its last point, runs along the x axis. In that frame, an axis-aligned rectangle holds
the whole corridor (its bounding box), and a narrower one lies inside it (checked against the
corridor's edges). Clipping the polygons to either rectangle walks each ring once (no overlay;
a polygon's box, turned, spares the walk where it cannot matter):

* the summed areas inside the outer rectangle bound the covered area from above (overlaps
  between the polygons are counted twice, and parts outside the corridor are counted too);
  for the corridors that leaves open, the same inside spans of it along the chord, each as
  high as the corridor within it (a bent corridor fills its box less);
* the largest single area inside the inner rectangle bounds it from below.

A measure that compares the covered share with a threshold needs the exact area only where the
threshold falls between the two.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gardencity.toolkit._ring_areas import (
    RingVertices,
    areas_in_bands,
    coordinates,
    ring_vertices,
)
from gardencity.toolkit.overlap import box_pairs, in_threads

__all__ = ["corridor_cover_settled", "red_line_buffers", "red_line_corridors", "red_line_rows"]

Objects = npt.NDArray[np.object_]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]


def red_line_corridors(lines: Objects, widths: Floats) -> tuple[Objects, Ints, Ints]:
    """The red-line corridors of road ``lines`` (each buffered by half its width, flat ends),
    one per distinct line and width (a road in a district is also a piece of the city zone):
    the corridors, the row of each one's line, and each line's corridor. Buffered on two
    threads, each line on its own: the same corridors as one call.

    >>> lines = np.array([shapely.LineString([(0, 0), (10, 0)])] * 2, dtype=object)
    >>> corridors, first, of = red_line_corridors(lines, np.array([4.0, 4.0]))
    >>> float(shapely.area(corridors[0])), first.tolist(), of.tolist()
    (40.0, [0], [0, 0])
    """
    first, again = red_line_rows(lines, widths)
    corridors = np.empty(len(first), dtype=object)

    def buffer(rows: slice) -> None:
        corridors[rows] = red_line_buffers(lines[first[rows]], widths[first[rows]])

    in_threads(buffer, len(first))
    return corridors, first, again


def red_line_rows(lines: Objects, widths: Floats) -> tuple[Ints, Ints]:
    """The corridors :func:`red_line_corridors` makes, without making them: the row of each
    one's line, and each line's corridor.

    >>> line = shapely.LineString([(0, 0), (10, 0)])
    >>> first, of = red_line_rows(np.array([line, line, line]), np.array([4.0, 6.0, 4.0]))
    >>> first.tolist(), of.tolist()
    ([0, 1], [0, 1, 0])
    """
    # a line repeated as the same object needs no WKB (pieces often share their line);
    # labels in order of first appearance, as factorizing every line's WKB gives
    same_object, _ = pd.factorize(np.fromiter(map(id, lines), np.int64, len(lines)))
    _, representative = np.unique(same_object, return_index=True)
    same_line = pd.factorize(shapely.to_wkb(lines[representative]))[0][same_object]
    same_width, width_values = pd.factorize(widths, use_na_sentinel=False)
    again, _ = pd.factorize(same_line.astype(np.int64) * len(width_values) + same_width)
    _, first = np.unique(again, return_index=True)
    return first, np.asarray(again, dtype=np.intp).reshape(-1)


def red_line_buffers(lines: Objects, widths: Floats) -> Objects:
    """The red-line corridor of each of ``lines`` of red-line ``widths`` (flat ends)."""
    return np.asarray(shapely.buffer(lines, widths / 2.0, cap_style="flat"), dtype=object)


class _Frames:
    """Per corridor: the chord's start point and direction (cosine, sine)."""

    def __init__(self, lines: Objects) -> None:
        xy, owner = coordinates(lines)
        counts = np.bincount(owner, minlength=len(lines))
        last = np.cumsum(counts) - 1
        first = last - counts + 1
        self.origin = xy[first]
        chord = xy[last] - self.origin
        length = np.hypot(chord[:, 0], chord[:, 1])
        flat = length == 0.0
        safe = np.where(flat, 1.0, length)
        self.cos = np.where(flat, 1.0, chord[:, 0] / safe)
        self.sin = np.where(flat, 0.0, chord[:, 1] / safe)

    def turned_xy(self, geoms: Objects) -> tuple[Floats, Ints]:
        """The coordinates of ``geoms[k]`` in the frame of corridor ``k``, and whose each is."""
        xy, owner = coordinates(geoms)
        return self.to_frame(xy, self.origin[owner], self.cos[owner], self.sin[owner]), owner

    @staticmethod
    def to_frame(xy: Floats, origin: Floats, cos: Floats, sin: Floats) -> Floats:
        """Points ``xy`` in the frames of the given origins and directions (one per point)."""
        x, y = xy[:, 0] - origin[:, 0], xy[:, 1] - origin[:, 1]
        return np.stack([x * cos + y * sin, y * cos - x * sin], axis=1)


def _per_owner_bounds(xy: Floats, owner: Ints, n: int) -> Floats:
    """``(xmin, ymin, xmax, ymax)`` of the points of each of ``n`` owners (NaN for none), as
    GEOS's envelopes are: the extremes of the coordinates."""
    out = np.full((n, 4), np.nan)
    counts = np.bincount(owner, minlength=n)
    some = counts > 0
    starts = (np.cumsum(counts) - counts)[some]  # the points come owner by owner
    out[some, :2] = np.minimum.reduceat(xy, starts, axis=0)
    out[some, 2:] = np.maximum.reduceat(xy, starts, axis=0)
    return out


def _inner_rectangles(
    half_widths: Floats, turned_lines: tuple[Floats, Ints]
) -> tuple[Floats, npt.NDArray[np.bool_]]:
    """Per corridor, in its frame: a rectangle ``(xmin, ymin, xmax, ymax)`` along the chord
    that may lie inside the corridor (to be checked), and whether it may; from the lines'
    coordinates in their frames and the line of each (``turned_lines``)."""
    xy, owner = turned_lines
    n = len(half_widths)
    low, high = np.full(n, np.inf), np.full(n, -np.inf)
    np.minimum.at(low, owner, xy[:, 1])
    np.maximum.at(high, owner, xy[:, 1])
    counts = np.bincount(owner, minlength=n)
    last = np.cumsum(counts) - 1
    first = last - counts + 1
    start = xy[np.minimum(first + 1, last)] - xy[first]
    end = xy[last] - xy[np.maximum(last - 1, first)]
    # the flat ends stand square to the end segments, not to the chord
    with np.errstate(divide="ignore", invalid="ignore"):
        start_tilt = np.abs(start[:, 1] / start[:, 0])
        end_tilt = np.abs(end[:, 1] / end[:, 0])
    span = np.nan_to_num(half_widths, nan=0.0)
    gap = span * 1e-6  # off the corridor's edges, which the turn moves by rounding
    rects = np.stack(
        [
            xy[first, 0] + span * start_tilt + gap,
            high - span + gap,
            xy[last, 0] - span * end_tilt - gap,
            low + span - gap,
        ],
        axis=1,
    )
    usable = np.isfinite(rects).all(axis=1) & (counts >= 2)
    usable &= (rects[:, 0] < rects[:, 2]) & (rects[:, 1] < rects[:, 3])
    return np.where(usable[:, None], rects, 0.0), usable


def _contain(
    corridors: Objects, turned: tuple[Floats, Ints], rects: Floats, rows: Ints
) -> npt.NDArray[np.bool_]:
    """Whether each of ``corridors[rows]``, turned into its frame (``turned``: the coordinates
    of all the corridors in their frames, and the corridor of each), contains its rectangle
    ``rects[rows]``: no edge of its rings meets the closed rectangle (their boxes do not meet,
    or the rectangle lies on one side of the edge's line) and the rectangle's centre is inside
    (an odd number of edges cross the line from the centre along x on its right)."""
    xy, owner = turned
    checked = np.zeros(len(corridors), dtype=bool)
    checked[rows] = True
    edge = np.flatnonzero(_edge_starts(corridors, owner) & checked[owner])
    own = owner[edge]
    x_low, x_high = rects[own, 0], rects[own, 2]
    y_low, y_high = rects[own, 1], rects[own, 3]
    x0, y0, x1, y1 = xy[edge, 0], xy[edge, 1], xy[edge + 1, 0], xy[edge + 1, 1]
    near = (np.minimum(x0, x1) <= x_high) & (np.maximum(x0, x1) >= x_low)
    near &= (np.minimum(y0, y1) <= y_high) & (np.maximum(y0, y1) >= y_low)
    # of those, the edges with the rectangle's corners all on one side (a nanometre off
    # their line, far beyond rounding) pass beside it
    k = np.flatnonzero(near)
    dx, dy = x1[k] - x0[k], y1[k] - y0[k]
    margin = 1e-9 * np.hypot(dx, dy)
    sides = [
        dx * (cy - y0[k]) - dy * (cx - x0[k])
        for cx in (x_low[k], x_high[k])
        for cy in (y_low[k], y_high[k])
    ]
    left = np.logical_and.reduce([side > margin for side in sides])
    right = np.logical_and.reduce([side < -margin for side in sides])
    near[k[left | right]] = False
    middle = (y_low + y_high) * 0.5
    crosses = (y0 > middle) != (y1 > middle)
    k = np.flatnonzero(crosses)  # where: beside the rectangle, well off its centre
    at = x0[k] + (middle[k] - y0[k]) * ((x1[k] - x0[k]) / (y1[k] - y0[k]))
    crosses[k] = at > (x_low[k] + x_high[k]) * 0.5
    n = len(corridors)
    touched = np.bincount(own, weights=near, minlength=n) > 0
    crossings = np.bincount(own, weights=crosses, minlength=n).astype(np.int64)
    return np.asarray((~touched & (crossings % 2 == 1))[rows], dtype=bool)


def _edge_starts(polygons: Objects, owner: Ints) -> npt.NDArray[np.bool_]:
    """Per coordinate of ``polygons`` (as :func:`coordinates` gives them, ``owner``: the
    polygon of each): whether an edge starts there (all but each ring's last)."""
    single = shapely.get_type_id(polygons) == shapely.GeometryType.POLYGON
    if (single & (shapely.get_num_interior_rings(polygons) == 0)).all():
        return np.append(owner[1:] == owner[:-1], False)  # one ring each
    return ring_vertices(polygons)[1]


def _valid(geoms: Objects) -> npt.NDArray[np.bool_]:
    """``shapely.is_valid`` on two threads."""
    out = np.zeros(len(geoms), dtype=bool)

    def check(part: slice) -> None:
        out[part] = shapely.is_valid(geoms[part])

    in_threads(check, len(geoms))
    return out


class _Pairs:
    """Each corridor beside each polygon whose box meets its box, and the polygon's area inside
    a rectangle of the corridor's (from the ring edges: no clipped geometry is built)."""

    def __init__(self, others: Objects, frames: _Frames, near: tuple[Ints, Ints]) -> None:
        self.corridor, self.other = near
        self.used = _present(self.other, len(others))
        position = np.zeros(len(others), dtype=np.intp)
        position[self.used] = np.arange(len(self.used))
        self.local = position[self.other]
        self.vertices = RingVertices(others[self.used])
        self.frames = frames
        self.area = shapely.area(others[self.used])
        other_box = shapely.bounds(others[self.used])[self.local]
        self.turned_box = _turned_boxes(other_box, frames, self.corridor)

    def bounds(self, rows: Ints, rects: Floats) -> tuple[Floats, npt.NDArray[np.bool_]]:
        """For the pairs ``rows``: a bound from above on the polygon's area inside its
        corridor's rectangle (its area, or that of its turned box inside the rectangle), and
        whether that bound is the area itself (the box wholly inside or outside)."""
        box, rect = self.turned_box[rows], rects[self.corridor[rows]]
        low, high = np.maximum(box, rect)[:, :2], np.minimum(box, rect)[:, 2:]
        meet = np.prod(np.clip(high - low, 0.0, None), axis=1)
        within = (box[:, :2] >= rect[:, :2]).all(axis=1) & (box[:, 2:] <= rect[:, 2:]).all(axis=1)
        return np.minimum(self.area[self.local[rows]], meet), within | (meet == 0.0)

    def areas(self, rows: Ints, rects: Floats) -> Floats:
        """For the pairs ``rows``: the area of the polygon inside its corridor's rectangle."""
        out = np.zeros(len(rows))
        if not len(rows):
            return out
        vertices, frames = self.vertices, self.frames
        vertices.take(self.local[rows])
        per_row = max(1.0, float(vertices.count[self.local[rows]].mean()))
        per_chunk = max(1, min(int(2e5 // per_row), -(-len(rows) // 8)))  # both threads busy

        def chunk(part: slice) -> None:
            owner, polygon = self.corridor[rows[part]], self.local[rows[part]]
            vertex, pair = vertices.rows(polygon)
            counts = vertices.count[polygon]
            cos, sin = np.repeat(frames.cos[owner], counts), np.repeat(frames.sin[owner], counts)
            x = vertices.x[vertex] - np.repeat(frames.origin[owner, 0], counts)
            y = vertices.y[vertex] - np.repeat(frames.origin[owner, 1], counts)
            turned_x = x * cos + y * sin
            # each edge's part within its rectangle's x range; the others add nothing
            rect = rects[owner]
            low, high = np.repeat(rect[:, 0], counts)[:-1], np.repeat(rect[:, 2], counts)[:-1]
            a = np.minimum(np.maximum(turned_x[:-1], low), high)
            b = np.minimum(np.maximum(turned_x[1:], low), high)
            edge = np.flatnonzero(vertices.starts[vertex[:-1]] & (a != b))
            end, turn = edge + 1, (cos[edge], sin[edge])
            ends = (
                turned_x[edge],
                y[edge] * turn[0] - x[edge] * turn[1],
                turned_x[end],
                y[end] * turn[0] - x[end] * turn[1],
            )
            group = pair[edge]
            bands = (rect[group, 1], rect[group, 3])
            weight = vertices.weight[vertex[edge]]
            out[part] = areas_in_bands((a[edge], b[edge]), ends, weight, bands, group, len(owner))

        in_threads(chunk, len(rows), chunk=per_chunk)
        return out


def _turned_boxes(boxes: Floats, frames: _Frames, owner: Ints) -> Floats:
    """Each of ``boxes`` ``(xmin, ymin, xmax, ymax)`` turned into the frame of its corridor
    ``owner``: the box of its turned corners, widened by a micrometre for the turn's rounding
    (whatever the box holds, the turned box holds)."""
    origin, cos, sin = frames.origin[owner], frames.cos[owner], frames.sin[owner]
    corners = [
        frames.to_frame(boxes[:, k], origin, cos, sin) for k in ([0, 1], [2, 1], [0, 3], [2, 3])
    ]
    x, y = np.stack([c[:, 0] for c in corners]), np.stack([c[:, 1] for c in corners])
    gap = 1e-6
    return np.stack([x.min(0) - gap, y.min(0) - gap, x.max(0) + gap, y.max(0) + gap], axis=1)


def corridor_cover_settled(
    lines: Objects,
    half_widths: Floats,
    corridors: Objects,
    others: Objects,
    reaches: Floats,
    below: Floats,
    near: tuple[Ints, Ints] | None = None,
) -> npt.NDArray[np.int8]:
    """Per corridor: 1 where its area inside the union of ``others`` surely reaches
    ``reaches``, -1 where it is surely less than ``below``, 0 where only an overlay tells.

    ``corridors`` are ``lines`` buffered by ``half_widths`` with flat ends (any polygons that
    hold those rectangles would do: the inner rectangle is checked, the outer is their box).
    Only valid polygons settle a corridor (an invalid one's area is not to be trusted).
    ``near``: the corridors and ``others`` whose boxes meet, if already found
    (:func:`~gardencity.toolkit.overlap.box_pairs`).

    Examples
    --------
    >>> line = np.array([shapely.LineString([(0, 0), (100, 100)])])
    >>> corridor = shapely.buffer(line, 10.0, cap_style="flat")
    >>> strip = shapely.buffer(line, 3.0, cap_style="flat")   # 30 % of the corridor
    >>> def settled(share):
    ...     need = np.array([share * shapely.area(corridor[0])])
    ...     return int(corridor_cover_settled(line, np.array([10.0]), corridor, strip, need,
    ...         need)[0])
    >>> settled(0.29), settled(0.31), settled(0.3)
    (1, -1, 0)
    """
    n = len(corridors)
    verdict = np.zeros(n, dtype=np.int8)
    others = np.asarray(others, dtype=object)
    if n == 0:
        return verdict
    near = box_pairs(corridors, others) if near is None else near
    if len(near[0]) == 0:
        return np.where(below > 0.0, -1, np.where(reaches <= 0.0, 1, 0)).astype(np.int8)
    frames = _Frames(lines)
    corridor_xy, corridor_of = frames.turned_xy(corridors)
    outer = _per_owner_bounds(corridor_xy, corridor_of, n)
    inner, inside = _inner_rectangles(half_widths, frames.turned_xy(lines))
    rows = np.flatnonzero(inside)
    inside[rows] = _contain(corridors, (corridor_xy, corridor_of), inner, rows)
    inner[~inside] = 0.0
    pairs = _Pairs(others, frames, near)
    # from below first (the inner rectangles, narrower, cut fewer edges), each corridor's
    # likeliest polygon first, then from above where that did not settle the corridor
    pair_lower = np.zeros(len(pairs.corridor))
    can, rank = _lower_candidates(pairs, inside, reaches, inner)
    for chosen in (rank == 0, rank == 1, rank >= 2):
        _settle_from_below(pairs, inner, can & chosen, reaches, verdict, pair_lower)
    _settle_from_above(pairs, [outer], below, verdict)
    # the rest again, each corridor in spans along its chord (a bent one fills its box less)
    spans = _spans(corridors, (corridor_xy, corridor_of), outer, verdict == 0, 8)
    _settle_from_above(pairs, spans, below, verdict)
    # what a verdict rests on must be valid polygons
    best = np.zeros(len(pairs.corridor), dtype=bool)
    best[_argmax_per(pairs.corridor, pair_lower)] = True
    rests = ((verdict[pairs.corridor] == 1) & best) | (verdict[pairs.corridor] == -1)
    rows = np.flatnonzero(rests)
    checked = _present(pairs.other[rows], len(others))
    sound = np.ones(len(others), dtype=bool)
    sound[checked] = _valid(others[checked])
    verdict[pairs.corridor[rows[~sound[pairs.other[rows]]]]] = 0
    return verdict


def _lower_candidates(
    pairs: _Pairs, inside: npt.NDArray[np.bool_], reaches: Floats, inner: Floats
) -> tuple[npt.NDArray[np.bool_], Ints]:
    """The pairs whose polygon may settle its corridor from below (only one whose bound from
    above inside the ``inner`` rectangle reaches ``reaches`` can), and each pair's rank among
    its corridor's, likeliest first (the largest bound; equal ones in pair order): 0, 1, or 2
    for any further one."""
    own = pairs.corridor
    most, _ = pairs.bounds(np.arange(len(own)), inner)
    can = inside[own] & (most * (1.0 + 1e-9) >= reaches[own])
    likely = np.where(can, most, -1.0)
    rank = np.full(len(own), 2, dtype=np.intp)
    best = _argmax_per(own, likely)
    rank[best] = 0
    rest = np.flatnonzero(rank != 0)
    rank[rest[_argmax_per(own[rest], likely[rest])]] = 1
    return can, rank


def _settle_from_below(
    pairs: _Pairs,
    inner: Floats,
    chosen: npt.NDArray[np.bool_],
    reaches: Floats,
    verdict: npt.NDArray[np.int8],
    pair_lower: Floats,
) -> None:
    """Set ``verdict`` to 1 for the open corridors where one polygon's area inside the inner
    rectangle reaches ``reaches`` (``pair_lower``: those areas, for the ``chosen`` pairs of
    open corridors)."""
    rows = np.flatnonzero(chosen & (verdict[pairs.corridor] == 0))
    pair_lower[rows] = pairs.areas(rows, inner)
    lower = np.zeros(len(verdict))
    np.maximum.at(lower, pairs.corridor, pair_lower)
    verdict[(verdict == 0) & (lower >= reaches)] = 1


def _settle_from_above(
    pairs: _Pairs, rects: list[Floats], below: Floats, verdict: npt.NDArray[np.int8]
) -> None:
    """Set ``verdict`` to -1 for the open corridors where the summed areas of the polygons
    inside the rectangles (``rects``: each a rectangle per corridor; together they hold it)
    stay under ``below``."""
    rows = np.flatnonzero(verdict[pairs.corridor] == 0)
    upper = np.full(len(verdict), np.inf)
    upper[verdict == 0] = 0.0
    for rect in rects:
        most, known = pairs.bounds(rows, rect)
        most[~known] = pairs.areas(rows[~known], rect)
        np.add.at(upper, pairs.corridor[rows], most)
    verdict[upper < below] = -1


def _spans(
    corridors: Objects,
    turned: tuple[Floats, Ints],
    outer: Floats,
    chosen: npt.NDArray[np.bool_],
    k: int,
) -> list[Floats]:
    """For the ``chosen`` corridors (turned: their coordinates in their frames, and the
    corridor of each): ``k`` rectangles that together hold each, its ``outer`` rectangle cut
    into equal spans along x, each as high as the corridor's edges within it (a micrometre
    more, for rounding); empty ones for the others."""
    xy, owner = turned
    edge = np.flatnonzero(_edge_starts(corridors, owner) & chosen[owner])
    own = owner[edge]
    x0, y0, x1, y1 = xy[edge, 0], xy[edge, 1], xy[edge + 1, 0], xy[edge + 1, 1]
    upright = x0 == x1
    slope = np.where(upright, 0.0, (y1 - y0) / np.where(upright, 1.0, x1 - x0))
    width = (outer[:, 2] - outer[:, 0]) / k
    out = []
    for j in range(k):
        low = outer[:, 0] + j * width
        high = outer[:, 2] if j == k - 1 else low + width
        a = np.maximum(np.minimum(x0, x1), low[own])
        b = np.minimum(np.maximum(x0, x1), high[own])
        met = a <= b
        ya = np.where(upright, y0, y0 + (a - x0) * slope)[met]
        yb = np.where(upright, y1, y0 + (b - x0) * slope)[met]
        bottom, top = np.full(len(outer), np.inf), np.full(len(outer), -np.inf)
        np.minimum.at(bottom, own[met], np.minimum(ya, yb))
        np.maximum.at(top, own[met], np.maximum(ya, yb))
        rect = np.stack([low - 1e-6, bottom - 1e-6, high + 1e-6, top + 1e-6], axis=1)
        out.append(np.where((chosen & (bottom <= top))[:, None], rect, 0.0))
    return out


def _present(values: Ints, n: int) -> Ints:
    """The distinct ``values`` (each below ``n``), sorted: ``np.unique`` without a sort."""
    seen = np.zeros(n, dtype=bool)
    seen[values] = True
    return np.flatnonzero(seen)


def _argmax_per(group: npt.NDArray[np.intp], values: Floats) -> npt.NDArray[np.intp]:
    """Per group present: the row of its largest value (the first of equal ones)."""
    if not np.isnan(values).any():  # the rows holding their group's largest, first of each
        largest = np.full(int(group.max(initial=-1)) + 1, -np.inf)
        np.maximum.at(largest, group, values)
        rows = np.flatnonzero(values == largest[group])
        return np.asarray(rows[np.unique(group[rows], return_index=True)[1]], dtype=np.intp)
    order = np.lexsort((-values, group))
    first = np.ones(len(order), dtype=bool)  # none for no rows
    first[1:] = np.diff(group[order]) != 0
    return np.asarray(order[first], dtype=np.intp)
