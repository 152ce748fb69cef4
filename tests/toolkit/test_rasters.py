"""Pixel look-ups of the road measures and class counts per zone (toolkit/rasters.py)."""

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from pyproj import CRS

from gardencity.io.raster import Raster, read_raster
from gardencity.toolkit import PixelMask, raster_class_counts


def test_pixel_mask_answers_as_the_raster_file_does(tmp_path: Path) -> None:
    """The packed mask of a file raster (read by strips) gives, at random points in and
    around it, exactly the raster's own "pixel holds the value" answers."""
    rng = np.random.default_rng(7)
    array = rng.integers(0, 4, (300, 437), dtype=np.uint8)
    array[:5] = 255
    path = _write_canopy(tmp_path / "canopy.tif", array, pixel=2.0, block=64)
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


def test_class_counts_inside_and_across_zone_edges_match_pixel_centres() -> None:
    """Per zone, valid pixels and pixels of each class are those whose centre is in the zone,
    counted independently here: whether a block of columns lies wholly inside a zone (counted
    as it is) or crosses its edge (rasterised), and for a zone outside the raster."""
    rng = np.random.default_rng(19)
    rows, cols = 300, 4000
    array = rng.integers(0, 5, (rows, cols), dtype=np.uint8)
    array[rng.random((rows, cols)) < 0.05] = 255
    x0, y1 = 480_000.0, 3_790_000.0
    raster = Raster(array, Affine(1.0, 0, x0, 0, -1.0, y1), CRS.from_epsg(4548), nodata=255)
    big = shapely.Polygon(
        [(x0 + 5.3, y1 - 3.7), (x0 + 3990.6, y1 - 12.2), (x0 + 3800.1, y1 - 296.4),
         (x0 + 20.8, y1 - 290.9)]
    )  # fmt: skip
    zones = gpd.GeoDataFrame(
        index=["built_up_area", "east", "far"],
        geometry=[big, shapely.box(x0 + 2500.4, y1 - 200.6, x0 + 4100.0, y1 + 5.0),
                  shapely.box(x0 - 900.0, y1 - 50.0, x0 - 100.0, y1)],
        crs=4548,
    )  # fmt: skip
    got = raster_class_counts(raster, zones, [1, 3, 255], strip_rows=64)
    col, row = np.meshgrid(np.arange(cols), np.arange(rows))
    xs, ys = x0 + col.ravel() + 0.5, y1 - row.ravel() - 0.5
    values = array.ravel()
    for zone, geom in zip(zones.index, zones.geometry, strict=True):
        inside = shapely.contains_xy(geom, xs, ys) & (values != 255)
        expected = [inside.sum(), *((values[inside] == v).sum() for v in (1, 3)), 0]
        assert got.loc[zone].tolist() == expected, zone
    assert got.loc["built_up_area", "valid"] > 1_000_000 and got.loc["far", "valid"] == 0


def test_class_counts_of_a_tiled_file_match_rasterising_each_whole_zone(tmp_path: Path) -> None:
    """Read from a tiled file strip by strip, with zones whose edges wiggle through many
    column chunks, run along pixel edges and through pixel centres, and chunks wholly inside
    two zones at once (counted once for both): the counts are those of rasterising each whole
    zone over the whole raster, pixel for pixel."""
    from rasterio.features import geometry_mask

    rng = np.random.default_rng(5)
    rows, cols = 700, 5300
    array = rng.integers(0, 4, (rows, cols), dtype=np.uint8)
    array[rng.random((rows, cols)) < 0.03] = 255
    path = _write_canopy(tmp_path / "canopy.tif", array, pixel=1.0, block=128)
    raster = read_raster(path, in_memory=False)
    x0, y1 = 480_000.0, 3_790_000.0
    xs = np.linspace(x0 + 2600.0, x0 + 2700.0, 400) + rng.uniform(-40, 40, 400)
    wiggle = list(zip(xs, np.linspace(y1 + 10, y1 - rows - 10, 400), strict=True))
    west = shapely.Polygon([(x0 - 10, y1 + 10), *wiggle, (x0 - 10, y1 - rows - 10)])
    city = shapely.box(x0 + 3.0, y1 - 650.5, x0 + 5250.0, y1 - 20.0)  # pixel edges, centres
    diagonal = shapely.Polygon([(x0 + 1000.5, y1 - 100.5), (x0 + 4800.5, y1 - 600.5),
                                (x0 + 1000.5, y1 - 600.5)])  # fmt: skip
    zones = gpd.GeoDataFrame(
        index=["built_up_area", "west", "diagonal", "far"],
        geometry=[city, west, diagonal, shapely.box(x0 - 900, y1 - 50, x0 - 100, y1)],
        crs=4548,
    )
    got = raster_class_counts(raster, zones, [1, 2, 3], strip_rows=256)
    assert "array" not in raster.__dict__  # read by strips
    for zone, geom in zones.geometry.items():
        inside = geometry_mask([geom], (rows, cols), raster.transform, invert=True) & (array != 255)
        expected = [inside.sum(), *((inside & (array == v)).sum() for v in (1, 2, 3))]
        assert got.loc[zone].tolist() == expected, zone
    assert got.loc["west", "valid"] > 1_000_000 and got.loc["far", "valid"] == 0


def _star(rng: np.random.Generator, cx: float, cy: float, radius: float, n: int) -> shapely.Polygon:
    angle = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = radius * rng.uniform(0.3, 1.0, n)
    xy = np.column_stack([cx + r * np.cos(angle), cy + r * np.sin(angle)])
    # some vertices exactly on pixel centres, pixel edges and shared rows (horizontal edges)
    xy[::7] = np.round(xy[::7] * 2) / 2
    xy[3::11, 1] = xy[2::11, 1][: len(xy[3::11])]
    return shapely.Polygon(xy)


def _filled(
    shape: shapely.Geometry | None, transform: Affine, rows: tuple[int, int], cols: tuple[int, int]
) -> np.ndarray:
    """The pixels of rows ``rows``, columns ``cols`` whose centres GDAL fills in ``shape``."""
    from rasterio import features

    out_shape = (rows[1] - rows[0], cols[1] - cols[0])
    if shape is None:
        return np.zeros(out_shape, dtype=np.uint8)
    window = transform @ Affine.translation(cols[0], rows[0])
    return features.rasterize(
        [(shape, 1)], out_shape=out_shape, transform=window, fill=0, dtype=np.uint8
    )


def test_a_zone_cut_to_a_bands_edges_fills_the_same_pixels_in_the_band() -> None:
    """Rasterising a zone over a window of rows is done with the zone's edges that reach
    those rows (:func:`band_rings`): in every window, on every shape (holes, several
    polygons, vertices on pixel centres and edges, horizontal edges), the very same pixels."""
    from gardencity.toolkit import band_rings

    rng = np.random.default_rng(11)
    t = Affine(2.0, 0, 480_000.0, 0, -2.0, 3_790_000.0)
    shapes = []
    for _ in range(12):
        px, py = rng.uniform(60, 240, 2)
        cx, cy = t.c + px * t.a, t.f + py * t.e
        outer = _star(rng, cx, cy, 180.0, int(rng.integers(8, 300)))
        hole = _star(rng, cx, cy, 40.0, 9)
        other = _star(rng, cx + 400.0, cy - 100.0, 90.0, 40)
        valid = outer.buffer(0)  # the star itself may cross itself: GDAL fills it all the same
        shapes += [outer, valid.difference(hole.buffer(0)), valid.union(other.buffer(0))]
    compared = 0
    for geom in shapes:
        x0, y0, x1, y1 = geom.bounds
        c0, c1, r0, r1 = (x0 - t.c) / t.a, (x1 - t.c) / t.a, (y1 - t.f) / t.e, (y0 - t.f) / t.e
        for _ in range(8):
            row0 = int(rng.integers(int(r0) - 5, int(r1)))
            rows = (row0, row0 + int(rng.integers(1, 60)))
            col0 = int(rng.integers(int(c0) - 5, int(c1)))
            cols = (col0, col0 + int(rng.integers(1, 200)))
            top, bottom = t.f + (rows[0] - 1) * t.e, t.f + (rows[1] + 1) * t.e
            band = band_rings(geom, bottom, top, t.c + (cols[1] + 16) * t.a)
            expected = _filled(geom, t, rows, cols)
            assert np.array_equal(_filled(band, t, rows, cols), expected)
            compared += int(expected.any())
    assert compared > 50  # most windows hold some of their zone


def test_class_counts_count_the_files_values_once_for_validation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The class counts per zone read every row of the canopy's file once, whole-width, and
    count its values on the way: validation's count of the values (another reading of the
    same file, as in the process that computes both) then reads nothing, and gives the counts
    of the whole raster. The class counts are those of the raster held in memory. A file
    changed since is read again."""
    from gardencity.io import raster as raster_module
    from gardencity.io import validate_setup

    rng = np.random.default_rng(5)
    array = rng.integers(0, 4, (300, 437), dtype=np.uint8)
    array[:7] = 255
    array[150, 9] = 7  # a value of no class
    path = _write_canopy(tmp_path / "canopy.tif", array, pixel=2.0, block=64)
    zones = gpd.GeoDataFrame(  # the window of the zones: not the whole raster
        index=["city", "east"],
        geometry=[shapely.box(480_100.3, 3_789_500.2, 480_700.9, 3_789_850.1),
                  shapely.box(480_500.0, 3_789_600.0, 480_800.0, 3_789_800.0)],
        crs=4548,
    )  # fmt: skip
    reads: list[tuple[int, int, int, int | None]] = []
    read = raster_module.RasterFile.read

    def counted_read(self: Any, row0: int, row1: int, col0: int = 0, col1: Any = None) -> Any:
        reads.append((row0, row1, col0, col1))
        return read(self, row0, row1, col0, col1)

    monkeypatch.setattr(raster_module.RasterFile, "read", counted_read)
    in_file = raster_class_counts(read_raster(path, in_memory=False), zones, [1, 2, 3])
    transform = Affine(2.0, 0, 480_000.0, 0, -2.0, 3_790_000.0)  # as the file's
    in_memory = raster_class_counts(Raster(array, transform, CRS.from_epsg(4548), 255), zones,
                                    [1, 2, 3])  # fmt: skip
    assert in_file.equals(in_memory)
    rows = sorted((r0, r1) for r0, r1, c0, c1 in reads)
    assert all(c0 == 0 and c1 in (None, 437) for _, _, c0, c1 in reads)  # whole-width
    assert [r0 for r0, _ in rows] == [0, *[r1 for _, r1 in rows[:-1]]] and rows[-1][1] == 300

    reads.clear()
    values, counts = validate_setup._value_counts(read_raster(path, in_memory=False))
    assert reads == []  # taken from the class counts' pass
    expected, expected_counts = np.unique(array[array != 255], return_counts=True)
    assert values.tolist() == expected.tolist() == [0, 1, 2, 3, 7]
    assert counts.tolist() == expected_counts.tolist()

    array[150, 10] = 7  # the file rewritten: its values are counted again
    _write_canopy(path, array, pixel=2.0, block=64)
    values, counts = validate_setup._value_counts(read_raster(path, in_memory=False))
    assert reads != []
    assert counts[values.tolist().index(7)] == 2


def _write_canopy(path: Path, array: np.ndarray, *, pixel: float, block: int) -> Path:
    """``array`` written to ``path`` as a tiled canopy GeoTIFF (nodata 255, CGCS2000 zone
    39), its top-left corner at (480 000, 3 790 000) and square pixels of ``pixel`` metres."""
    rows, cols = array.shape
    profile = {"driver": "GTiff", "height": rows, "width": cols, "count": 1, "dtype": "uint8",
               "crs": CRS.from_epsg(4548), "nodata": 255,
               "transform": Affine(pixel, 0, 480_000.0, 0, -pixel, 3_790_000.0),
               "tiled": True, "blockxsize": block, "blockysize": block}  # fmt: skip
    with rasterio.open(path, "w", **profile) as out:
        out.write(array, 1)
    return path
