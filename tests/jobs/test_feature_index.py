"""The feature under a point of the map, from the shapes and the R-tree a layer's MBTiles
file keeps: the polygon holding the point (the smallest where they nest), the nearest line
within the tolerance, nothing elsewhere; tiles cut before they kept shapes say so."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from gardencity.errors import NotFoundError
from gardencity.jobs.feature_index import feature_at, feature_id_at
from gardencity.jobs.tiles import open_tiles


def _lonlat(points: gpd.GeoSeries) -> list[tuple[float, float]]:
    return [(p.x, p.y) for p in points.to_crs(4326)]


def test_every_parcel_is_found_at_a_point_inside_it(run_path: Path, demo_city: Path) -> None:
    land_use = gpd.read_file(demo_city / "city.gpkg", layer="land_use")
    parcels = land_use[land_use["code"].str.startswith("R")]
    tiles = open_tiles(run_path, "residential")
    inside = _lonlat(parcels.geometry.representative_point())
    found = [tiles.feature(feature_at(tiles.path, lon, lat, 0.0) or 0) for lon, lat in inside]
    assert [f["parcel_id"] for f in found] == parcels["parcel_id"].tolist()


def test_nested_green_spaces_answer_the_innermost(run_path: Path, demo_city: Path) -> None:
    green = gpd.read_file(demo_city / "city.gpkg", layer="green_spaces")
    tiles = open_tiles(run_path, "green_spaces")
    for _, space in green.sample(min(len(green), 30), random_state=2).iterrows():
        point = space.geometry.representative_point()
        holding = green[green.contains(point)]
        smallest = holding.loc[holding.area.idxmin()]
        ((lon, lat),) = _lonlat(gpd.GeoSeries([point], crs=green.crs))
        details = tiles.feature(feature_id_at(tiles.path, "green_spaces", lon, lat, 5.0))
        assert details["area_m2"] == pytest.approx(smallest.geometry.area, abs=0.1)


def test_a_line_is_found_within_the_tolerance_only(run_path: Path) -> None:
    roads = gpd.read_file(run_path / "diagnostics.gpkg", layer="road_shade_segments")
    shaded = roads[roads["is_shaded"].astype(bool)]
    unshaded = roads[~roads["is_shaded"].astype(bool)]
    tiles = open_tiles(run_path, "road_shade_segments")
    segment = shaded.loc[shaded.length.idxmax()]
    middle = segment.geometry.interpolate(0.5, normalized=True)
    for tolerance in (6.0, 3.0):  # 4 m beside the segment's middle
        beside = shapely.Point(middle.x, middle.y + 4)
        ((lon, lat),) = _lonlat(gpd.GeoSeries([beside], crs=roads.crs))
        found = feature_at(tiles.path, lon, lat, tolerance)
        distance = shaded.distance(beside)
        if distance.min() > tolerance:
            assert found is None
            continue
        assert found is not None
        nearest = shaded.loc[distance.idxmin()]
        assert tiles.feature(found)["length_m"] == pytest.approx(nearest["length_m"])
    # the layer holds the shaded segments only: an unshaded one is not there
    alone = unshaded[unshaded.distance(shaded.union_all()) > 50]
    if len(alone):
        point = alone.geometry.iloc[0].interpolate(0.5, normalized=True)
        ((lon, lat),) = _lonlat(gpd.GeoSeries([point], crs=roads.crs))
        assert feature_at(tiles.path, lon, lat, 10.0) is None


def test_nothing_there_and_tiles_without_shapes_say_so(run_path: Path, tmp_path: Path) -> None:
    tiles = open_tiles(run_path, "residential")
    with pytest.raises(NotFoundError, match="没有要素") as nothing:
        feature_id_at(tiles.path, "residential", 100.0, 20.0, 5.0)
    assert "'Residential land' has no feature here" in nothing.value.text("en")
    older = tmp_path / "residential.mbtiles"
    shutil.copyfile(tiles.path, older)
    with sqlite3.connect(older) as db:
        db.execute("DROP TABLE feature_bounds")
        db.execute("DROP TABLE feature_shapes")
    db.close()
    with pytest.raises(NotFoundError, match="重新运行评估") as old:
        feature_id_at(older, "residential", 100.0, 20.0, 5.0)
    assert "zoom in and click the feature" in old.value.text("en")
