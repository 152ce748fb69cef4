"""Road green compliance's red-line corridors: the green share of each, bounded or measured.

A corridor's answer rests on it and its green polygons alone, so the corridors are measured
in parts (:data:`CORRIDOR_PARTS`), two at a time.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

from gardencity.toolkit import (
    BoxPairs,
    areas_in_union,
    corridor_cover_settled,
    red_line_buffers,
    red_line_rows,
)
from gardencity.toolkit.overlap import in_threads

__all__ = ["CORRIDOR_PARTS", "corridor_green_ratio"]


def corridor_green_ratio(
    lines: npt.NDArray[np.object_],
    width: npt.NDArray[np.float64],
    required: npt.NDArray[np.float64],
    green: npt.NDArray[np.object_],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Per line: the green share of its red-line corridor (NaN where not computed), whether
    bounds on the green area settle ``share >= required`` without it, and their answer.

    Bounds from rectangle clips (``corridor_cover_settled``) settle most corridors; the others
    are measured exactly (``areas_in_union``). A bound must clear the threshold by 1e-7 of the
    corridor's area, far beyond the rounding of either computation. A corridor's answer rests
    on it and its green polygons alone, so the corridors are measured in parts, two at a time.
    """
    first, again = red_line_rows(lines, width)
    corridors = _Corridors(lines[first], width[first], required, again, BoxPairs(green))
    in_threads(corridors.measure, len(first), chunk=max(1, -(-len(first) // CORRIDOR_PARTS)))
    settled = ~corridors.exact[again]  # every piece of a measured corridor follows its share
    ratio = (corridors.covered / corridors.area)[again]
    return ratio, settled, settled & (corridors.verdict[again] == 1)


# Parts the corridors are measured in (two at a time): enough that both threads stay busy.
CORRIDOR_PARTS = 8


class _Corridors:
    """The red-line corridors of ``lines``, measured part by part (:meth:`measure`): each one's
    area, the verdict of the bounds on its green area and, where they leave it open
    (``exact``), that area (NaN elsewhere)."""

    def __init__(
        self,
        lines: npt.NDArray[np.object_],
        width: npt.NDArray[np.float64],
        required: npt.NDArray[np.float64],
        again: npt.NDArray[np.intp],
        pairs: BoxPairs,
    ) -> None:
        self.lines, self.width, self.required, self.again = lines, width, required, again
        self.pairs, self.green = pairs, pairs.others
        self.area = np.zeros(len(lines))
        self.verdict = np.zeros(len(lines), dtype=np.int8)
        self.exact = np.zeros(len(lines), dtype=bool)
        self.covered = np.full(len(lines), np.nan)

    def measure(self, part: slice) -> None:
        """Measure the corridors ``part`` (a range of them)."""
        lines, half = self.lines[part], self.width[part] / 2.0
        corridor = red_line_buffers(lines, self.width[part])
        area = shapely.area(corridor)
        # the pieces along these corridors: the least and most green area they ask for
        piece = np.flatnonzero((self.again >= part.start) & (self.again < part.start + len(area)))
        own = self.again[piece] - part.start
        need = (self.required[piece] - 1e-12) * area[own]
        slack = 1e-7 * area[own]
        reaches, below = np.full(len(area), -np.inf), np.full(len(area), np.inf)
        np.maximum.at(reaches, own, need + slack)
        np.minimum.at(below, own, need - slack)
        near = self.pairs(corridor)  # the same pairs for the bounds and the areas
        verdict = corridor_cover_settled(lines, half, corridor, self.green, reaches, below, near)
        exact = (verdict == 0) | (area == 0.0)
        covered = np.full(len(area), np.nan)
        measured = exact[near[0]]
        position = np.cumsum(exact) - 1
        covered[exact] = areas_in_union(
            corridor[exact], self.green, near=(position[near[0][measured]], near[1][measured])
        )
        self.area[part], self.verdict[part] = area, verdict
        self.exact[part], self.covered[part] = exact, covered
