"""The map's heavy layers as vector tiles: cut once per run (GeoPackage or PostGIS
workspace), each feature in the Web Mercator tile where it lies with its id and the
attributes it is painted by; its details kept by id next to the tiles."""

from __future__ import annotations

import gzip
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import mapbox_vector_tile
import pytest
import shapely
import shapely.geometry

from gardencity.errors import NotFoundError
from gardencity.jobs.tiles import (
    DETAIL_ZOOM,
    MAX_ZOOM,
    TILE_LAYERS,
    open_tiles,
    tiles_available,
    write_map_tiles,
)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The Web Mercator (XYZ) tile holding a WGS 84 point."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def decode(data: bytes) -> dict[str, Any]:
    return dict(mapbox_vector_tile.decode(gzip.decompress(data)))


def test_an_imported_run_has_tiles_of_every_heavy_layer(run_path: Path, demo_city: Path) -> None:
    assert tiles_available(run_path) == list(TILE_LAYERS)
    residential = open_tiles(run_path, "residential").describe()
    land_use = gpd.read_file(demo_city / "city.gpkg", layer="land_use")
    assert residential["features"] == int(land_use["code"].str.startswith("R").sum())
    assert residential["maxzoom"] == MAX_ZOOM
    west, south, east, north = residential["bounds"]
    assert 70 < west < east < 140 and 15 < south < north < 55  # degrees, not metres
    assert set(residential["fields"]) >= {"parcel_id", "code", "area_m2"}  # its details
    assert residential["painted"] == {}  # the tiles: nothing but the features' ids
    assert open_tiles(run_path, "green_spaces").describe()["painted"] == {"green_class": "String"}
    # only the shaded segments make the shaded-roads layer
    shaded = open_tiles(run_path, "road_shade_segments").describe()
    roads = gpd.read_file(run_path / "diagnostics.gpkg", layer="road_shade_segments")
    assert shaded["features"] == int(roads["is_shaded"].astype(bool).sum()) < len(roads)


def test_a_parcel_lies_in_its_tile_with_its_area(run_path: Path, demo_city: Path) -> None:
    land_use = gpd.read_file(demo_city / "city.gpkg", layer="land_use")
    parcel = land_use[land_use["code"].str.startswith("R")].iloc[0]
    inside = gpd.GeoSeries([parcel.geometry.representative_point()], crs=land_use.crs).to_crs(4326)
    tiles = open_tiles(run_path, "residential")
    for z in (DETAIL_ZOOM, MAX_ZOOM):
        x, y = tile_of(inside.iloc[0].x, inside.iloc[0].y, z)
        data = tiles.tile(z, x, y)
        assert data is not None
        features = decode(data)["residential"]["features"]
        # a detail tile carries each feature's id only; its details come by that id
        assert all(f["properties"] == {} and f["id"] >= 1 for f in features)
        found = [
            tiles.feature(f["id"])
            for f in features
            if tiles.feature(f["id"])["parcel_id"] == parcel["parcel_id"]
        ]
        assert found, f"parcel {parcel['parcel_id']} not in tile {z}/{x}/{y}"
        assert found[0]["area_m2"] == pytest.approx(parcel.geometry.area, rel=1e-3)
        assert found[0]["code"] == parcel["code"]
    # far from the city: no tile
    assert tiles.tile(MAX_ZOOM, 0, 0) is None


def test_unknown_layers_and_runs_without_tiles_say_what_to_do(
    run_path: Path, tmp_path: Path
) -> None:
    with pytest.raises(NotFoundError, match="可选") as unknown:
        open_tiles(run_path, "../city")
    assert "choose one of" in unknown.value.text("en")
    with pytest.raises(NotFoundError, match="重新运行评估") as missing:
        open_tiles(tmp_path, "residential")
    assert "run the assessment again" in missing.value.text("en")
    with pytest.raises(NotFoundError, match="没有编号为 999999 的要素") as no_feature:
        open_tiles(run_path, "residential").feature(999_999)
    assert "click the feature on the map again" in no_feature.value.text("en")


def test_green_detail_tiles_carry_the_class_they_are_painted_by_and_nothing_else(
    run_path: Path, demo_city: Path
) -> None:
    green = gpd.read_file(demo_city / "city.gpkg", layer="green_spaces")
    inside = green.geometry.iloc[0].representative_point()
    lonlat = gpd.GeoSeries([inside], crs=green.crs).to_crs(4326).iloc[0]
    tiles = open_tiles(run_path, "green_spaces")
    x, y = tile_of(lonlat.x, lonlat.y, DETAIL_ZOOM)
    data = tiles.tile(DETAIL_ZOOM, x, y)
    assert data is not None
    features = decode(data)["green_spaces"]["features"]
    assert features and all(set(f["properties"]) <= {"green_class"} for f in features)
    for feature in features[:20]:  # the class painted is the feature's own
        details = tiles.feature(feature["id"])
        assert details["green_class"] == feature["properties"]["green_class"]
        assert {"area_m2"} <= set(details)


def test_tiles_of_a_postgis_workspace(postgis_database: str, tmp_path: Path) -> None:
    from gardencity.io.postgis_push import push_to_postgis
    from gardencity.io.workspace import write_workspace
    from tests.io._small import CRS, small_layers

    root = write_workspace(
        tmp_path / "ws", config={"city": {"name": "测试市", "crs": CRS}}, layers=small_layers()
    )
    push_to_postgis(root, postgis_database, schema="city")
    out = tmp_path / "run"
    out.mkdir()
    assert write_map_tiles(root, out) == ["residential", "green_spaces"]  # no diagnostics
    assert open_tiles(out, "residential").describe()["features"] == 1  # the R2 parcel


def test_low_zooms_are_light_and_say_from_where_features_are_whole(
    run_path: Path, demo_city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gardencity.jobs.tiles as tiles

    land_use = gpd.read_file(demo_city / "city.gpkg", layer="land_use")
    parcels = land_use[land_use["code"].str.startswith("R")]
    west, south, east, north = parcels.to_crs(4326).total_bounds

    def found_at(path: Path, z: int) -> list[dict[str, Any]]:
        (x0, y0), (x1, y1) = tile_of(west, north, z), tile_of(east, south, z)
        found = []
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                data = open_tiles(path, "residential").tile(z, x, y)
                if data:
                    found += decode(data)["residential"]["features"]
        return found

    def features_at(path: Path, z: int) -> int:
        return len({open_tiles(path, "residential").feature(f["id"])["parcel_id"]
                    for f in found_at(path, z)})  # fmt: skip

    detail = open_tiles(run_path, "residential").describe()["detail_zoom"]
    assert detail == tiles.DETAIL_ZOOM
    assert features_at(run_path, MAX_ZOOM) == len(parcels)  # every parcel at the last zoom
    assert features_at(run_path, detail) >= 0.99 * len(parcels)  # (almost) every one its own
    # the overview: the shapes merged into a few features without attributes
    overview = found_at(run_path, detail - 1)
    assert 0 < len(overview) < 0.1 * len(parcels)
    assert all(f["properties"] == {} and not f.get("id") for f in overview)
    # denser than a tile may hold: the densest are merged, the details start higher
    monkeypatch.setattr(tiles, "MAX_TILE_BYTES", 5_000)
    monkeypatch.setattr(tiles, "TILE_LAYERS", {"residential": "workspace"})
    out = tmp_path / "run"
    write_map_tiles(demo_city, out)
    assert open_tiles(out, "residential").describe()["detail_zoom"] > detail


def test_detail_zoom_from_the_strategies() -> None:
    from gardencity.jobs.tiles import _detail_zoom

    assert _detail_zoom("[]", 15, 100) == 0
    assert _detail_zoom('[{}, {"tiny_polygons": 1}, {}]', 15, 100) == 0
    assert _detail_zoom('[{"tiny_polygons": 90}, {"tiny_polygons": 2}, {}]', 15, 100) == 2
    assert _detail_zoom('[{"coalesced_as_needed": 9}, {"dropped_as_needed": 1}, {}]', 15, 100) == 2


def _parts_at(tiles: Any, layer: str, z: int, bounds: tuple[float, ...]) -> tuple[int, int]:
    """The rings or lines, and the vertices, of a layer's tiles at zoom ``z`` over bounds."""
    west, south, east, north = bounds
    (x0, y0), (x1, y1) = tile_of(west, north, z), tile_of(east, south, z)
    parts = vertices = 0
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            data = tiles.tile(z, x, y)
            for feature in decode(data)[layer]["features"] if data else []:
                geometry = shapely.geometry.shape(feature["geometry"])
                for part in shapely.get_parts(geometry):
                    rings = [part] if part.geom_type == "LineString" else [part.exterior]
                    rings += list(getattr(part, "interiors", []))
                    parts += len(rings)
                    vertices += sum(len(r.coords) for r in rings)
    return parts, vertices


def test_the_overview_draws_blocks_and_streets_not_every_parcel_and_segment(
    run_path: Path, demo_city: Path
) -> None:
    """Parcels side by side at the overview zooms are the blocks they form; road segments
    (each side of a street its own) the streets they form: a few shapes where there were
    thousands, the same land covered."""
    import gardencity.jobs.tiles as tiles

    land_use = gpd.read_file(demo_city / "city.gpkg", layer="land_use")
    parcels = land_use[land_use["code"].str.startswith("R")].to_crs(4326)
    residential = open_tiles(run_path, "residential")
    bounds = tuple(parcels.total_bounds)
    # the city whole (zoom 12), and the last zoom before the details
    assert 0 < _parts_at(residential, "residential", 12, bounds)[0] < 0.1 * len(parcels)
    overview = tiles.DETAIL_ZOOM - 1
    assert 0 < _parts_at(residential, "residential", overview, bounds)[0] < 0.25 * len(parcels)
    roads = gpd.read_file(run_path / "diagnostics.gpkg", layer="road_shade_segments")
    shaded = roads[roads["is_shaded"].astype(bool)].to_crs(4326)
    streets = open_tiles(run_path, "road_shade_segments")
    for z in (12, overview):
        lines, _ = _parts_at(streets, "road_shade_segments", z, tuple(shaded.total_bounds))
        assert 0 < lines < 0.5 * len(shaded), (z, lines, len(shaded))
    # at the detail zooms every parcel is its own again
    detail, _ = _parts_at(open_tiles(run_path, "residential"), "residential",
                          tiles.DETAIL_ZOOM, tuple(parcels.total_bounds))  # fmt: skip
    assert detail >= len(parcels)
