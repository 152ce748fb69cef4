"""Workspaces: opening, loading, CRS policy, GCJ-02, atomic import, and every bad input."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from gardencity.errors import (
    GeographicCrsError,
    MissingColumnError,
    MissingLayerError,
    NoCrsError,
    UnknownClassCodeError,
    ValidationError,
    WorkspaceError,
)
from gardencity.io.gcj02 import wgs84_to_gcj02
from gardencity.io.importing import import_layer
from gardencity.io.validate import check_workspace, validate_workspace
from gardencity.io.workspace import Workspace, write_workspace
from tests.io._small import CRS, X0, Y0
from tests.io._small import small_layers as _layers


def _workspace(
    tmp_path: Path, config: dict | None = None, **overrides: gpd.GeoDataFrame
) -> Workspace:
    path = write_workspace(
        tmp_path / "ws",
        config=config or {"city": {"name": "测试市", "crs": CRS}},
        layers=_layers(**overrides),
        overwrite=True,
    )
    return Workspace.open(path)


def test_a_good_workspace_loads_with_canonical_fields(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    assert check_workspace(ws) == []
    roads = ws.load_layer("roads")
    assert roads is not None and roads["grade"].tolist() == ["branch"]
    assert roads["walkable"].tolist() == [True]
    land = ws.load_layer("land_use")
    assert land is not None and land["category"].tolist() == ["residential", "park"]
    assert ws.load_layer("trees") is None


def test_cgcs2000_and_gauss_kruger_inputs_load_identically(tmp_path: Path) -> None:
    layers = _layers()
    lonlat = {k: v.to_crs(4490) for k, v in layers.items()}
    a = Workspace.open(
        write_workspace(tmp_path / "a", config={"city": {"name": "甲", "crs": CRS}}, layers=layers)
    )
    b = Workspace.open(
        write_workspace(tmp_path / "b", config={"city": {"name": "甲", "crs": CRS}}, layers=lonlat)
    )
    for name in layers:
        ga, gb = a.load_layer(name), b.load_layer(name)
        assert ga is not None and gb is not None
        assert shapely.equals_exact(
            ga.geometry.to_numpy(), gb.geometry.to_numpy(), tolerance=1e-3
        ).all()


def test_crs_is_picked_from_the_data_when_not_configured(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, {"city": {"name": "甲"}})
    assert ws.crs.to_epsg() == 4548


def test_missing_folder_config_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError) as info:
        Workspace.open(tmp_path / "nope")
    assert re.search("No workspace folder.*gardencity init", info.value.text("en"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(WorkspaceError) as info:
        Workspace.open(tmp_path / "empty")
    assert "has no city.toml" in info.value.text("en") and "中没有 city.toml" in str(info.value)
    (tmp_path / "empty" / "city.toml").write_text("[city]\nname = 示范\n", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="不是有效的 TOML 文件.*line 2"):
        Workspace.open(tmp_path / "empty")
    (tmp_path / "empty" / "city.toml").write_text(
        '[city]\nname = "x"\ncolour = "red"\nland_use_scheme = "zz"\n', encoding="utf-8"
    )
    with pytest.raises(WorkspaceError) as info:
        Workspace.open(tmp_path / "empty")
    assert "city.colour" in str(info.value) and "city.land_use_scheme" in str(info.value)


def test_geographic_working_crs_is_refused(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, {"city": {"name": "甲", "crs": "EPSG:4490"}})
    with pytest.raises(GeographicCrsError, match="以米为单位的投影坐标系"):
        _ = ws.crs


def test_layer_without_crs_names_the_layer_and_the_fix(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    roads = _layers()["roads"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio warns about the missing CRS
        pyogrio.write_dataframe(
            gpd.GeoDataFrame(roads.drop(columns="geometry"), geometry=roads.geometry.to_numpy()),
            ws.path / "roads_nocrs.gpkg",
            layer="roads",
        )
    (ws.path / "city.toml").write_text(
        '[city]\nname = "测试市"\ncrs = "EPSG:4548"\n[layers.roads]\npath = "roads_nocrs.gpkg"\n',
        encoding="utf-8",
    )
    ws = Workspace.open(ws.path)
    with pytest.raises(NoCrsError, match="“roads”.*设置坐标系"):
        ws.load_layer("roads")
    problems = validate_workspace(ws)
    assert any(
        p.layer == "roads" and "no coordinate reference system" in p.message for p in problems
    )


def test_missing_required_layer(tmp_path: Path) -> None:
    layers = _layers()
    del layers["land_use"]
    ws = Workspace.open(
        write_workspace(tmp_path / "ws", config={"city": {"name": "甲", "crs": CRS}}, layers=layers)
    )
    with pytest.raises(MissingLayerError, match="import-layer"):
        ws.load_layer("land_use")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    land = gpd.GeoDataFrame(
        {"code": ["R2", "R2", "Q9", "ZZ"], "parcel_id": list("abcd")},
        geometry=[
            shapely.box(X0, Y0, X0 + 300, Y0 + 300),
            shapely.box(X0 + 200, Y0, X0 + 500, Y0 + 300),
            bowtie,
            shapely.box(X0 + 700, Y0, X0 + 800, Y0 + 50),
        ],
        crs=CRS,
    )
    green = gpd.GeoDataFrame(
        {"green_class": ["G99"], "name": ["?"]},
        geometry=[shapely.box(X0, Y0, X0 + 10, Y0 + 10)],
        crs=CRS,
    )
    roads = gpd.GeoDataFrame(
        {"grade": ["高速"]}, geometry=[shapely.LineString([(X0, Y0), (X0 + 10, Y0)])], crs=CRS
    )
    districts = gpd.GeoDataFrame(
        {"district_id": ["1", "1"], "name": ["甲", "乙"], "population": [None, 5.0]},
        geometry=[shapely.box(X0, Y0, X0 + 1, Y0 + 1)] * 2,
        crs=CRS,
    )
    layers = _layers(land_use=land, green_spaces=green, roads=roads, districts=districts)
    layers["vegetation"] = gpd.GeoDataFrame({"veg_type": []}, geometry=[], crs=CRS)
    ws = Workspace.open(
        write_workspace(tmp_path / "ws", config={"city": {"name": "甲", "crs": CRS}}, layers=layers)
    )
    with pytest.raises(ValidationError) as info:
        check_workspace(ws)
    text = str(info.value)
    for expected in (
        "overlap",
        "ZZ ×1",
        "Q9 ×1",
        "G99 ×1",
        "unknown grade",
        "高速 ×1",
        "no population",
        "duplicate district_id",
        "repaired with make_valid",
        "vegetation: layer is empty",
    ):
        assert expected in text, expected
    assert text.count("fix:") >= 8


def test_missing_required_fields_are_listed(tmp_path: Path) -> None:
    districts = gpd.GeoDataFrame(
        {"name": ["甲"]}, geometry=[shapely.box(X0, Y0, X0 + 1, Y0 + 1)], crs=CRS
    )
    ws = _workspace(tmp_path, districts=districts)
    problems = validate_workspace(ws)
    missing = [p for p in problems if p.layer == "districts"]
    assert missing and "district_id, population" in missing[0].message
    assert "[layers.districts]" in missing[0].fix


def test_field_mapping_and_gcj02_declared_by_the_user(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    lon, lat = 117.2, 34.26
    glon, glat = wgs84_to_gcj02(lon, lat)
    parks = gpd.GeoDataFrame(
        {"LB": ["G11"]}, geometry=[shapely.Point(float(glon), float(glat)).buffer(0.001)], crs=4326
    )
    parks.to_file(tmp_path / "parks_gcj.geojson")
    n = import_layer(
        ws.path,
        "green_spaces",
        tmp_path / "parks_gcj.geojson",
        fields={"green_class": "LB"},
        coordinates="gcj02",
    )
    assert n == 1
    loaded = Workspace.open(ws.path).load_layer("green_spaces")
    assert loaded is not None
    centre = gpd.GeoSeries([loaded.geometry.iloc[0].centroid], crs=CRS).to_crs(4326).iloc[0]
    assert abs(centre.x - lon) < 1e-5 and abs(centre.y - lat) < 1e-5


def test_failed_import_keeps_the_old_data(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    before = (ws.path / "city.gpkg").read_bytes()
    bad = gpd.GeoDataFrame(
        {"code": ["R2", "XX"]}, geometry=[shapely.box(X0, Y0, X0 + 1, Y0 + 1)] * 2, crs=CRS
    )
    bad.to_file(tmp_path / "bad.gpkg")
    with pytest.raises(UnknownClassCodeError, match="XX ×1"):
        import_layer(ws.path, "land_use", tmp_path / "bad.gpkg")
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=CRS).to_file(
        tmp_path / "nofield.gpkg"
    )
    with pytest.raises(MissingColumnError, match="--field code=原字段名"):
        import_layer(ws.path, "land_use", tmp_path / "nofield.gpkg")
    assert (ws.path / "city.gpkg").read_bytes() == before
    assert len(pyogrio.read_dataframe(ws.path / "city.gpkg", layer="land_use")) == 2


def test_layers_from_a_shapefile_with_mapped_fields(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    roads = gpd.GeoDataFrame(
        {"等级": ["主干路", "次干路"], "红线宽": [40.0, 24.0]},
        geometry=[
            shapely.LineString([(X0, Y0 + 100), (X0 + 900, Y0 + 100)]),
            shapely.LineString([(X0 + 100, Y0), (X0 + 100, Y0 + 900)]),
        ],
        crs=CRS,
    )
    roads.to_crs(4490).to_file(tmp_path / "roads.shp", encoding="utf-8")
    (ws.path / "city.toml").write_text(
        '[city]\nname = "测试市"\ncrs = "EPSG:4548"\n[layers.roads]\npath = "../roads.shp"\n'
        'fields = {grade = "等级", red_line_width_m = "红线宽"}\n',
        encoding="utf-8",
    )
    loaded = Workspace.open(ws.path).load_layer("roads")
    assert loaded is not None
    assert loaded["grade"].tolist() == ["arterial", "secondary"]
    assert loaded["red_line_width_m"].tolist() == [40.0, 24.0]
    assert loaded.crs.to_epsg() == 4548
    assert loaded.length.sum() == pytest.approx(1800.0, rel=1e-6)


def test_validation_reads_no_layer_the_assessment_has_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The assessment loads its layers before the checks start: the checks take the fields
    and row counts they need from what was read, and find the same problems."""
    districts = gpd.GeoDataFrame(
        {"name": ["甲"]}, geometry=[shapely.box(X0, Y0, X0 + 1, Y0 + 1)], crs=CRS
    )
    expected = validate_workspace(_workspace(tmp_path / "fresh", districts=districts))
    ws = _workspace(tmp_path / "loaded", districts=districts)
    loaded = [name for name in ws.layer_names() if ws.load_layer(name) is not None]
    assert "districts" in loaded and "land_use" in loaded
    read_again: list[str] = []
    reader = pyogrio.read_dataframe

    def counted(path: object, layer: str | None = None, **kwargs: object) -> object:
        read_again.append(str(layer))
        return reader(path, layer=layer, **kwargs)

    monkeypatch.setattr(pyogrio, "read_dataframe", counted)
    problems = validate_workspace(ws)
    assert read_again == []
    assert [p.as_dict() for p in problems] == [p.as_dict() for p in expected]
    assert any(p.layer == "districts" and "district_id" in p.message for p in problems)
