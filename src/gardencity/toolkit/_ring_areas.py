"""Areas of polygons inside rectangles from their ring edges, as numbers: each ring's
vertices are taken once, turned into a frame per rectangle, and the signed integral
``∮ clamp(y) dx`` over each ring's edges gives the area inside (no clipped geometry is built).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

from gardencity.toolkit.overlap import in_threads

__all__ = ["RingVertices", "areas_in_bands", "band_integral", "coordinates", "ring_vertices"]

Objects = npt.NDArray[np.object_]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]


def coordinates(geoms: Objects) -> tuple[Floats, Ints]:
    """The coordinates of ``geoms`` and the position of the geometry of each (as
    ``get_coordinates(..., return_index=True)``, several times faster)."""
    owner = np.repeat(np.arange(len(geoms)), shapely.get_num_coordinates(geoms))
    return shapely.get_coordinates(geoms), owner


def ring_vertices(polygons: Objects) -> tuple[Floats, npt.NDArray[np.bool_], Floats, Ints]:
    """The ring vertices of ``polygons`` (x and y), whether an edge starts at each (all but
    each ring's last), the weight of its ring (the sign that makes the ring's area positive
    for a shell and negative for a hole), and the number of vertices of each polygon."""
    if (shapely.get_type_id(polygons) == shapely.GeometryType.POLYGON).all():
        parts, part_of = polygons, np.arange(len(polygons))  # no part to take apart
    else:
        parts, part_of = shapely.get_parts(polygons, return_index=True)
    rings = shapely.get_rings(parts)
    # the part of each ring (as get_rings(..., return_index=True), faster); an empty part
    # has no ring
    per_part = np.where(shapely.is_empty(parts), 0, shapely.get_num_interior_rings(parts) + 1)
    ring_of = np.repeat(np.arange(len(parts)), per_part)
    shell = np.r_[True, ring_of[1:] != ring_of[:-1]]
    xy, owner = coordinates(rings)
    starts = np.r_[owner[1:] == owner[:-1], False]
    # ∮ clamp(y) dx is minus the area for an anticlockwise ring
    turn = np.where(shapely.is_ccw(rings), -1.0, 1.0) * np.where(shell, 1.0, -1.0)
    counts = np.bincount(part_of[ring_of[owner]], minlength=len(polygons))
    return xy, starts, turn[owner], counts


class RingVertices:
    """The ring vertices of the polygons asked for so far (:meth:`take`), as numbers: one
    contiguous run per polygon (see :func:`ring_vertices`)."""

    def __init__(self, polygons: Objects) -> None:
        self.polygons = polygons
        self.first = np.zeros(len(polygons), dtype=np.intp)
        self.count = np.zeros(len(polygons), dtype=np.intp)
        self.taken = np.zeros(len(polygons), dtype=bool)
        self.x, self.y, self.weight = np.empty(0), np.empty(0), np.empty(0)
        self.starts = np.empty(0, dtype=bool)

    def take(self, polygon: Ints) -> None:
        """Make the vertices of ``polygon`` (positions in the polygons) available."""
        wanted = np.zeros(len(self.polygons), dtype=bool)
        wanted[polygon] = True
        missing = np.flatnonzero(wanted & ~self.taken)
        if not len(missing):
            return
        chunk = max(1024, len(missing) // 8)
        built: dict[int, tuple[Floats, npt.NDArray[np.bool_], Floats, Ints]] = {}

        def build(part: slice) -> None:
            built[int(part.start)] = ring_vertices(self.polygons[missing[part]])

        in_threads(build, len(missing), chunk=chunk)
        xy, starts, weight, counts = (
            np.concatenate([built[k][i] for k in sorted(built)]) for i in range(4)
        )
        self.first[missing] = len(self.x) + np.cumsum(counts) - counts
        self.count[missing] = counts
        self.taken[missing] = True
        self.x = np.concatenate([self.x, xy[:, 0]])
        self.y = np.concatenate([self.y, xy[:, 1]])
        self.starts = np.concatenate([self.starts, starts])
        self.weight = np.concatenate([self.weight, weight])

    def rows(self, polygon: Ints) -> tuple[Ints, Ints]:
        """The vertices of each of ``polygon`` in turn, and the position in ``polygon`` of the
        polygon of each."""
        counts = self.count[polygon]
        offsets = np.cumsum(counts) - counts
        rows = np.arange(counts.sum()) - np.repeat(offsets - self.first[polygon], counts)
        return rows, np.repeat(np.arange(len(polygon)), counts)


def band_integral(p: Floats, q: Floats, low: Floats, high: Floats) -> Floats:
    """Mean of ``clip(y, low, high) - low`` for ``y`` running evenly from ``p`` to ``q``.

    The run is cut where ``y`` meets ``low`` and ``high``; each piece is straight, so its mean
    is the value at its middle. A cut point off by rounding costs at most a rounding unit of
    ``y`` per unit of run (the integrand is continuous), however flat the run.
    """
    rise = q - p
    flat = rise == 0.0
    safe = np.where(flat, 1.0, rise)
    a = np.where(flat, 0.0, np.clip((low - p) / safe, 0.0, 1.0))
    b = np.where(flat, 0.0, np.clip((high - p) / safe, 0.0, 1.0))
    a, b = np.minimum(a, b), np.maximum(a, b)
    total = np.zeros_like(p)
    for s0, s1 in ((0.0, a), (a, b), (b, 1.0)):
        middle = p + (s0 + s1) * 0.5 * rise
        total += (s1 - s0) * (np.clip(middle, low, high) - low)
    return total


def areas_in_bands(
    spans: tuple[Floats, Floats],
    ends: tuple[Floats, Floats, Floats, Floats],
    weight: Floats,
    bands: tuple[Floats, Floats],
    group: Ints,
    n: int,
) -> Floats:
    """Per group of ``n``: the weighted sum over its edges (turned ends ``x0, y0, x1, y1``)
    of ``∫ clamp(y) - low dx`` from ``a`` to ``b`` (``spans``: each edge's part within its
    rectangle's x range), ``y`` clamped to the rectangle's y range (``bands``: low, high):
    with the rings' weights, the polygon's area inside the rectangle."""
    (a, b), (x0, y0, x1, y1) = spans, ends
    slope = (y1 - y0) / (x1 - x0)
    p, q = y0 + (a - x0) * slope, y0 + (b - x0) * slope
    found = (b - a) * band_integral(p, q, *bands) * weight
    return np.asarray(np.bincount(group, weights=found, minlength=n), dtype=np.float64)
