"""Rasters in memory (canopy classes, land-surface temperature) and reading them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from affine import Affine
from pyproj import CRS

__all__ = ["Raster"]


@dataclass(frozen=True)
class Raster:
    """A single-band raster held in memory.

    ``array`` is 2-D (rows, cols); ``transform`` maps pixel (col, row) to CRS coordinates;
    ``nodata`` pixels are ignored by every measure. ``classes`` names the pixel values of a
    categorical raster, e.g. ``{"tree": 1, "shrub": 2, "grass": 3}`` for a canopy raster.
    """

    array: np.ndarray
    transform: Affine
    crs: CRS
    nodata: float | int | None = None
    classes: dict[str, int] | None = None

    @property
    def pixel_area(self) -> float:
        return abs(self.transform.a * self.transform.e - self.transform.b * self.transform.d)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        rows, cols = self.array.shape
        t = self.transform
        x0, y0 = t.c, t.f
        x1, y1 = t.c + t.a * cols + t.b * rows, t.f + t.d * cols + t.e * rows
        return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def read_raster(path: str | Path, *, classes: dict[str, int] | None = None) -> Raster:
    """Read band 1 of a GeoTIFF (or any GDAL raster) into a :class:`Raster`."""
    from rasterio.errors import RasterioError

    from gardencity.errors import DataError

    try:
        return _read(path, classes)
    except RasterioError as exc:
        raise DataError(
            f"Cannot read the raster {path} ({exc}). Fix: check that the file is a complete "
            f"GeoTIFF (`gdalinfo {Path(path).name}`), or point city.toml [rasters] to the right "
            f"file."
        ) from None


def _read(path: str | Path, classes: dict[str, int] | None) -> Raster:
    import rasterio

    from gardencity.errors import NoCrsError

    with rasterio.open(path) as src:
        if src.crs is None:
            raise NoCrsError(
                f"Raster {path} has no CRS. Fix: assign one, e.g. "
                f"`gdal_edit.py -a_srs EPSG:4547 {Path(path).name}`."
            )
        array = src.read(1)
        return Raster(array, src.transform, CRS.from_user_input(src.crs), src.nodata, classes)
