"""The demo city: deterministic, valid, consistent, and it tells the story it should."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
import shapely

from gardencity.demo import generate_demo_city
from gardencity.errors import WorkspaceError
from gardencity.io.layers import LAYERS
from gardencity.io.validate import validate_workspace
from gardencity.io.workspace import Workspace


def test_same_seed_same_city(demo_city: Path, tmp_path: Path) -> None:
    again = generate_demo_city(tmp_path / "again", "S")
    for layer in pyogrio.list_layers(demo_city / "city.gpkg")[:, 0]:
        a = pyogrio.read_dataframe(demo_city / "city.gpkg", layer=layer)
        b = pyogrio.read_dataframe(again / "city.gpkg", layer=layer)
        assert a.equals(b), layer
    with rasterio.open(demo_city / "canopy.tif") as x, rasterio.open(again / "canopy.tif") as y:
        assert np.array_equal(x.read(1), y.read(1))


def test_schema_and_validity(demo_city: Path) -> None:
    ws = Workspace.open(demo_city)
    assert [p for p in validate_workspace(ws) if p.severity == "error"] == []
    for name in pyogrio.list_layers(demo_city / "city.gpkg")[:, 0]:
        spec = LAYERS[name]
        columns = set(pyogrio.read_info(demo_city / "city.gpkg", layer=name)["fields"])
        assert set(spec.required_fields) <= columns, name
        assert columns <= {f.name for f in spec.fields}, name
        layer = ws.load_layer(name)
        assert layer is not None and shapely.is_valid(layer.geometry.to_numpy()).all()
    classes = set(ws.load_layer("green_spaces")["green_class"])
    assert {"G11", "G12", "G131", "G132", "G133", "G14", "G3", "XG", "SG", "EG12"} <= classes


def test_land_use_parcels_do_not_overlap(demo_city: Path) -> None:
    land = gpd.read_file(demo_city / "city.gpkg", layer="land_use")
    geoms = land.geometry.to_numpy()
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = a < b
    assert shapely.area(shapely.intersection(geoms[a[pairs]], geoms[b[pairs]])).sum() < 1.0


def test_story_figures_by_independent_computation(demo_city: Path) -> None:
    gpkg = demo_city / "city.gpkg"
    bua = gpd.read_file(gpkg, layer="built_up_area").geometry.iloc[0]
    districts = gpd.read_file(gpkg, layer="districts")
    green = gpd.read_file(gpkg, layer="green_spaces")
    parks = green[green["green_class"].str.startswith("G1")].union_all()
    per_capita = parks.intersection(bua).area / districts["population"].sum()
    assert 11.5 < per_capita < 14.0
    with rasterio.open(demo_city / "canopy.tif") as src:
        data = src.read(1)
        mask = rasterio.features.geometry_mask([bua], data.shape, src.transform, invert=True)
        share = np.isin(data[mask], [1, 2, 3]).mean() * 100
    assert 43 < share < 50
    land = gpd.read_file(gpkg, layer="land_use")
    residential = land[land["code"].str.startswith("R")].clip(bua)
    eligible = green[green["green_class"].str.startswith("G1") & green["is_open"]]
    eligible = eligible[eligible.area >= 2000]
    radius = np.where(eligible.area >= 5000, 500.0, 300.0)
    cover = eligible.buffer(radius, quad_segs=16).union_all()
    covered = residential.intersection(cover).area.sum() / residential.area.sum() * 100
    assert 84 < covered < 90


def test_rasters_cover_the_city_in_its_crs(demo_city: Path) -> None:
    bua = gpd.read_file(demo_city / "city.gpkg", layer="built_up_area").geometry.iloc[0]
    for name in ("canopy.tif", "lst.tif"):
        with rasterio.open(demo_city / name) as src:
            assert src.crs.to_epsg() == 4548
            assert shapely.box(*src.bounds).contains(bua)


def test_existing_workspace_is_protected(demo_city: Path) -> None:
    with pytest.raises(WorkspaceError, match="已有工作区") as refused:
        generate_demo_city(demo_city, "S")
    assert "already exists" in refused.value.text("en")


def test_the_districts_have_english_names(demo_city: Path) -> None:
    districts = pyogrio.read_dataframe(demo_city / "city.gpkg", layer="districts")
    names = dict(zip(districts["name"], districts["name_en"], strict=True))
    assert names["鼓楼区"] == "Gulou District"
    english = list(names.values())
    assert all(e.isascii() and e.endswith(("District", "Zone")) for e in english)
    assert len(set(english)) == len(names)
