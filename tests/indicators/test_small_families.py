from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from pyproj import CRS

from gardencity.errors import MissingLayerError
from gardencity.indicators.biodiversity import native_woody_plant_index
from gardencity.indicators.climate import heat_island_intensity
from gardencity.indicators.management import management_item
from gardencity.io.management import ManagementEvidence
from gardencity.io.raster import Raster
from tests.conftest import ZoneMaker

X0, Y0 = 500_000.0, 3_000_000.0


def test_native_index_counts_species_not_trees(make_zones: ZoneMaker) -> None:
    pts = [(10, 10), (20, 10), (30, 10), (700, 10), (710, 10)]
    trees = gpd.GeoDataFrame(
        {
            "species": ["国槐", "国槐", "悬铃木", "银杏", "雪松"],
            "is_native": [True, True, False, True, False],
            "is_woody": [True] * 5,
        },
        geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in pts],
        crs=4547,
    )
    result = native_woody_plant_index(make_zones(), trees)
    assert result["d1"] == pytest.approx(0.5)
    assert result["d2"] == pytest.approx(0.5)
    assert result["built_up_area"] == pytest.approx(0.5)
    assert result.attrs["denominator"]["built_up_area"] == 4


def test_heat_island_from_a_raster_ring(make_zones: ZoneMaker) -> None:
    # 10 m raster over the city plus 3 km: 35 °C inside the city, 31 °C outside
    pixel = 10.0
    size = 700
    x0, y1 = X0 - 3000, Y0 + 1000 + 3000
    grid = np.full((size, size), 31.0, dtype=np.float32)
    grid[300:400, 300:400] = 35.0
    raster = Raster(grid, Affine(pixel, 0, x0, 0, -pixel, y1), CRS.from_epsg(4547), -9999.0)
    zones = make_zones()
    result = heat_island_intensity(
        zones, zones.loc[["built_up_area"]], temperature=raster, ring_inner_m=500, ring_outer_m=2000
    )
    assert result["built_up_area"] == pytest.approx(4.0)
    assert result.attrs["rural_mean_c"] == pytest.approx(31.0)


def test_heat_island_from_stations(make_zones: ZoneMaker) -> None:
    dates = pd.to_datetime(["2023-07-01", "2023-07-01", "2024-07-01", "2024-07-01", "2024-12-01"])
    table = pd.DataFrame(
        {
            "station_id": ["u", "r", "u", "r", "u"],
            "is_urban": [True, False, True, False, True],
            "date": dates,
            "tmax_c": [35.0, 33.0, 36.0, 33.0, 10.0],
        }
    )
    zones = make_zones()
    result = heat_island_intensity(zones, zones.loc[["built_up_area"]], weather_stations=table)
    assert result["built_up_area"] == pytest.approx(2.5)
    assert np.isnan(result["d1"])


def test_heat_island_without_data_says_what_to_add(make_zones: ZoneMaker) -> None:
    zones = make_zones()
    with pytest.raises(MissingLayerError, match="land_surface_temperature"):
        heat_island_intensity(zones, zones.loc[["built_up_area"]])


def test_management_item_needs_existing_evidence(make_zones: ZoneMaker, tmp_path: Path) -> None:
    zones = make_zones()
    ok = ManagementEvidence("plan", True, ("docs/a.pdf",), ())
    missing = ManagementEvidence("plan", True, ("docs/a.pdf",), ("docs/a.pdf",))
    assert management_item(zones, {"plan": ok}, item_id="plan")["built_up_area"] == 1.0
    result = management_item(zones, {"plan": missing}, item_id="plan")
    assert result["built_up_area"] == 0.0 and "missing" in result.attrs["reason"]
    assert np.isnan(management_item(zones, {}, item_id="plan")["built_up_area"])
