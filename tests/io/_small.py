"""The smallest valid workspace layers: a 1 km² city, one district, two parcels, one park
and one road (CGCS2000 / 3-degree Gauss-Krüger CM 117°E)."""

from __future__ import annotations

import geopandas as gpd
import shapely

X0, Y0 = 500_000.0, 3_800_000.0
CRS = "EPSG:4548"


def small_layers(**overrides: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    box = shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)
    layers = {
        "built_up_area": gpd.GeoDataFrame({"name": ["城"]}, geometry=[box], crs=CRS),
        "districts": gpd.GeoDataFrame(
            {"district_id": ["1"], "name": ["甲区"], "population": [10_000.0]},
            geometry=[box],
            crs=CRS,
        ),
        "land_use": gpd.GeoDataFrame(
            {"code": ["R2", "G1"], "parcel_id": ["a", "b"]},
            geometry=[
                shapely.box(X0, Y0, X0 + 500, Y0 + 500),
                shapely.box(X0 + 500, Y0, X0 + 600, Y0 + 100),
            ],
            crs=CRS,
        ),
        "green_spaces": gpd.GeoDataFrame(
            {"green_class": ["G12"], "name": ["园"]},
            geometry=[shapely.box(X0 + 500, Y0, X0 + 600, Y0 + 100)],
            crs=CRS,
        ),
        "roads": gpd.GeoDataFrame(
            {"grade": ["支路"]},
            geometry=[shapely.LineString([(X0, Y0 + 600), (X0 + 1000, Y0 + 600)])],
            crs=CRS,
        ),
    }
    layers.update(overrides)
    return layers
