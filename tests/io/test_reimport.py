"""Importing OpenStreetMap again (--force) keeps the city's own settings, says what changed
and keeps the old workspace as a backup."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pyogrio
import pytest
import shapely
import tomli_w
from click.testing import CliRunner

from gardencity.cli import main
from gardencity.io.osm import import_osm
from gardencity.io.workspace import Workspace

SOURCE = "beijing_haidian_2017.osm"


def _customise(root: Path) -> dict[str, object]:
    """What a city adds after the first import: rasters, management, its name, grade and
    districts with population."""
    config = tomllib.loads((root / "city.toml").read_text(encoding="utf-8"))
    config["city"].update({"name": "海淀区", "region": "north", "population": 320_000.0})
    config["rasters"] = {"canopy": "canopy.tif", "canopy_classes": {"tree": 1, "grass": 3}}
    config["management"] = {"green_system_plan": {"status": True, "evidence": ["docs/批复.pdf"]}}
    (root / "city.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    districts = pyogrio.read_dataframe(root / "city.gpkg", layer="districts")
    west, east = shapely.box(*districts.total_bounds).bounds[0], districts.total_bounds[2]
    middle = (west + east) / 2
    halves = [
        shapely.intersection(districts.geometry.iloc[0], shapely.box(west, -1e9, middle, 1e9)),
        shapely.intersection(districts.geometry.iloc[0], shapely.box(middle, -1e9, east, 1e9)),
    ]
    two = districts.iloc[[0, 0]].copy()
    two["district_id"] = ["110108001", "110108002"]
    two["name"] = ["学院路街道", "燕园街道"]
    two["population"] = [120_000.0, 200_000.0]
    two = two.set_geometry(halves, crs=districts.crs)
    pyogrio.write_dataframe(
        two, root / "city.gpkg", layer="districts", layer_options={"OVERWRITE": "YES"}
    )
    return config


@pytest.mark.shared_data
def test_reimport_keeps_the_city_settings_and_backs_up(shared_data: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    import_osm(shared_data / SOURCE, root)
    before = _customise(root)
    old_toml = (root / "city.toml").read_bytes()
    old_gpkg = (root / "city.gpkg").read_bytes()

    result = CliRunner(env={"COLUMNS": "250"}).invoke(
        main, ["import-osm", str(shared_data / SOURCE), str(root), "--force"]
    )
    assert result.exit_code == 0, result.output
    ws = Workspace.open(root)
    city = ws.config.city
    assert (city.name, city.region, city.population) == ("海淀区", "north", 320_000.0)
    assert ws.config.rasters.canopy == "canopy.tif" and ws.config.rasters.canopy_classes == {
        "tree": 1,
        "grass": 3,
    }
    assert ws.config.management["green_system_plan"].evidence == ["docs/批复.pdf"]
    districts = ws.load_layer("districts")
    assert districts is not None
    assert sorted(districts["name"]) == ["学院路街道", "燕园街道"]
    assert districts["population"].sum() == 320_000.0
    # what changed is said, and the old files are kept
    flat = " ".join(result.output.split())
    for said in (
        "沿用 [city] name = '海淀区'",
        "沿用 [rasters]",
        "沿用 [management]",
        "沿用原城区图层：2 个城区，人口合计 320,000",
        "原工作区已备份到",
    ):
        assert said in flat, said
    backups = list((root / "backups").iterdir())
    assert len(backups) == 1
    assert (backups[0] / "city.toml").read_bytes() == old_toml
    assert (backups[0] / "city.gpkg").read_bytes() == old_gpkg
    assert before["city"]["name"] == "海淀区"  # type: ignore[index]


@pytest.mark.shared_data
def test_what_is_given_again_wins_and_is_reported(shared_data: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    import_osm(shared_data / SOURCE, root, name="海淀")
    _customise(root)
    report = import_osm(
        shared_data / SOURCE, root, name="新海淀", population=300_000, overwrite=True
    )
    ws = Workspace.open(root)
    assert ws.config.city.name == "新海淀" and ws.config.city.population is None
    districts = ws.load_layer("districts")
    assert districts is not None and list(districts["population"]) == [300_000.0]
    assert ws.config.rasters.canopy == "canopy.tif"  # kept: nothing replaced it
    text = report.to_text("en")
    assert "[city] name changed from '海淀区' to '新海淀' (given)" in text
    assert "[city] population = 320,000 was dropped" in text
    assert "layer districts: 2 → 1 features" in text
    assert report.backup is not None and (report.backup / "city.toml").exists()
