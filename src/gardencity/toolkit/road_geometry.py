"""Road geometry for the road measures: points along the axes, and sampling the slow-lane bands
along both sides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gardencity.io.threads import work_pool

__all__ = ["DEFAULT_RED_LINE_M", "LineAxes", "side_bins"]

# Red-line width assumed where the data gives none (typical CJJ 37 cross-sections).
DEFAULT_RED_LINE_M = {
    "expressway": 50.0,
    "arterial": 45.0,
    "secondary": 30.0,
    "branch": 16.0,
    "other": 8.0,
}

PointTest = Callable[[npt.NDArray[np.float64], npt.NDArray[np.float64]], npt.NDArray[np.bool_]]


class LineAxes:
    """Points at distances along many LineStrings, computed in numpy exactly as GEOS does.

    ``shapely.line_interpolate_point`` walks a line's segments and makes a Point object for
    every point; for millions of samples along the roads that was most of the work. Here the
    cumulative vertex distances are summed once per line in GEOS's order
    (``total += sqrt(dx² + dy²)``), a distance is placed on the first segment whose end lies
    beyond it, and the point is ``p0 + (p1 − p0) × fraction``: the floating-point operations
    of GEOS's ``LengthIndexedLine.extractPoint``, so the coordinates are the same.

    >>> axes = LineAxes(np.array([shapely.LineString([(0, 0), (10, 0), (10, 10)])]))
    >>> axes.points(np.array([0, 0, 0]), np.array([5.0, 15.0, 99.0])).tolist()
    [[5.0, 0.0], [10.0, 5.0], [10.0, 10.0]]
    """

    def __init__(self, lines: npt.NDArray[np.object_]) -> None:
        # the same as get_coordinates(..., return_index=True), several times faster
        coords = shapely.get_coordinates(lines)
        line_of = np.repeat(np.arange(len(lines)), shapely.get_num_coordinates(lines))
        count = np.bincount(line_of, minlength=len(lines))
        if len(lines) and count.min() < 2:
            raise ValueError("LineAxes needs non-empty LineStrings (explode multi-parts first).")
        self.xy = coords
        self.x, self.y = np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1])
        self.first = np.cumsum(count) - count
        self.last = self.first + count - 1
        d = coords[1:] - coords[:-1]
        self.seg = np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1])
        # p1 − p0 of the segment from each vertex (0 after a line's last vertex)
        self.dx, self.dy = np.append(d[:, 0], 0.0), np.append(d[:, 1], 0.0)
        # cum[v]: distance along the line to vertex v, added segment by segment as GEOS does
        # (vertices of the same rank in every line at once).
        self.cum = np.zeros(len(coords))
        rank = np.arange(len(coords)) - self.first[line_of]
        order = np.argsort(rank, kind="stable")
        starts = np.searchsorted(rank[order], np.arange(int(rank.max(initial=0)) + 2))
        for r in range(1, len(starts) - 1):
            v = order[starts[r] : starts[r + 1]]
            self.cum[v] = self.cum[v - 1] + self.seg[v - 1]
        # One increasing key over all vertices (lines laid end to end, 1 m apart) for a first
        # guess by ``searchsorted``; the guess is then corrected with exact comparisons.
        total = self.cum[self.last] + 1.0
        self.base = np.cumsum(total) - total
        self.key = self.cum + self.base[line_of]

    def subset(self, lines: npt.NDArray[np.int64]) -> LineAxes:
        """The axes of ``lines`` (in increasing order) alone: the same points and parts as
        axes built from those lines, without summing their distances again."""
        count = self.last[lines] - self.first[lines] + 1
        first = np.cumsum(count) - count
        vertex = np.repeat(self.first[lines] - first, count) + np.arange(int(count.sum()))
        out = LineAxes.__new__(LineAxes)
        out.xy, out.x, out.y = self.xy[vertex], self.x[vertex], self.y[vertex]
        out.first, out.last = first, first + count - 1
        # a line's last vertex starts no segment: what these hold there is never read
        out.seg, out.dx, out.dy = (
            np.append(self.seg, 0.0)[vertex[:-1]],
            self.dx[vertex],
            self.dy[vertex],
        )
        out.cum = self.cum[vertex]
        total = out.cum[out.last] + 1.0
        out.base = np.cumsum(total) - total
        out.key = out.cum + np.repeat(out.base, count)
        return out

    def points(
        self,
        line: npt.NDArray[np.int64],
        distance: npt.NDArray[np.float64],
        chunk: int = 1 << 17,
    ) -> npt.NDArray[np.float64]:
        """``(n, 2)`` coordinates of the points ``distance`` (≥ 0) along the lines ``line``
        (``chunk`` points at a time: small working arrays)."""
        if len(line) <= chunk:
            return self._points(line, distance)
        out = np.empty((len(line), 2))
        for i in range(0, len(line), chunk):
            out[i : i + chunk] = self._points(line[i : i + chunk], distance[i : i + chunk])
        return out

    def substrings(
        self,
        line: npt.NDArray[np.int64],
        start: npt.NDArray[np.float64],
        end: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.object_]:
        """The part of each line ``line`` between the distances ``start < end`` along it, as
        LineStrings: the end points as :meth:`points` places them and the line's own vertices
        in between (no more vertices than the line has there).

        >>> axes = LineAxes(np.array([shapely.LineString([(0, 0), (10, 0), (10, 10)])]))
        >>> [g.wkt for g in axes.substrings(np.array([0, 0]), np.array([5.0, 12.0]),
        ...     np.array([15.0, 14.0]))]
        ['LINESTRING (5 0, 10 0, 10 5)', 'LINESTRING (10 2, 10 4)']
        """
        line = np.asarray(line, dtype=np.int64)
        first, last = self.first[line], self.last[line]
        # interior vertices v: start < cum[v] < end (a guess by searchsorted, then exact steps)
        lo = np.clip(np.searchsorted(self.key, start + self.base[line], side="right"), first, last)
        hi = np.clip(np.searchsorted(self.key, end + self.base[line], side="left"), first, last)
        for bound, limit, inside in ((lo, start, True), (hi, end, False)):
            back = np.flatnonzero((bound > first) & (self.cum[bound - 1] > limit if inside
                                  else self.cum[bound - 1] >= limit))  # fmt: skip
            while back.size:
                bound[back] -= 1
                b = bound[back]
                ok = (b > first[back]) & (
                    self.cum[b - 1] > limit[back] if inside else self.cum[b - 1] >= limit[back]
                )
                back = back[ok]
            on = np.flatnonzero((bound <= last) & (self.cum[bound] <= limit if inside
                                else self.cum[bound] < limit))  # fmt: skip
            while on.size:
                bound[on] += 1
                b = np.minimum(bound[on], last[on])
                ok = (bound[on] <= last[on]) & (
                    self.cum[b] <= limit[on] if inside else self.cum[b] < limit[on]
                )
                on = on[ok]
        inner = np.maximum(hi - lo, 0)
        count = inner + 2
        owner = np.repeat(np.arange(len(line)), count)
        rank = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        xy = np.empty((len(owner), 2))
        is_start, is_end = rank == 0, rank == count[owner] - 1
        xy[is_start] = self.points(line, start)
        xy[is_end] = self.points(line, end)
        middle = ~is_start & ~is_end
        xy[middle] = self.xy[lo[owner[middle]] + rank[middle] - 1]
        return np.asarray(shapely.linestrings(xy, indices=owner), dtype=object)

    def _points(
        self,
        line: npt.NDArray[np.int64],
        distance: npt.NDArray[np.float64],
        guess: npt.NDArray[np.int64] | None = None,
    ) -> npt.NDArray[np.float64]:
        return self._points_on_segments(line, distance, guess)[0]

    def _points_on_segments(
        self,
        line: npt.NDArray[np.int64],
        distance: npt.NDArray[np.float64],
        guess: npt.NDArray[np.int64] | None = None,
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """The points, and the end vertex ``w`` of each one's segment: the first vertex after
        the line's start with ``cum[w] > distance``. ``guess``: ``w`` of points close by
        (corrected by exact steps, so the points are the same as without it)."""
        x, y, w = self._xy_on_segments(line, distance, guess)
        return np.column_stack([x, y]), w

    def _xy_on_segments(
        self,
        line: npt.NDArray[np.int64],
        distance: npt.NDArray[np.float64],
        guess: npt.NDArray[np.int64] | None = None,
        ends: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None,
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """:meth:`_points_on_segments` with the coordinates apart; ``ends``: the first and last
        vertex of each point's line, if already at hand."""
        first, last = (self.first[line], self.last[line]) if ends is None else ends
        if guess is None and len(line):
            # within the vertices of the lines asked for (no other vertex lies between)
            lo, hi = int(first.min()), int(last.max()) + 1
            w = lo + np.searchsorted(self.key[lo:hi], distance + self.base[line], side="right")
        elif guess is None:
            w = np.zeros(0, dtype=np.int64)
        else:
            w = guess
        w = np.clip(w, first + 1, last + 1)  # a new array: ``guess`` stays as it was
        todo = np.flatnonzero((w - 1 > first) & (self.cum[w - 1] > distance))
        while todo.size:  # guess too far: step back
            w[todo] -= 1
            todo = todo[(w[todo] - 1 > first[todo]) & (self.cum[w[todo] - 1] > distance[todo])]
        todo = np.flatnonzero((w <= last) & (self.cum[np.minimum(w, last)] <= distance))
        while todo.size:  # guess too short: step on
            w[todo] += 1
            todo = todo[
                (w[todo] <= last[todo])
                & (self.cum[np.minimum(w[todo], last[todo])] <= distance[todo])
            ]
        past = w > last  # at or beyond the line's length: its last vertex
        v = np.where(past, last - 1, w - 1)
        with np.errstate(divide="ignore", invalid="ignore"):  # seg = 0 only where past
            frac = (distance - self.cum[v]) / self.seg[v]
        frac[past] = 1.0
        at_start, at_end = np.flatnonzero(frac <= 0.0), np.flatnonzero(frac >= 1.0)
        x, y = (
            self._on_segment(c, d, v, frac, at_start, at_end)
            for c, d in ((self.x, self.dx), (self.y, self.dy))
        )
        return x, y, w

    @staticmethod
    def _on_segment(
        coord: npt.NDArray[np.float64],
        delta: npt.NDArray[np.float64],
        v: npt.NDArray[np.int64],
        frac: npt.NDArray[np.float64],
        at_start: npt.NDArray[np.intp],
        at_end: npt.NDArray[np.intp],
    ) -> npt.NDArray[np.float64]:
        """One coordinate of ``p0 + (p1 − p0) × frac`` on the segments from vertices ``v``
        (``delta``: p1 − p0 per vertex; ``p0`` itself at or before the start, ``p1`` at or
        past the end: the points at ``at_start`` and ``at_end``)."""
        out: npt.NDArray[np.float64] = delta[v]
        out *= frac
        out += coord[v]
        out[at_start] = coord[v[at_start]]
        out[at_end] = coord[v[at_end] + 1]
        return out


@dataclass(frozen=True)
class _Band:
    """The sample steps of a run of lines: each one's centre on the axis and unit normal."""

    cx: npt.NDArray[np.float64]
    cy: npt.NDArray[np.float64]
    nx: npt.NDArray[np.float64]
    ny: npt.NDArray[np.float64]


def _steps(
    axes: LineAxes,
    lines: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.float64],
    n_along: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], _Band]:
    """The sampling steps of ``lines``: each step's line, its distance along the line, and
    its centre point on the axis with the unit normal there (to the left)."""
    owner = np.repeat(lines, n_along[lines])
    k = np.arange(len(owner)) - np.repeat(
        np.cumsum(n_along[lines]) - n_along[lines], n_along[lines]
    )
    length = lengths[owner]
    along = (k + 0.5) * (length / n_along[owner])
    ends = axes.first[owner], axes.last[owner]
    # the points either side lie on the centre's segment or close: start from it
    cx, cy, segment = axes._xy_on_segments(owner, along, ends=ends)
    eps = np.minimum(0.5, length / 4)
    ax, ay, _ = axes._xy_on_segments(owner, np.minimum(along + eps, length), segment, ends)
    bx, by, _ = axes._xy_on_segments(owner, np.maximum(along - eps, 0.0), segment, ends)
    dx, dy = ax - bx, ay - by
    norm = np.hypot(dx, dy)
    norm[norm == 0] = 1.0
    return owner, along, _Band(cx, cy, -dy / norm, dx / norm)


def _band_counts(
    band: _Band,
    offsets: list[npt.NDArray[np.float64]],
    key: npt.NDArray[np.int64],
    size: int,
    covered: PointTest,
    within: PointTest | None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Samples and hits per key (2 × bin + 1 for the left side; ``key`` in increasing order)
    across both sides' bands; ``offsets``: each step's distance from the axis of each sample
    line across its band.

    Each step's hits (and kept samples) are added up over the lines across first, so each side
    needs one count per key; the sample points are ``centre ± offset × normal``, coordinate
    by coordinate."""
    sides = (1, -1)  # left, right: the right's offsets are the left's negated, exactly
    hits = {side: np.zeros(len(key), dtype=np.int64) for side in sides}
    kept = None
    if within is not None:
        kept = {side: np.zeros(len(key), dtype=np.int64) for side in sides}
    for offset in offsets:
        dx, dy = offset * band.nx, offset * band.ny
        for side in sides:
            if side > 0:
                x, y = band.cx + dx, band.cy + dy
            else:
                x, y = band.cx - dx, band.cy - dy
            hit = covered(x, y)
            if kept is not None and within is not None:
                keep = within(x, y)
                kept[side] += keep
                hit = hit & keep
            hits[side] += hit
    runs = _KeyRuns(key, size)
    # keys are even (2 × bin): the left side's counts sit one place after the right's
    n_hits = runs.sums(hits[-1])
    n_hits[1:] += runs.sums(hits[1])[:-1]
    if kept is None:
        steps = len(offsets) * np.bincount(key, minlength=size)
        n_samples = steps.copy()
        n_samples[1:] += steps[:-1]
    else:
        n_samples = runs.sums(kept[-1])
        n_samples[1:] += runs.sums(kept[1])[:-1]
    return n_samples, n_hits


class _KeyRuns:
    """Whole-number sums per key of values listed by increasing key (one run of rows per
    key), ``size`` keys from 0."""

    def __init__(self, key: npt.NDArray[np.int64], size: int) -> None:
        new = np.ones(len(key), dtype=bool)
        np.not_equal(key[1:], key[:-1], out=new[1:])
        self.starts = np.flatnonzero(new)
        self.keys = key[self.starts]
        self.size = size

    def sums(self, values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        out = np.zeros(self.size, dtype=np.int64)
        if len(self.starts):
            out[self.keys] = np.add.reduceat(values, self.starts)
        return out


def side_bins(
    axes: LineAxes,
    lengths: npt.NDArray[np.float64],
    inner_m: npt.NDArray[np.float64],
    outer_m: npt.NDArray[np.float64],
    *,
    step_m: float,
    segment_length_m: float,
    across: int,
    covered: PointTest,
    within: PointTest | None = None,
    chunk: int = 1 << 16,
    threads: int = 1,
) -> pd.DataFrame:
    """Sample each side's band between ``inner_m`` and ``outer_m`` from the axis; count per bin.

    Along each line, samples sit at the centres of ``ceil(length / step_m)`` equal steps; at
    each, ``across`` points span each side's band (left = +1, right = −1). Samples failing
    ``within`` (e.g. outside mapped slow lanes) are dropped. Returns one row per
    (``line``, ``bin`` = segment number along the line, ``side``) that has samples, in that
    order, with ``samples`` and ``hits`` (samples passing ``covered``). Lines are taken about
    ``chunk`` steps at a time, so the working arrays stay small whatever the city's size, on
    ``threads`` threads (only for tests that may run at once, e.g. a
    :class:`~gardencity.toolkit.rasters.PixelMask`).

    >>> axes = LineAxes(np.array([shapely.LineString([(0, 0), (200, 0)])]))
    >>> bins = side_bins(axes, np.array([200.0]), np.array([5.0]), np.array([10.0]),
    ...     step_m=1.0, segment_length_m=100.0, across=3,
    ...     covered=lambda x, y: (y > 0) & (x < 100))
    >>> bins[["bin", "side", "samples", "hits"]].to_numpy().tolist()
    [[0, -1, 300, 0], [0, 1, 300, 300], [1, -1, 300, 0], [1, 1, 300, 0]]
    """
    n_along = np.maximum(1, np.ceil(lengths / step_m).astype(np.int64))
    last_along = ((n_along - 1) + 0.5) * (lengths / n_along)  # as ``along`` below
    bins_per_line = (last_along // segment_length_m).astype(np.int64) + 1
    first_bin = np.cumsum(bins_per_line) - bins_per_line
    n_keys = 2 * int(bins_per_line.sum())  # key of (line, bin, side): 2 × bin number + left
    samples = np.zeros(n_keys, dtype=np.int64)
    hits = np.zeros(n_keys, dtype=np.int64)
    width = outer_m - inner_m
    # each line's distance from the axis of the sample lines across its band
    across_offsets = [inner_m + (j + 0.5) / across * width for j in range(across)]
    ends = np.cumsum(n_along)
    cuts = np.searchsorted(ends, np.arange(chunk, int(ends[-1]) if len(ends) else 0, chunk))

    def count(
        lines: npt.NDArray[np.int64],
    ) -> tuple[int, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Samples and hits per key of a run of lines, from key ``lo`` on."""
        owner, along, band = _steps(axes, lines, lengths, n_along)
        key = 2 * (first_bin[owner] + (along // segment_length_m).astype(np.int64))
        lo, size = int(key.min()), int(key.max()) + 2 - int(key.min())
        key -= lo
        offsets = [line_offset[owner] for line_offset in across_offsets]
        return lo, *_band_counts(band, offsets, key, size, covered, within)

    runs = [lines for lines in np.split(np.arange(len(lengths)), np.unique(cuts) + 1) if lines.size]
    with work_pool(threads) as pool:  # numpy releases the GIL
        for lo, n_samples, n_hits in pool.map(count, runs):
            samples[lo : lo + len(n_samples)] += n_samples
            hits[lo : lo + len(n_hits)] += n_hits
    used = np.flatnonzero(samples)
    line = np.searchsorted(first_bin, used // 2, side="right") - 1
    return pd.DataFrame(
        {
            "line": line,
            "bin": used // 2 - first_bin[line],
            "side": np.where(used % 2 == 1, 1, -1),
            "samples": samples[used],
            "hits": hits[used],
        }
    )
