"""PostGIS-backed workspaces: push, read, identical results, and every broken database.

Each test gets a fresh database (fixture ``postgis_database`` in tests/conftest.py).
"""

from __future__ import annotations

import shutil
import socket
import tomllib
from pathlib import Path
from typing import Any

import psycopg
import pyogrio
import pytest
import tomli_w
from click.testing import CliRunner
from geopandas.testing import assert_geodataframe_equal

from gardencity.assessment import run_assessment
from gardencity.cli import main
from gardencity.errors import InvalidRequestError, MissingLayerError, NoCrsError, WorkspaceError
from gardencity.io.importing import import_layer
from gardencity.io.layers import LAYERS
from gardencity.io.postgis_push import push_to_postgis
from gardencity.io.validate import validate_workspace
from gardencity.io.workspace import Workspace, write_workspace
from gardencity.jobs.whatif import apply_edits
from tests.io._small import CRS, X0, Y0, small_layers

PASSWORD = "s3cret-Pw"


def _sql(url: str, statement: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def _comparable(assessment: Any) -> dict[str, Any]:
    """The scorecard without what legitimately differs between runs: clock, timings and the
    workspace folder (the pushed one is a copy)."""
    card: dict[str, Any] = assessment.to_dict()
    card.pop("generated_at")
    card["city"].pop("workspace")
    card.pop("timings_s")
    for indicator in card["indicators"]:
        indicator.pop("seconds", None)
    return card


def _small_workspace(root: Path) -> Path:
    config = {"city": {"name": "测试市", "crs": CRS}}
    return write_workspace(root, config=config, layers=small_layers())


def _set_config(root: Path, **sections: dict[str, Any]) -> None:
    path = root / "city.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8")) | sections
    path.write_text(tomli_w.dumps(data), encoding="utf-8")


def test_demo_city_on_postgis_gives_the_embedded_scorecard_exactly(
    demo_city: Path, demo_assessment: Any, postgis_database: str, tmp_path: Path
) -> None:
    root = shutil.copytree(demo_city, tmp_path / "city")
    embedded_toml = (root / "city.toml").read_text(encoding="utf-8")

    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        main, ["push-postgis", str(root), postgis_database, "--schema", "shifan"]
    )

    assert result.exit_code == 0, result.output
    assert "shifan.land_use" in result.output
    assert (root / "city.toml.bak").read_text(encoding="utf-8") == embedded_toml
    ws = Workspace.open(root)
    assert ws.config.storage.vector == postgis_database
    assert ws.config.storage.db_schema == "shifan"
    with psycopg.connect(postgis_database) as conn:
        indexed = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_indexes WHERE schemaname = 'shifan' "
                "AND indexdef LIKE '%USING gist%'"
            )
        }
    assert indexed == set(pyogrio.list_layers(root / "city.gpkg")[:, 0])

    # every layer, once loaded, is the embedded layer: same rows, order, fields and geometry
    embedded = Workspace.open(demo_city)
    assert ws.layer_names() == embedded.layer_names()
    for name in ws.layer_names():
        if name in LAYERS:
            assert_geodataframe_equal(ws.load_layer(name), embedded.load_layer(name))

    first = run_assessment(root)
    second = run_assessment(root)
    expected = _comparable(demo_assessment)
    assert _comparable(first) == expected
    assert _comparable(second) == expected
    values = {r.id: (r.value, r.by_district) for r in first.indicators}
    assert values == {r.id: (r.value, r.by_district) for r in demo_assessment.indicators}
    assert any(by_district for _, by_district in values.values())  # per district, too
    for key, frame in demo_assessment.diagnostics.items():
        assert_geodataframe_equal(first.diagnostics[key], frame)


def test_missing_table_names_the_table_and_the_fix(postgis_database: str, tmp_path: Path) -> None:
    root = _small_workspace(tmp_path / "ws")
    push_to_postgis(root, postgis_database, schema="city")
    _sql(postgis_database, "DROP TABLE city.districts")

    ws = Workspace.open(root)
    with pytest.raises(MissingLayerError) as missing:
        ws.load_layer("districts")
    message = missing.value.text("en")
    assert "city.districts" in message and "ogr2ogr" in message and "push-postgis" in message
    problems = validate_workspace(Workspace.open(root))
    assert any(p.layer == "districts" and "city.districts" in p.fix for p in problems)

    _set_config(root, layers={"roads": {"layer": "streets"}})
    with pytest.raises(MissingLayerError, match=r"表 city\.streets.*\[layers\.roads\]"):
        Workspace.open(root).load_layer("roads")


def test_a_path_override_still_reads_its_file(postgis_database: str, tmp_path: Path) -> None:
    root = _small_workspace(tmp_path / "ws")
    push_to_postgis(root, postgis_database, schema="city")
    roads = pyogrio.read_dataframe(root / "city.gpkg", layer="roads")
    pyogrio.write_dataframe(roads, root / "roads.gpkg", layer="streets")
    _sql(postgis_database, "DROP TABLE city.roads")
    _set_config(root, layers={"roads": {"path": "roads.gpkg", "layer": "streets"}})

    loaded = Workspace.open(root).load_layer("roads")

    assert loaded is not None and list(loaded["grade"]) == ["branch"]


def test_table_without_srid_is_refused_with_the_fix(postgis_database: str, tmp_path: Path) -> None:
    root = _small_workspace(tmp_path / "ws")
    push_to_postgis(root, postgis_database, schema="city")
    _sql(postgis_database, "SELECT UpdateGeometrySRID('city', 'roads', 'geom', 0)")

    with pytest.raises(NoCrsError) as refused:
        Workspace.open(root).load_layer("roads")

    assert "city.roads" in refused.value.text("en")
    assert "UpdateGeometrySRID('city', 'roads', 'geom', 4548)" in refused.value.text("en")


def test_a_table_made_by_hand_is_read_like_a_geopackage_layer(
    postgis_database: str, tmp_path: Path
) -> None:
    """No primary key, an unconstrained geometry column with SRIDs on the rows, numeric
    population: read in storage order with the SRID of the rows and float population."""
    root = _small_workspace(tmp_path / "ws")
    push_to_postgis(root, postgis_database, schema="city")
    _sql(
        postgis_database,
        "DROP TABLE city.districts; CREATE TABLE city.districts (district_id text, name text, "
        "population numeric, shape geometry); INSERT INTO city.districts VALUES "
        f"('2', '乙区', 4000, ST_GeomFromText('POLYGON(({X0} {Y0}, {X0 + 500} {Y0}, "
        f"{X0 + 500} {Y0 + 1000}, {X0} {Y0 + 1000}, {X0} {Y0}))', 4548)), "
        f"('1', '甲区', 6000.5, ST_GeomFromText('POLYGON(({X0 + 500} {Y0}, {X0 + 1000} {Y0}, "
        f"{X0 + 1000} {Y0 + 1000}, {X0 + 500} {Y0 + 1000}, {X0 + 500} {Y0}))', 4548))",
    )

    districts = Workspace.open(root).load_layer("districts")

    assert districts is not None
    assert list(districts["district_id"]) == ["2", "1"]
    assert list(districts["population"]) == [4000.0, 6000.5]
    assert districts.crs.to_epsg() == 4548 and districts.area.sum() == 1_000_000.0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_server_and_missing_schema_never_show_the_password(
    postgis_database: str, tmp_path: Path
) -> None:
    root = _small_workspace(tmp_path / "ws")
    unreachable = f"postgresql://gardencity:{PASSWORD}@127.0.0.1:{_closed_port()}/city"
    _set_config(root, storage={"vector": unreachable, "schema": "city"})
    with pytest.raises(WorkspaceError) as refused:
        Workspace.open(root).load_layer("roads")
    assert "Cannot connect to PostgreSQL" in refused.value.text("en")
    assert "gardencity@127.0.0.1" in refused.value.text("en")
    assert "Fix:" in refused.value.text("en") and PASSWORD not in refused.value.text("en")

    result = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["validate", str(root)])
    assert result.exit_code == 2 and PASSWORD not in result.output
    assert "Traceback" not in result.output

    with_password = postgis_database.replace(
        "postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@"
    )
    _set_config(root, storage={"vector": with_password, "schema": "nowhere"})
    with pytest.raises(WorkspaceError) as no_schema:
        Workspace.open(root).layer_names()
    assert "no schema 'nowhere'" in no_schema.value.text("en")
    said = no_schema.value.text("en")
    assert "push-postgis" in said and PASSWORD not in said


def test_push_keeps_backups_refuses_a_second_push_and_drops_the_password(
    postgis_database: str, tmp_path: Path
) -> None:
    root = _small_workspace(tmp_path / "ws")
    with_password = postgis_database.replace(
        "postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@"
    )

    report = push_to_postgis(root, with_password, schema="city")

    assert report.password_dropped and report.backup == root / "city.toml.bak"
    assert PASSWORD not in (root / "city.toml").read_text(encoding="utf-8")
    assert {layer.name: layer.features for layer in report.layers}["land_use"] == 2
    with pytest.raises(WorkspaceError, match="已从 .* 的模式“city”读取图层"):
        push_to_postgis(root, postgis_database, schema="city")
    with pytest.raises(WorkspaceError, match="import-layer 写入的 city.gpkg"):
        import_layer(root, "roads", root / "city.gpkg", layer="roads")
    with pytest.raises(InvalidRequestError, match="情景推演需要内嵌 GeoPackage 的工作区"):
        park = [[[117.0, 34.0], [117.001, 34.0], [117.001, 34.001], [117.0, 34.0]]]
        apply_edits(root, {"parks": [{"type": "Polygon", "coordinates": park}]}, tmp_path / "s")

    again = push_to_postgis(root, postgis_database, schema="other", force=True)

    assert again.backup == root / "city.toml.bak.1"
    assert Workspace.open(root).config.storage.db_schema == "other"
    assert len(Workspace.open(root).load_layer("land_use")) == 2  # type: ignore[arg-type]
