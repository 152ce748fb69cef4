"""The area of the union of many polygons inside zones, without building the union.

绿地率 measures the union of a city's green spaces: the road-side strips overlap where roads
meet, and touch their neighbours along edges, which links tens of thousands of them into groups
that a union would have to node as a whole. Only the places where two polygons share area
need a union, and those are small.

Formula: let ``W_1 … W_m`` be rectangles (windows) whose interiors do not meet, such that
outside them no two polygons ``P_i`` share area. Then for a zone ``Z``::

    area(Z ∩ ∪P) = Σ_i area(Z ∩ P_i) + Σ_w [ area(Z ∩ ∪_i (P_i ∩ W_w)) − Σ_i area(Z ∩ P_i ∩ W_w) ]

The area two polygons share lies in the common box of their boxes, and (where that is wide)
in the common box of the two polygons cut to it; those boxes (widened by
:data:`WINDOW_MARGIN_M`) are merged where they meet until none meets, which gives the
windows. In a window only the polygons of the pairs whose boxes it holds are cut (any other
polygon shares no area with another there: its cut would add as much to the union as to the
cuts). A polygon (or window) whose box meets no edge of a zone's boundary lies wholly inside
or wholly outside the zone, as its box's centre does; the others are intersected with the
zone cut to their box.

The plane is cut into vertical bands (:data:`BANDS`, at quantiles of the polygons' box
centres); the polygons are cut to the bands and each band is measured on its own, the bands
spread over :func:`~gardencity.io.threads.work_threads` threads. The bands are the same
whatever the number of threads, so the result is too. Only the last digits differ from the
area of the union GEOS builds (the sums are taken in another order): relative 1e-12 at most.
"""

from __future__ import annotations

from itertools import pairwise
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import shapely

from gardencity.io.threads import work_pool
from gardencity.toolkit import components, polygon_parts
from gardencity.toolkit.overlap import clip_to_rects

__all__ = [
    "BANDS",
    "WINDOW_MARGIN_M",
    "Windows",
    "difference_area_in_zones",
    "overlap_windows",
    "union_area_in_zones",
]

Objects = npt.NDArray[np.object_]
Ints = npt.NDArray[np.intp]
Floats = npt.NDArray[np.float64]

#: metres the rectangles holding the shared areas are widened by (the rounding of a cut's new
#: vertices is a millionth of that)
WINDOW_MARGIN_M = 0.001
#: the vertical bands a city's polygons are measured in (fewer for fewer polygons: at least
#: ``BAND_POLYGONS`` polygons a band)
BANDS = 8
BAND_POLYGONS = 4000
#: metres above which the common box of two polygons' boxes is narrowed by cutting them to it
REFINE_M = 20.0


def _meet(a: Floats, b: Floats) -> npt.NDArray[np.bool_]:
    """Whether the interiors of the rectangles ``a[k]`` and ``b[k]`` meet."""
    met = np.maximum(a[:, :2], b[:, :2]) < np.minimum(a[:, 2:], b[:, 2:])
    return np.asarray(met.all(axis=1), dtype=bool)


def _envelopes(rects: Floats) -> Objects:
    """Geometries whose envelopes are the rectangles ``rects`` (their diagonals: a tree over
    them finds the same pairs as over the rectangles, and they are made in a third of the
    time)."""
    diagonals: Objects = shapely.linestrings(np.ascontiguousarray(rects).reshape(-1, 2, 2))
    return diagonals


def _shared_boxes(
    parts: Objects, bounds: Floats, tree: shapely.STRtree
) -> tuple[Floats, Ints, Ints]:
    """Rectangles holding every area that two of ``parts`` share, and the two parts of each:
    per pair whose boxes' interiors meet, their common box, or where it is wider than
    :data:`REFINE_M`, the common box of the two parts cut to it (none where a cut is empty);
    widened by :data:`WINDOW_MARGIN_M`."""
    i, j = tree.query(parts)
    keep = i < j
    i, j = i[keep], j[keep]
    keep = _meet(bounds[i], bounds[j])
    i, j = i[keep], j[keep]
    boxes = np.c_[
        np.maximum(bounds[i, :2], bounds[j, :2]), np.minimum(bounds[i, 2:], bounds[j, 2:])
    ]
    # a cut GEOS leaves invalid still has its vertices in the rectangle: its box serves
    wide = np.flatnonzero((boxes[:, 2:] - boxes[:, :2]).max(axis=1) > REFINE_M)
    pair = np.r_[i[wide], j[wide]]
    cut = shapely.bounds(shapely.lib.clip_by_rect(parts[pair], *np.r_[boxes[wide], boxes[wide]].T))
    first, second = cut[: len(wide)], cut[len(wide) :]
    boxes[wide] = np.c_[
        np.maximum(first[:, :2], second[:, :2]), np.minimum(first[:, 2:], second[:, 2:])
    ]
    keep = (boxes[:, :2] < boxes[:, 2:]).all(axis=1)  # NaN (an empty cut) fails
    boxes = boxes[keep]
    boxes[:, :2] -= WINDOW_MARGIN_M
    boxes[:, 2:] += WINDOW_MARGIN_M
    return np.asarray(boxes, dtype=float), i[keep], j[keep]


def _disjoint(boxes: Floats) -> tuple[Floats, Ints]:
    """Rectangles whose interiors do not meet and that hold all ``boxes``, and the one that
    holds each box: boxes that meet are replaced by their common bounding box, until none
    meets."""
    label: Ints = np.arange(len(boxes), dtype=np.intp)
    while len(boxes) > 1:
        rects = _envelopes(boxes)
        i, j = shapely.STRtree(rects).query(rects)
        keep = i < j
        i, j = i[keep], j[keep]
        meet = _meet(boxes[i], boxes[j])
        if not meet.any():
            break
        n = len(boxes)
        # numbered in the order of their smallest boxes, as scipy's connected_components
        smallest, labels = np.unique(components(n, i[meet], j[meet]), return_inverse=True)
        count = len(smallest)
        merged = np.empty((count, 4))
        merged[:, :2], merged[:, 2:] = np.inf, -np.inf
        for k, function in enumerate((np.minimum, np.minimum, np.maximum, np.maximum)):
            function.at(merged[:, k], labels, boxes[:, k])
        boxes, label = merged, np.asarray(labels[label], dtype=np.intp)
    return boxes, np.asarray(label, dtype=np.intp)


class Windows(NamedTuple):
    """The windows of polygons (see the module): their rectangles, each polygon cut to each
    window its box's interior meets (``cuts``, in window order; ``cut_window`` the window of
    each), and per window the union of its cuts."""

    rects: Floats
    cuts: Objects
    cut_window: Ints
    unions: Objects


def _rows(values: Objects, row: Ints, n: int) -> Objects:
    """``values`` (sorted by ``row``) laid out in ``n`` rows, each padded with None."""
    counts = np.bincount(row, minlength=n)
    grid = np.full((n, max(1, int(counts.max(initial=0)))), None, dtype=object)
    grid[row, np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)] = values
    return grid


def _windows(parts: Objects, bounds: Floats, tree: shapely.STRtree) -> Windows:
    """:class:`Windows` of ``parts`` (``bounds`` theirs, ``tree`` over them).

    A window holds only the parts of the pairs whose rectangles it holds: any other part
    shares no area with another inside it, so its cut would add as much to the union as to
    the cuts."""
    none = np.empty(0, dtype=object)
    boxes, i, j = _shared_boxes(parts, bounds, tree) if len(parts) > 1 else (np.empty((0, 4)),) * 3
    if len(boxes) == 0:
        return Windows(np.empty((0, 4)), none, np.zeros(0, dtype=np.intp), none)
    rects, label = _disjoint(boxes)
    members = np.unique(np.r_[label, label] * len(parts) + np.r_[i, j])
    window, part = members // len(parts), members % len(parts)
    cuts = clip_to_rects(parts[part], rects[window])
    # an empty cut adds nothing; a window with one cut has it as its union (no correction)
    keep = ~shapely.is_empty(cuts)
    keep &= (np.bincount(window[keep], minlength=len(rects)) >= 2)[window]
    counts = np.bincount(window[keep], minlength=len(rects))
    rects, window, cuts = rects[counts > 0], (np.cumsum(counts > 0) - 1)[window[keep]], cuts[keep]
    unions = shapely.union_all(_rows(cuts, window, len(rects)), axis=1)
    return Windows(rects, cuts, np.asarray(window, dtype=np.intp), unions)


def overlap_windows(polygons: Objects) -> Windows:
    """:class:`Windows` of ``polygons`` (multi-parts split, empty and line parts dropped), all
    in one band: outside the windows no two polygons share area.

    >>> windows = overlap_windows(np.array([shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1),
    ...     shapely.box(3, 0, 4, 1), shapely.box(9, 9, 10, 10)]))
    >>> len(windows.rects), [round(float(a), 6) for a in shapely.area(windows.unions)]
    (1, [1.002])
    """
    parts = polygon_parts(polygons)
    return _windows(parts, shapely.bounds(parts), shapely.STRtree(parts))


class _Edges(NamedTuple):
    """Zones (``measured``: neither missing nor empty) and the segments of their boundaries
    (``owner``: the zone of each)."""

    geoms: Objects
    measured: npt.NDArray[np.bool_]
    bounds: Floats
    segments: Objects
    segment_bounds: Floats
    owner: Ints


def _edges(zones: Objects) -> _Edges:
    """:class:`_Edges` of ``zones``."""
    geoms = np.asarray(zones, dtype=object)
    measured = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    polygons, zone = shapely.get_parts(geoms[measured], return_index=True)
    rings, polygon = shapely.get_rings(polygons, return_index=True)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    step = np.flatnonzero(ring[1:] == ring[:-1])  # a segment: two vertices of one ring
    owner = np.flatnonzero(measured)[zone[polygon[ring[step]]]]
    ends = np.stack([coords[step], coords[step + 1]], axis=1)
    segment_bounds = np.c_[ends.min(axis=1), ends.max(axis=1)]
    return _Edges(
        geoms, measured, shapely.bounds(geoms), shapely.linestrings(ends), segment_bounds, owner
    )


class _BandZones:
    """The zones as one band (``rect``) sees them: the edges of their boundaries near it, a
    prepared copy of each (a prepared geometry builds its index when first used: never
    shared between threads) and each cut to the band, to tell which rectangles lie wholly
    inside a zone, which wholly outside and which across its boundary."""

    def __init__(self, edges: _Edges, rect: Floats) -> None:
        self.n, self.bounds = len(edges.geoms), edges.bounds
        sb = edges.segment_bounds
        close = np.flatnonzero(
            (sb[:, :2] <= rect[2:]).all(axis=1) & (sb[:, 2:] >= rect[:2]).all(axis=1)
        )
        self.segments, self.owner = edges.segments[close], edges.owner[close]
        zb = edges.bounds
        self.zones = np.flatnonzero(
            edges.measured
            & (zb[:, :2] <= rect[2:]).all(axis=1)
            & (zb[:, 2:] >= rect[:2]).all(axis=1)
        )
        self.prepared = shapely.from_wkb(shapely.to_wkb(edges.geoms[self.zones]))
        shapely.prepare(self.prepared)
        wider = np.broadcast_to(rect + np.array([-1.0, -1.0, 1.0, 1.0]), (len(self.zones), 4))
        self.cut = np.full(self.n, None, dtype=object)
        self.cut[self.zones] = clip_to_rects(edges.geoms[self.zones], wider)

    def split(
        self, tree: shapely.STRtree, rects: Floats
    ) -> tuple[npt.NDArray[np.bool_], Ints, Ints]:
        """Per rectangle of ``rects`` in the band (``tree`` over geometries with those
        envelopes): per zone whether it lies wholly inside, and the (rectangle, zone) pairs
        whose boundary its box meets."""
        segment, item = tree.query(self.segments)
        near = np.unique(item * self.n + self.owner[segment])
        near_item, near_zone = near // self.n, near % self.n
        inside = np.zeros((len(rects), self.n), dtype=bool)
        centre = (rects[:, :2] + rects[:, 2:]) / 2
        for zone, geom in zip(self.zones, self.prepared, strict=True):
            zb = self.bounds[zone]
            maybe = (rects[:, :2] >= zb[:2]).all(axis=1) & (rects[:, 2:] <= zb[2:]).all(axis=1)
            maybe[near_item[near_zone == zone]] = False
            rows = np.flatnonzero(maybe)
            inside[rows, zone] = shapely.contains_xy(geom, centre[rows, 0], centre[rows, 1])
        return inside, near_item, near_zone

    def areas(
        self, geoms: Objects, rects: Floats, split: tuple[npt.NDArray[np.bool_], Ints, Ints]
    ) -> Floats:
        """Per zone, the area of ``geoms`` inside it (``rects`` their boxes or windows;
        ``split`` as :meth:`split` of those): those inside whole, those across its boundary
        intersected with the zone cut to their rectangle."""
        inside, item, zone = split
        out: Floats = (shapely.area(geoms)[:, None] * inside).sum(axis=0)
        if len(item):
            local = clip_to_rects(self.cut[zone], rects[item])
            cut = shapely.area(shapely.intersection(geoms[item], local))
            out += np.bincount(zone, weights=cut, minlength=self.n)
        return out


def _band_areas(parts: Objects, rect: Floats, edges: _Edges) -> Floats:
    """Per zone, the area of the union of ``parts`` (those of the band ``rect``) inside it."""
    zones = _BandZones(edges, rect)
    bounds = shapely.bounds(parts)
    tree = shapely.STRtree(parts)
    out = zones.areas(parts, bounds, zones.split(tree, bounds))
    windows = _windows(parts, bounds, tree)
    if len(windows.rects):
        boxes = shapely.STRtree(_envelopes(windows.rects))
        inside, item, zone = zones.split(boxes, windows.rects)
        out += zones.areas(windows.unions, windows.rects, (inside, item, zone))
        # each cut where its window is: the windows' pairs spread over their cuts
        starts = np.searchsorted(windows.cut_window, np.arange(len(windows.rects) + 1))
        count = starts[item + 1] - starts[item]
        cut_item = np.repeat(starts[item] - np.cumsum(count) + count, count) + np.arange(
            count.sum()
        )
        cut_split = (inside[windows.cut_window], cut_item, np.repeat(zone, count))
        out -= zones.areas(windows.cuts, windows.rects[windows.cut_window], cut_split)
    return out


def _bands(parts: Objects, count: int) -> list[tuple[Objects, Floats]]:
    """``parts`` cut to ``count`` vertical bands (each with its rectangle), split at
    quantiles of their boxes' centres (those crossing a band's sides cut to it; those only
    touching it left out; bands without any left out)."""
    bounds = shapely.bounds(parts)
    low, high = bounds[:, 1].min() - 1.0, bounds[:, 3].max() + 1.0
    centres = (bounds[:, 0] + bounds[:, 2]) / 2
    inner = np.unique(np.quantile(centres, np.arange(1, max(count, 1)) / max(count, 1)))
    edges = np.r_[bounds[:, 0].min() - 1.0, inner, bounds[:, 2].max() + 1.0]
    out = []
    for x0, x1 in pairwise(edges):
        rows = np.flatnonzero((bounds[:, 0] < x1) & (bounds[:, 2] > x0))
        crossing = (bounds[rows, 0] < x0) | (bounds[rows, 2] > x1)
        band = parts[rows].copy()
        rect = np.broadcast_to(np.array([x0, low, x1, high]), (int(crossing.sum()), 4))
        band = np.concatenate([band[~crossing], polygon_parts(clip_to_rects(band[crossing], rect))])
        if len(band):
            out.append((band, np.array([x0, low, x1, high])))
    return out


def union_area_in_zones(polygons: Objects, zones: Objects, *, bands: int | None = None) -> Floats:
    """The area of the union of ``polygons`` inside each of ``zones``, without building the
    union (see the module): band by band,
    ``area(Z ∩ ∪P) = Σ_i area(Z ∩ P_i) + Σ_w [area(Z ∩ ∪_i C_iw) − Σ_i area(Z ∩ C_iw)]``,
    ``C_iw`` the polygons' cuts to the windows ``W_w`` where they share area.

    ``bands``: how many vertical bands the polygons are measured in (by default
    :data:`BANDS`, fewer for fewer polygons); the bands are spread over the work's threads.

    >>> polygons = np.array([shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1),
    ...     shapely.box(5, 0, 6, 1)])
    >>> zones = np.array([shapely.box(0, 0, 9, 9), shapely.box(0, 0, 1.5, 9), None])
    >>> union_area_in_zones(polygons, zones, bands=2).round(9).tolist()
    [4.0, 1.5, 0.0]
    """
    zones = np.asarray(zones, dtype=object)
    parts = polygon_parts(polygons)
    if len(parts) == 0 or len(zones) == 0:
        return np.zeros(len(zones))
    if bands is None:
        bands = min(BANDS, max(1, len(parts) // BAND_POLYGONS))
    edges = _edges(zones)
    pieces = _bands(parts, bands)
    areas: list[Floats | None] = [None] * len(pieces)

    def measure(k: int) -> None:
        areas[k] = _band_areas(*pieces[k], edges)

    # the busiest bands first, so that no thread is left with a long one at the end
    order = np.argsort([-len(band) for band, _ in pieces], kind="stable")
    with work_pool() as pool:
        list(pool.map(measure, order))
    total: Floats = np.sum(np.stack([a for a in areas if a is not None]), axis=0)
    return total


def difference_area_in_zones(polygons: Objects, others: Objects, zones: Objects) -> Floats:
    """The area of the union of ``polygons`` outside that of ``others``, inside each zone.

    Formula: with ``O'`` the ``others`` whose boxes meet a polygon's box (the rest share no
    area with the polygons), ``area(Z ∩ (∪P ∖ ∪O)) = area(Z ∩ ∪(P ∪ O')) − area(Z ∩ ∪O')``,
    each by :func:`union_area_in_zones`.

    >>> difference_area_in_zones(np.array([shapely.box(0, 0, 4, 1)]),
    ...     np.array([shapely.box(1, 0, 2, 1), shapely.box(3, 0, 9, 1), shapely.box(0, 5, 1, 6)]),
    ...     np.array([shapely.box(0, 0, 9, 9)])).round(9).tolist()
    [2.0]
    """
    parts, other = polygon_parts(polygons), polygon_parts(others)
    if len(parts) == 0 or len(other) == 0:
        return union_area_in_zones(parts, zones)
    near = np.unique(shapely.STRtree(parts).query(other)[0])
    other = other[near[_meet_any(shapely.bounds(other)[near], shapely.bounds(parts))]]
    together = union_area_in_zones(np.r_[parts, other], zones)
    return together - union_area_in_zones(other, zones)


def _meet_any(rects: Floats, bounds: Floats) -> npt.NDArray[np.bool_]:
    """Whether each of ``rects`` meets the interior of one of the rectangles ``bounds``."""
    tree = shapely.STRtree(shapely.box(*bounds.T))
    rect, box = tree.query(shapely.box(*rects.T))
    hit = np.zeros(len(rects), dtype=bool)
    hit[rect[_meet(rects[rect], bounds[box])]] = True
    return hit
