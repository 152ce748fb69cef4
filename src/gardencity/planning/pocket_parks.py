"""Where to put new pocket parks: the fewest (or smallest) candidate sites that lift the park
service-radius coverage of residential land to the threshold.

Greedy maximum coverage with the *exact* gain: every step adds the candidate whose service
area covers the most residential land not yet covered (or the most per m² of site), measured
by polygon intersection, not on a raster. Gains only shrink as sites are added (coverage is
submodular), so a lazy priority queue re-measures just the head of the queue. Greedy is within
a factor (1 − 1/e) of the best set of the same size; the plan says how far it got.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gardencity.errors import DataError
from gardencity.indicators.accessibility import service_cover
from gardencity.messages import Catalogue
from gardencity.toolkit import (
    band_radius,
    require_projected,
    require_same_crs,
    residential_pieces,
)

__all__ = ["PocketParkPlan", "plan_pocket_parks", "service_radius"]
MESSAGES = Catalogue(__package__)


@dataclass(frozen=True)
class PocketParkPlan:
    """The chosen sites in the order they were chosen, and the coverage they reach."""

    sites: gpd.GeoDataFrame  # candidate rows + radius_m, gain_m2, coverage_percent (cumulative)
    residential_m2: float
    covered_before_m2: float
    covered_after_m2: float
    target_percent: float
    unusable: list[str]  # candidates too small for any band, with the reason

    @property
    def coverage_before(self) -> float:
        return 100.0 * self.covered_before_m2 / self.residential_m2 if self.residential_m2 else 0.0

    @property
    def coverage_after(self) -> float:
        return 100.0 * self.covered_after_m2 / self.residential_m2 if self.residential_m2 else 0.0

    @property
    def reached(self) -> bool:
        return self.coverage_after >= self.target_percent - 1e-9


def service_radius(area_m2: np.ndarray, bands: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """The radius of the first band (not historic-only) each area falls in; NaN for none.

    >>> service_radius(np.array([6000.0, 2500.0, 900.0]),
    ...     [{"min_area_m2": 5000, "radius_m": 500},
    ...      {"min_area_m2": 2000, "max_area_m2": 5000, "radius_m": 300}]).tolist()
    [500.0, 300.0, nan]
    """
    return band_radius(area_m2, np.zeros(len(area_m2), dtype=bool), bands)


def plan_pocket_parks(
    zones: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    historic_districts: gpd.GeoDataFrame | None = None,
    *,
    bands: Sequence[Mapping[str, Any]],
    eligible_classes: Sequence[str],
    target_percent: float,
    objective: Literal["count", "area"] = "count",
    require_open: bool = True,
    quad_segs: int = 16,
    max_sites: int | None = None,
    zone: str = "built_up_area",
) -> PocketParkPlan:
    """Choose candidate sites, one at a time, until coverage of ``zone`` reaches
    ``target_percent`` (or no candidate adds anything, or ``max_sites`` are chosen).

    ``candidates``: polygons of vacant or convertible land (any columns; the index names the
    site). A site serves with the radius of the size band its area falls in (the catalogue's
    ``bands``, as for :func:`~gardencity.indicators.accessibility.park_service_coverage`);
    sites too small for every band are listed in ``unusable``. ``objective="count"`` takes the
    largest gain first (fewest sites); ``"area"`` the largest gain per m² of site (least land).
    """
    require_same_crs(
        zones=zones, land_use=land_use, green_spaces=green_spaces, candidates=candidates
    )
    require_projected(candidates, "candidates")
    if zone not in zones.index:
        raise DataError(MESSAGES.message("unknown_zone", zone=zone, known=list(zones.index)))
    pieces = residential_pieces(land_use, zones.loc[[zone]]).geometry.to_numpy()
    residential = float(shapely.area(pieces).sum())
    cover = service_cover(
        green_spaces,
        historic_districts,
        bands=bands,
        eligible_classes=eligible_classes,
        require_open=require_open,
        quad_segs=quad_segs,
    ).cover
    before = float(cover.overlap_areas(pieces).sum())
    uncovered = [part for piece in cover.outside_parts(pieces) for part in _pieces(piece)]

    site_area = shapely.area(candidates.geometry.to_numpy())
    radius = service_radius(site_area, bands)
    unusable = [
        f"{index}: {area:.0f} m² is below every service band"
        for index, area, r in zip(candidates.index, site_area, radius, strict=True)
        if np.isnan(r)
    ]
    usable = np.flatnonzero(~np.isnan(radius))
    chosen, covered = _choose_sites(
        uncovered,
        shapely.buffer(candidates.geometry.to_numpy()[usable], radius[usable], quad_segs=quad_segs),
        site_area[usable],
        objective=objective,
        covered=before,
        goal=target_percent / 100.0 * residential,
        max_sites=max_sites,
    )
    at = [int(usable[k]) for k, _, _ in chosen]
    rows = candidates.iloc[at].copy()
    rows["area_m2"] = site_area[at]
    rows["radius_m"] = radius[at]
    rows["gain_m2"] = [g for _, g, _ in chosen]
    rows["coverage_percent"] = [100.0 * c / residential for _, _, c in chosen]
    return PocketParkPlan(
        sites=rows,
        residential_m2=residential,
        covered_before_m2=before,
        covered_after_m2=covered,
        target_percent=target_percent,
        unusable=unusable,
    )


def _choose_sites(
    uncovered: list[shapely.Geometry],
    service_areas: npt.NDArray[np.object_],
    site_area: npt.NDArray[np.float64],
    *,
    objective: str,
    covered: float,
    goal: float,
    max_sites: int | None,
) -> tuple[list[tuple[int, float, float]], float]:
    """Greedy maximum coverage with a lazy priority queue: the chosen sites in order (position
    in ``service_areas``, m² gained, m² covered after it), and the area covered at the end."""

    def gain(k: int) -> float:
        service = service_areas[k]
        return float(
            sum(
                shapely.area(shapely.intersection(p, service))
                for p in uncovered
                if shapely.intersects(p, service)
            )
        )

    def score(k: int, value: float) -> float:
        return value if objective == "count" else value / max(site_area[k], 1.0)

    queue = [(-score(k, g), k) for k in range(len(service_areas)) if (g := gain(k)) > 0]
    heapq.heapify(queue)
    chosen: list[tuple[int, float, float]] = []
    while queue and covered < goal - 1e-6 and (max_sites is None or len(chosen) < max_sites):
        _, k = heapq.heappop(queue)
        fresh = gain(k)
        if fresh <= 0:
            continue
        if queue and score(k, fresh) < -queue[0][0] - 1e-9:
            heapq.heappush(queue, (-score(k, fresh), k))  # stale bound: measure the next one
            continue
        service = service_areas[k]
        shapely.prepare(service)
        uncovered = [
            piece
            for p in uncovered
            for piece in (
                _pieces(shapely.difference(p, service)) if shapely.intersects(p, service) else [p]
            )
        ]
        covered += fresh
        chosen.append((k, fresh, covered))
    return chosen, covered


def _pieces(geometry: shapely.Geometry) -> list[shapely.Geometry]:
    parts = shapely.get_parts(geometry)
    return [p for p in parts if shapely.area(p) > 0]


def sites_table(plan: PocketParkPlan) -> pd.DataFrame:
    """The plan as a plain table (no geometry), for a report or a spreadsheet."""
    return pd.DataFrame(plan.sites.drop(columns=plan.sites.geometry.name))
