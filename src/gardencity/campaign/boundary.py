"""The city's boundary, for refusing reports from elsewhere (pure; loaded by ``lookup``).

The boundary is the area of the root unit (the city), else the union of the districts',
else of the grid cells. A report is accepted within the configured margin beyond it
(``reports.boundary_margin_m`` in the campaign configuration: GPS error, a park just over
the line); distances are measured in metres in an equidistant projection centred on the
city.

Examples
--------
>>> import shapely
>>> city = CityBoundary.from_geometries([shapely.box(117.0, 34.0, 117.1, 34.1)])
>>> city.distance_m(117.05, 34.05)
0.0
>>> round(city.distance_m(117.2, 34.05) / 1000, 1)  # 0.1° of longitude at 34° N
9.2
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from gardencity.errors import InvalidRequestError
from gardencity.messages import Catalogue

__all__ = ["CityBoundary", "check_inside"]
MESSAGES = Catalogue(__package__)


@dataclass(frozen=True)
class CityBoundary:
    """The city's area (WGS 84) and the same in metres around its centre."""

    area: BaseGeometry
    metric: BaseGeometry
    to_metric: Transformer

    @classmethod
    def from_geometries(cls, geometries: Sequence[BaseGeometry]) -> CityBoundary | None:
        """The union of ``geometries`` (longitude/latitude); None if there is none."""
        parts = [g for g in geometries if g is not None and not g.is_empty]
        if not parts:
            return None
        area = shapely.union_all(parts)
        centre = area.centroid
        local = CRS.from_proj4(
            f"+proj=aeqd +lat_0={centre.y:.6f} +lon_0={centre.x:.6f} +datum=WGS84 +units=m"
        )
        to_metric = Transformer.from_crs(4326, local, always_xy=True)
        metric = shapely.transform(area, lambda xy: _transform(to_metric, xy))
        shapely.prepare(area)
        return cls(area, metric, to_metric)

    def distance_m(self, lon: float, lat: float) -> float:
        """Metres from (``lon``, ``lat``) to the area (0 inside)."""
        point = shapely.Point(lon, lat)
        if self.area.covers(point):
            return 0.0
        x, y = self.to_metric.transform(lon, lat)
        return float(self.metric.distance(shapely.Point(x, y)))


def _transform(transformer: Transformer, xy: np.ndarray) -> np.ndarray:
    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def check_inside(boundary: CityBoundary | None, lon: float, lat: float, margin_m: float) -> None:
    """Refuse a location more than ``margin_m`` beyond ``boundary`` (no boundary: no check)."""
    if boundary is None:
        return
    distance = boundary.distance_m(lon, lat)
    if distance <= margin_m:
        return
    swapped = boundary.distance_m(lat, lon) <= margin_m
    raise InvalidRequestError(
        MESSAGES.message(
            "outside_city",
            lon=f"{lon:.6f}",
            lat=f"{lat:.6f}",
            distance=f"{distance / 1000:.1f}",
            margin=f"{margin_m / 1000:.1f}",
            hint=MESSAGES.message("coordinates_swapped") if swapped else "",
        )
    )
