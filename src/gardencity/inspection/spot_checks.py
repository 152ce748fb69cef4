"""Spot-check rehearsal: sample the city the way the experts and the remote-sensing test do.

* **Green coverage from random points** (i-Tree Canopy style): ``n`` points uniformly at random
  over the built-up area, each photo-interpreted against the canopy raster (or the vegetation
  polygons) as green or not. The estimate is ``p = green / n`` with standard error
  ``SE = sqrt(p (1 - p) / n)`` and the normal interval ``p ± z SE`` (z = 1.96 for 95 %).
* **Random sites per category** for the field checks (parks, roads, compounds, units).
* **The chance that the experts hit a problem**: drawing ``k`` of ``N`` sites without
  replacement when ``m`` of them still have an unresolved problem, the chance of at least one
  hit is ``1 - C(N - m, k) / C(N, k)`` (hypergeometric).

Every function here is pure: data in, numbers or frames out. Turning failed checks into
campaign cases is :mod:`gardencity.inspection.check_cases`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy import stats
from shapely.geometry.base import BaseGeometry

from gardencity.errors import DataError
from gardencity.io.crs import require_projected
from gardencity.io.raster import Raster
from gardencity.io.threads import prepared_copies
from gardencity.messages import Catalogue, Listing

MESSAGES = Catalogue(__package__)

__all__ = [
    "CoverageEstimate",
    "chance_sample_hits_problem",
    "classify_points",
    "green_coverage_sample",
    "largest_tolerable_problem_count",
    "points_for_margin",
    "random_points_in",
    "sample_sites",
]

GREEN_CLASSES = ("tree", "shrub", "grass")
_DEFAULT_CANOPY_CLASSES = {"tree": 1, "shrub": 2, "grass": 3}


@dataclass(frozen=True)
class CoverageEstimate:
    """A point-sample estimate of green coverage (percent) with its uncertainty."""

    n_points: int
    """Points drawn."""
    n_observed: int
    """Points that could be interpreted (inside the raster, not nodata)."""
    n_green: int
    estimate_pct: float
    standard_error_pct: float
    ci_low_pct: float
    ci_high_pct: float
    confidence: float
    class_shares_pct: dict[str, float] = field(default_factory=dict)
    """Share of the observed points per class (tree / shrub / grass / none)."""
    points: gpd.GeoDataFrame | None = None
    """The points with ``cover_class`` and ``is_green`` (for maps and the field sheet)."""

    def contains(self, value_pct: float) -> bool:
        """Whether ``value_pct`` lies inside the confidence interval."""
        return self.ci_low_pct <= value_pct <= self.ci_high_pct

    def to_dict(self) -> dict[str, object]:
        return {
            "n_points": self.n_points,
            "n_observed": self.n_observed,
            "n_green": self.n_green,
            "estimate_pct": self.estimate_pct,
            "standard_error_pct": self.standard_error_pct,
            "ci_low_pct": self.ci_low_pct,
            "ci_high_pct": self.ci_high_pct,
            "confidence": self.confidence,
            "class_shares_pct": dict(self.class_shares_pct),
        }


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise DataError(MESSAGES.message("confidence_out_of_range", confidence=confidence))
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def random_points_in(
    area: BaseGeometry, n: int, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """``n`` points drawn uniformly inside ``area`` (rejection sampling in its bounds).

    >>> pts = random_points_in(shapely.box(0, 0, 10, 10), 5, np.random.default_rng(1))
    >>> pts.shape, bool(((pts >= 0) & (pts <= 10)).all())
    ((5, 2), True)
    """
    if n < 1:
        raise DataError(MESSAGES.message("points_too_few", n=n))
    if area.is_empty or area.area <= 0:
        raise DataError(MESSAGES.message("sampling_area_empty"))
    area = prepared_copies(area)
    xmin, ymin, xmax, ymax = area.bounds
    accept_rate = area.area / ((xmax - xmin) * (ymax - ymin))
    found: list[npt.NDArray[np.float64]] = []
    count = 0
    while count < n:
        batch = int((n - count) / accept_rate * 1.2) + 16
        xy = np.column_stack(
            [rng.uniform(xmin, xmax, batch), rng.uniform(ymin, ymax, batch)]
        ).astype(float)
        xy = xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]
        found.append(xy)
        count += len(xy)
    return np.concatenate(found)[:n]


def classify_points(
    xy: npt.NDArray[np.float64],
    *,
    canopy: Raster | None = None,
    vegetation: gpd.GeoDataFrame | None = None,
) -> npt.NDArray[np.object_]:
    """The cover class under each point: ``tree``, ``shrub``, ``grass``, ``none``, or None where
    the point cannot be interpreted (outside the raster or on nodata).

    With a canopy raster the pixel under the point decides (the raster's ``classes`` name the
    values); with vegetation polygons the first of tree, shrub, grass that covers the point
    (``unknown`` vegetation counts as ``grass``-level green, i.e. green but not woody).

    >>> import shapely
    >>> veg = gpd.GeoDataFrame({"veg_type": ["tree"]}, geometry=[shapely.box(0, 0, 5, 5)],
    ...     crs=4547)
    >>> classify_points(np.array([[1.0, 1.0], [8.0, 8.0]]), vegetation=veg).tolist()
    ['tree', 'none']
    """
    if canopy is not None:
        return _classes_from_raster(xy, canopy)
    if vegetation is not None:
        return _classes_from_polygons(xy, vegetation)
    raise DataError(MESSAGES.message("no_cover_to_interpret"))


def _classes_from_raster(xy: npt.NDArray[np.float64], canopy: Raster) -> npt.NDArray[np.object_]:
    t = canopy.transform
    if t.b != 0 or t.d != 0:
        raise DataError(MESSAGES.message("raster_rotated"))
    col = np.floor((xy[:, 0] - t.c) / t.a).astype(np.int64)
    row = np.floor((xy[:, 1] - t.f) / t.e).astype(np.int64)
    height, width = canopy.shape
    inside = (col >= 0) & (col < width) & (row >= 0) & (row < height)
    out = np.full(len(xy), None, dtype=object)
    values = canopy.values_at(row[inside], col[inside])  # the blocks holding them only
    names = np.full(values.shape, "none", dtype=object)
    for name, value in (canopy.classes or _DEFAULT_CANOPY_CLASSES).items():
        if name in GREEN_CLASSES:
            names[values == value] = name
    if canopy.nodata is not None:
        names[values == canopy.nodata] = None
    out[inside] = names
    return out


def _classes_from_polygons(
    xy: npt.NDArray[np.float64], vegetation: gpd.GeoDataFrame
) -> npt.NDArray[np.object_]:
    require_projected(vegetation, "vegetation")
    points = shapely.points(xy)
    out = np.full(len(xy), "none", dtype=object)
    kinds = vegetation["veg_type"].fillna("unknown").replace({"unknown": "grass"})
    # the woodiest class wins: assign grass first, then shrub, then tree
    for name in ("grass", "shrub", "tree"):
        layer = vegetation.geometry[(kinds == name).to_numpy()].to_numpy()
        if len(layer) == 0:
            continue
        tree = shapely.STRtree(layer)
        hit, _ = tree.query(points, predicate="intersects")
        out[np.unique(hit)] = name
    return out


def green_coverage_sample(
    area: BaseGeometry | gpd.GeoDataFrame,
    *,
    canopy: Raster | None = None,
    vegetation: gpd.GeoDataFrame | None = None,
    n: int = 500,
    seed: int | None = None,
    confidence: float = 0.95,
) -> CoverageEstimate:
    """i-Tree Canopy style estimate of 建成区绿化覆盖率 from ``n`` random points.

    Formula: ``p = n_green / n_observed``, ``SE = sqrt(p (1 - p) / n_observed)``, interval
    ``p ± z SE`` clipped to [0, 100] %, ``z`` the normal quantile for ``confidence``.
    The canopy raster is used when given (as the assessment does), else the vegetation polygons.

    >>> import shapely
    >>> veg = gpd.GeoDataFrame({"veg_type": ["tree"]}, geometry=[shapely.box(0, 0, 50, 100)],
    ...     crs=4547)
    >>> est = green_coverage_sample(shapely.box(0, 0, 100, 100), vegetation=veg, n=400, seed=1)
    >>> est.contains(50.0), round(est.standard_error_pct, 1)
    (True, 2.5)
    """
    crs = None
    if isinstance(area, gpd.GeoDataFrame):
        require_projected(area, "built_up_area")
        crs = area.crs
        geometry = shapely.union_all(area.geometry.to_numpy())
    else:
        geometry = area
    z = _z(confidence)
    xy = random_points_in(geometry, n, np.random.default_rng(seed))
    classes = classify_points(xy, canopy=canopy, vegetation=vegetation)
    observed = np.array([c is not None for c in classes])
    n_observed = int(observed.sum())
    if n_observed == 0:
        raise DataError(MESSAGES.message("no_point_interpretable"))
    seen = classes[observed]
    is_green = np.isin(seen, GREEN_CLASSES)
    n_green = int(is_green.sum())
    p = n_green / n_observed
    se = math.sqrt(p * (1.0 - p) / n_observed)
    shares = {
        name: 100.0 * float(np.count_nonzero(seen == name)) / n_observed
        for name in (*GREEN_CLASSES, "none")
    }
    points = gpd.GeoDataFrame(
        {
            "cover_class": classes,
            "is_green": [c in GREEN_CLASSES if c is not None else None for c in classes],
        },
        geometry=shapely.points(xy),
        crs=crs if crs is not None else (canopy.crs if canopy is not None else None),
    )
    points.index.name = "point_id"
    return CoverageEstimate(
        n_points=n,
        n_observed=n_observed,
        n_green=n_green,
        estimate_pct=100.0 * p,
        standard_error_pct=100.0 * se,
        ci_low_pct=100.0 * max(0.0, p - z * se),
        ci_high_pct=100.0 * min(1.0, p + z * se),
        confidence=confidence,
        class_shares_pct=shares,
        points=points,
    )


def points_for_margin(
    margin_pct: float, *, expected_pct: float = 50.0, confidence: float = 0.95
) -> int:
    """Points needed so that the interval half-width is at most ``margin_pct``.

    Formula: ``n = ceil(z² p (1 - p) / e²)``; ``expected_pct = 50`` is the safe worst case.

    >>> points_for_margin(2.0, expected_pct=40.0)
    2305
    """
    if not 0.0 < margin_pct < 100.0:
        raise DataError(MESSAGES.message("margin_out_of_range", margin=margin_pct))
    p = expected_pct / 100.0
    e = margin_pct / 100.0
    return max(1, math.ceil(_z(confidence) ** 2 * p * (1.0 - p) / e**2))


def _check_counts(population: int, problems: int, sample: int) -> None:
    errors = []
    if population < 1:
        errors.append(MESSAGES.message("spot_population_too_small", population=population))
    if not 0 <= problems <= max(population, 0):
        errors.append(
            MESSAGES.message("spot_problems_out_of_range", population=population, got=problems)
        )
    if not 0 <= sample <= max(population, 0):
        errors.append(
            MESSAGES.message("spot_sample_out_of_range", population=population, got=sample)
        )
    if errors:
        raise DataError(
            MESSAGES.message("spot_counts_wrong", problems=Listing(tuple(errors), ("；", "; ")))
        )


def chance_sample_hits_problem(population: int, problems: int, sample: int) -> float:
    """Chance that ``sample`` sites drawn at random (without replacement) from ``population``
    include at least one of the ``problems`` sites that still have an unresolved problem.

    Formula: ``1 - hypergeom(population, problems, sample).pmf(0)``
    = ``1 - C(N - m, k) / C(N, k)``.

    >>> round(chance_sample_hits_problem(population=10, problems=2, sample=3), 4)
    0.5333
    """
    _check_counts(population, problems, sample)
    return float(stats.hypergeom(population, problems, sample).sf(0))


def largest_tolerable_problem_count(population: int, sample: int, max_chance: float) -> int:
    """The most unresolved sites for which the chance of a hit stays at or below ``max_chance``.

    >>> largest_tolerable_problem_count(population=100, sample=10, max_chance=0.2)
    2
    """
    _check_counts(population, 0, sample)
    if not 0.0 <= max_chance <= 1.0:
        raise DataError(MESSAGES.message("max_chance_out_of_range", value=max_chance))
    low, high = 0, population  # the chance grows with the problem count: bisect
    while low < high:
        middle = (low + high + 1) // 2
        if chance_sample_hits_problem(population, middle, sample) <= max_chance + 1e-12:
            low = middle
        else:
            high = middle - 1
    tolerable = low
    return tolerable


def sample_sites(
    sites: gpd.GeoDataFrame,
    per_kind: int | Mapping[str, int],
    *,
    seed: int | None = None,
    kind_column: str = "kind",
) -> gpd.GeoDataFrame:
    """Random sites per category, drawn without replacement (all of a category if it has fewer).

    ``per_kind`` is one number for every category or a mapping ``{kind: count}`` (kinds not
    named are not drawn). The result keeps the input columns, adds ``draw_order`` (1, 2, … per
    kind) and is ordered by kind, then draw order.

    >>> import shapely
    >>> sites = gpd.GeoDataFrame({"kind": ["park"] * 3 + ["road"]},
    ...     geometry=[shapely.Point(i, 0) for i in range(4)], crs=4547)
    >>> sample_sites(sites, {"park": 2, "road": 5}, seed=1)["kind"].tolist()
    ['park', 'park', 'road']
    """
    if kind_column not in sites:
        raise DataError(MESSAGES.message("sites_lack_kind", column=kind_column))
    counts = (
        {str(kind): int(per_kind) for kind in sites[kind_column].unique()}
        if isinstance(per_kind, int)
        else {str(k): int(v) for k, v in per_kind.items()}
    )
    negative = sorted(k for k, v in counts.items() if v < 0)
    if negative:
        raise DataError(MESSAGES.message("sample_sizes_negative", kinds=negative))
    rng = np.random.default_rng(seed)
    parts = []
    for kind in sorted(counts):
        pool = sites[sites[kind_column] == kind]
        take = min(counts[kind], len(pool))
        if take == 0:
            continue
        picked = pool.iloc[np.sort(rng.choice(len(pool), size=take, replace=False))]
        order = rng.permutation(take) + 1
        picked = picked.assign(draw_order=order).sort_values("draw_order")
        parts.append(picked)
    if not parts:
        return sites.iloc[0:0].assign(draw_order=pd.Series(dtype="int64"))
    return gpd.GeoDataFrame(pd.concat(parts), crs=sites.crs)
