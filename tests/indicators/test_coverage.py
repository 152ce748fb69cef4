import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import CRS

from gardencity.errors import GeographicCrsError, MixedCrsError
from gardencity.indicators.coverage import green_coverage_ratio, tree_shrub_share
from gardencity.io.raster import Raster
from tests.conftest import ZoneMaker

X0, Y0 = 500_000.0, 3_000_000.0


def _veg(crs: str | int = 4547) -> gpd.GeoDataFrame:
    boxes = [
        shapely.box(X0, Y0, X0 + 100, Y0 + 100),  # tree, west
        shapely.box(X0 + 50, Y0, X0 + 150, Y0 + 100),  # grass under it, half overlapping
        shapely.box(X0 + 600, Y0, X0 + 700, Y0 + 100),
    ]  # shrub, east
    return gpd.GeoDataFrame(
        {"veg_type": ["tree", "grass", "shrub"]}, geometry=boxes, crs=4547
    ).to_crs(crs)


def test_green_coverage_counts_overlaps_once(make_zones: ZoneMaker) -> None:
    result = green_coverage_ratio(make_zones(), _veg())
    # union west = 150 m × 100 m, east = 100 m × 100 m
    assert result["built_up_area"] == pytest.approx(2.5)
    assert result["d1"] == pytest.approx(3.0)
    assert result["d2"] == pytest.approx(2.0)
    assert result.attrs["numerator"]["built_up_area"] == pytest.approx(25_000)


def test_tree_shrub_share(make_zones: ZoneMaker) -> None:
    result = tree_shrub_share(make_zones(), _veg())
    assert result["built_up_area"] == pytest.approx(20_000 / 25_000 * 100)
    assert result["d1"] == pytest.approx(10_000 / 15_000 * 100)


def _raster(classes_block: np.ndarray, pixel: float = 10.0) -> Raster:
    return Raster(
        classes_block,
        Affine(pixel, 0, X0, 0, -pixel, Y0 + 1000),
        CRS.from_epsg(4547),
        255,
        {"tree": 1, "shrub": 2, "grass": 3},
    )


def test_raster_and_polygons_agree_on_the_same_squares(make_zones: ZoneMaker) -> None:
    grid = np.zeros((100, 100), dtype=np.uint8)
    grid[90:100, 0:10] = 1  # tree: x 0–100, y 0–100
    grid[90:100, 10:15] = 3  # grass: x 100–150
    grid[90:100, 60:70] = 2  # shrub
    zones = make_zones()
    from_raster = green_coverage_ratio(zones, canopy=_raster(grid))
    from_polygons = green_coverage_ratio(zones, _veg())
    assert np.allclose(from_raster.to_numpy(), from_polygons.to_numpy())
    assert np.allclose(
        tree_shrub_share(zones, canopy=_raster(grid)).to_numpy(),
        tree_shrub_share(zones, _veg()).to_numpy(),
    )


def test_raster_strips_give_the_same_result(make_zones: ZoneMaker) -> None:
    from gardencity.toolkit import raster_zone_sums

    rng = np.random.default_rng(1)
    grid = rng.integers(0, 4, (100, 100)).astype(np.uint8)
    values = np.zeros(256)
    values[[1, 2, 3]] = 1
    one = raster_zone_sums(_raster(grid), make_zones(), values, strip_rows=1000)
    many = raster_zone_sums(_raster(grid), make_zones(), values, strip_rows=3)
    assert one.equals(many)
    assert one.loc["built_up_area", "count"] == 10_000


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_class_counts_match_one_full_mask_per_zone(make_zones: ZoneMaker, dtype: type) -> None:
    from rasterio.features import geometry_mask

    from gardencity.toolkit import raster_class_counts

    rng = np.random.default_rng(7)
    grid = rng.integers(0, 4, (100, 100)).astype(dtype)
    grid[rng.random((100, 100)) < 0.1] = 255
    if dtype is np.float32:
        grid[0, :7] = np.nan
    raster = _raster(grid)
    zones = make_zones()  # the built-up area overlaps both districts
    counts = raster_class_counts(raster, zones, [1, 2, 3], strip_rows=7)
    for zone_id, geom in zones.geometry.items():
        inside = geometry_mask([geom], grid.shape, raster.transform, invert=True)
        valid = inside & (grid != 255) & ~np.isnan(grid.astype(float))
        assert counts.loc[zone_id, "valid"] == valid.sum()
        for value in (1, 2, 3):
            assert counts.loc[zone_id, value] == (valid & (grid == value)).sum()


def test_nodata_pixels_are_ignored(make_zones: ZoneMaker) -> None:
    grid = np.full((100, 100), 255, dtype=np.uint8)
    grid[:, :50] = 1
    result = green_coverage_ratio(make_zones(), canopy=_raster(grid))
    assert result["built_up_area"] == pytest.approx(100.0)


@pytest.mark.parametrize("crs", [32650, 4547])
def test_invariant_under_reprojection(make_zones: ZoneMaker, crs: int) -> None:
    base = green_coverage_ratio(make_zones(), _veg())
    moved = green_coverage_ratio(make_zones(crs), _veg(crs))
    assert np.allclose(base.to_numpy(), moved.to_numpy(), rtol=1e-4)


def test_same_result_from_cgcs2000_lonlat_input(make_zones: ZoneMaker) -> None:
    lonlat = _veg(4490).to_crs(4547)
    assert np.allclose(
        green_coverage_ratio(make_zones(), lonlat).to_numpy(),
        green_coverage_ratio(make_zones(), _veg()).to_numpy(),
        rtol=1e-6,
    )


def test_adding_vegetation_never_lowers_coverage(make_zones: ZoneMaker) -> None:
    veg = _veg()
    more = gpd.GeoDataFrame(
        {"veg_type": ["grass"]},
        geometry=[shapely.box(X0 + 40, Y0 + 40, X0 + 400, Y0 + 300)],
        crs=4547,
    )
    before = green_coverage_ratio(make_zones(), veg)
    after = green_coverage_ratio(
        make_zones(), gpd.GeoDataFrame(gpd.pd.concat([veg, more]), crs=4547)
    )
    assert (after >= before).all() and after["built_up_area"] > before["built_up_area"]


def test_geographic_and_mixed_crs_are_refused(make_zones: ZoneMaker) -> None:
    with pytest.raises(GeographicCrsError) as geographic:
        green_coverage_ratio(make_zones(4490), _veg(4490))
    assert "degrees" in geographic.value.text("en") and "单位为度" in str(geographic.value)
    with pytest.raises(MixedCrsError) as mixed:
        green_coverage_ratio(make_zones(), _veg(32650))
    assert "reproject" in mixed.value.text("en").lower()
