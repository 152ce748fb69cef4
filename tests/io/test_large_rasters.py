"""A canopy raster larger than the memory it may take (a 1 m canopy of a 1,500 km² city is
1.6 G pixels): the canopy measures and the report's green-cover map read it from its file
strip by strip, never whole. tracemalloc sees every numpy array, those rasterio reads included."""

import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from pyproj import CRS

from gardencity.indicators.coverage import green_coverage_ratio, tree_shrub_share
from gardencity.io.raster import Raster, RasterFile, read_raster
from gardencity.reports.html import load_labels
from gardencity.reports.raster_maps import green_cover_map

ROWS, COLS = 12_000, 750  # 9 MB of uint8: more than a dozen of the measures' 1,024-row strips
BUDGET = ROWS * COLS // 2  # a measure that held the raster whole would exceed it
CLASSES = {"tree": 1, "shrub": 2, "grass": 3}
X0, Y1 = 480_000.0, 3_800_000.0


@pytest.fixture(scope="module")
def canopy_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(19)
    array = rng.integers(0, 4, (ROWS, COLS), dtype=np.uint8)
    array[:, :40] = 255  # a margin without data
    path = tmp_path_factory.mktemp("large") / "canopy.tif"
    profile = {"driver": "GTiff", "height": ROWS, "width": COLS, "count": 1, "dtype": "uint8",
               "crs": CRS.from_epsg(4548), "transform": Affine(1.0, 0, X0, 0, -1.0, Y1),
               "nodata": 255, "tiled": True, "blockxsize": 256, "blockysize": 256}  # fmt: skip
    with rasterio.open(path, "w", **profile) as out:
        out.write(array, 1)
    return path


def _zones() -> gpd.GeoDataFrame:
    city = shapely.box(X0 + 10.3, Y1 - ROWS + 7.6, X0 + COLS - 3.2, Y1 - 4.1)
    north = shapely.box(X0, Y1 - 5_000.5, X0 + COLS, Y1)
    south = shapely.Polygon([(X0, Y1 - ROWS), (X0 + COLS, Y1 - ROWS), (X0 + 300.0, Y1 - 5_000.5)])
    return gpd.GeoDataFrame(
        {"kind": ["built_up_area", "district", "district"]},
        index=["built_up_area", "north", "south"],
        geometry=[city, north, south],
        crs=4548,
    )


def _peak_bytes(call: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_canopy_measures_read_the_raster_strip_by_strip(canopy_file: Path) -> None:
    """Green coverage and the tree-and-shrub share of a file raster: the same values as from
    the raster held whole, with less than half the raster's bytes allocated at any moment."""
    zones = _zones()
    raster = read_raster(canopy_file, classes=CLASSES, in_memory=False)
    assert isinstance(raster, RasterFile)

    def measures() -> tuple[pd.Series, pd.Series]:
        return green_coverage_ratio(zones, canopy=raster), tree_shrub_share(zones, canopy=raster)

    (cover, woody), peak = _peak_bytes(measures)
    assert "array" not in raster.__dict__  # the whole-raster property was never read
    assert peak < BUDGET, f"{peak / 2**20:.1f} MB allocated at once"
    whole = read_raster(canopy_file, classes=CLASSES)
    pd.testing.assert_series_equal(cover, green_coverage_ratio(zones, canopy=whole))
    pd.testing.assert_series_equal(woody, tree_shrub_share(zones, canopy=whole))
    assert 70 < cover["north"] < 80 and 60 < woody["south"] < 72  # three of four classes green


def test_report_map_thins_the_raster_strip_by_strip(canopy_file: Path) -> None:
    """The report's green-cover map draws every n-th pixel, read strip by strip: the same
    pixels as striding the whole array, and the whole-raster property never read."""
    raster = read_raster(canopy_file, classes=CLASSES, in_memory=False)
    thinned, peak = _peak_bytes(lambda: raster.thinned(10))
    assert peak < BUDGET, f"{peak / 2**20:.1f} MB allocated at once"
    whole = read_raster(canopy_file, classes=CLASSES)
    assert np.array_equal(thinned, whole.array[::10, ::10])
    in_memory = Raster(whole.array, whole.transform, whole.crs, whole.nodata, CLASSES)
    assert np.array_equal(in_memory.thinned(7, strip_rows=100), whole.array[::7, ::7])

    png = green_cover_map(raster, _zones(), load_labels("zh"), "建成区绿化覆盖分布图")
    assert "array" not in raster.__dict__
    assert png == green_cover_map(whole, _zones(), load_labels("zh"), "建成区绿化覆盖分布图")


def test_map_overlay_warps_the_raster_from_its_file(canopy_file: Path) -> None:
    """The web map's canopy overlay is warped to Web Mercator from the file block by block:
    less than half the raster's bytes allocated at once, every class still drawn."""
    from gardencity.jobs.layers import _render_canopy

    (png, meta), peak = _peak_bytes(lambda: _render_canopy(canopy_file, CLASSES))
    assert peak < BUDGET, f"{peak / 2**20:.1f} MB allocated at once"
    assert png.startswith(b"\x89PNG") and all(meta["pixels"][name] > 0 for name in CLASSES)


def test_pixel_look_ups_read_only_the_blocks_asked_for(canopy_file: Path) -> None:
    """Values at scattered pixels (the spot checks' classes) come from the file's blocks that
    hold them, the same as from the whole array; no pixels asked for, none read."""
    raster = read_raster(canopy_file, classes=CLASSES, in_memory=False)
    rows, cols = np.array([0, 11_999, 5_000, 5_001]), np.array([749, 0, 300, 300])
    got, peak = _peak_bytes(lambda: raster.values_at(rows, cols))
    assert peak < BUDGET and "array" not in raster.__dict__
    assert got.tolist() == read_raster(canopy_file).array[rows, cols].tolist()
    assert raster.values_at(rows[:0], cols[:0]).tolist() == []
