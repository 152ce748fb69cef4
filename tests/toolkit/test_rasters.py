"""Pixel look-ups of the road measures (toolkit/rasters.py)."""

from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS

from gardencity.io.raster import read_raster
from gardencity.toolkit import PixelMask


def test_pixel_mask_answers_as_the_raster_file_does(tmp_path: Path) -> None:
    """The packed mask of a file raster (read by strips) gives, at random points in and
    around it, exactly the raster's own "pixel holds the value" answers."""
    rng = np.random.default_rng(7)
    array = rng.integers(0, 4, (300, 437), dtype=np.uint8)
    array[:5] = 255
    transform = Affine(2.0, 0, 480_000.0, 0, -2.0, 3_790_000.0)
    path = tmp_path / "canopy.tif"
    profile = {"driver": "GTiff", "height": 300, "width": 437, "count": 1, "dtype": "uint8",
               "crs": CRS.from_epsg(4548), "transform": transform, "nodata": 255,
               "tiled": True, "blockxsize": 64, "blockysize": 64}  # fmt: skip
    with rasterio.open(path, "w", **profile) as out:
        out.write(array, 1)
    raster = read_raster(path, in_memory=False)
    x = rng.uniform(480_000.0 - 20, 480_000.0 + 2 * 437 + 20, 50_000)
    y = rng.uniform(3_790_000.0 - 2 * 300 - 20, 3_790_000.0 + 20, 50_000)
    col = np.floor((x - 480_000.0) / 2.0).astype(np.int64)
    row = np.floor((3_790_000.0 - y) / 2.0).astype(np.int64)
    ok = (row >= 0) & (row < 300) & (col >= 0) & (col < 437)
    expected = np.zeros(len(x), dtype=bool)
    expected[ok] = raster.values_at(row[ok], col[ok]) == 1
    got = PixelMask(raster, 1, strip_rows=64).at_xy(x, y)
    assert ok.sum() > 40_000 and expected.any() and (~expected[ok]).any()
    assert np.array_equal(got, expected)
