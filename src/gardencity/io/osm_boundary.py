"""How a study boundary relates to the data of an OpenStreetMap extract.

A boundary that holds none of the data is refused (every indicator would be computed on
nothing); one that covers the data only partly, or reaches far beyond them, is imported and
reported with the shares, so nobody mistakes an empty stretch for a city without parks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely
from pyproj import CRS

from gardencity.errors import OsmImportError
from gardencity.io.osm_read import declared_bounds
from gardencity.messages import Catalogue

__all__ = ["BoundaryFit", "boundary_fit", "data_extent"]
MESSAGES = Catalogue(__package__)

_REPORTED_BELOW = 0.95  # shares below this are worth a note


def data_extent(osm_path: Path, raw: Mapping[str, gpd.GeoDataFrame]) -> shapely.Geometry | None:
    """Where the extract has complete data (lon/lat): its declared ``<bounds>``, else the
    extent of its features; None for an extract without either."""
    declared = declared_bounds(osm_path)
    if declared is not None:
        return declared
    boxes = [
        shapely.box(*gdf.total_bounds)
        for gdf in raw.values()
        if len(gdf) and not gdf.is_empty.all()
    ]
    return shapely.envelope(shapely.union_all(boxes)) if boxes else None


@dataclass(frozen=True)
class BoundaryFit:
    """Share of the boundary inside the data, and of the data inside the boundary (0–1)."""

    boundary_in_data: float
    data_in_boundary: float

    def notes(self) -> list[tuple[str, str]]:
        """What a reader should know about the boundary (zh, en)."""
        notes = []
        if self.boundary_in_data < _REPORTED_BELOW:
            share = f"{self.boundary_in_data:.0%}"
            notes.append(MESSAGES.both("osm_boundary_outside_data", share=share))
        if self.data_in_boundary < _REPORTED_BELOW:
            share = f"{self.data_in_boundary:.0%}"
            notes.append(MESSAGES.both("osm_boundary_covers_part", share=share))
        return notes


def boundary_fit(
    area: shapely.Geometry, extent_ll: shapely.Geometry | None, crs: CRS, boundary_source: str
) -> BoundaryFit:
    """The shares for ``area`` (in ``crs``); refuses a boundary that holds none of the data."""
    if extent_ll is None:
        return BoundaryFit(1.0, 1.0)
    extent = gpd.GeoSeries([extent_ll], crs=4326).to_crs(crs).iloc[0]
    common = shapely.area(shapely.intersection(area, extent))
    if not common > 0:
        lon0, lat0, lon1, lat1 = extent_ll.bounds
        raise OsmImportError(
            MESSAGES.message(
                "osm_boundary_outside",
                boundary=boundary_source,
                lon0=lon0,
                lon1=lon1,
                lat0=lat0,
                lat1=lat1,
            )
        )
    return BoundaryFit(
        float(min(1.0, common / area.area)), float(min(1.0, common / max(extent.area, 1e-9)))
    )
