from pathlib import Path

import pytest

from gardencity.errors import WorkspaceError
from gardencity.io.config import load_config


def test_defaults(tmp_path: Path) -> None:
    path = tmp_path / "city.toml"
    path.write_text('[city]\nname = "示范市"\n', encoding="utf-8")
    city = load_config(path).city
    assert city.standard == "national_ecological_garden_city_2022"
    assert city.land_use_scheme == "gb50137"
    assert city.green_space_scheme == "cjjt85_2017"
    assert city.crs is None


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "city.toml"
    path.write_text('[city]\nname = "示范市"\ncolour = "green"\n', encoding="utf-8")
    with pytest.raises(WorkspaceError, match="colour"):
        load_config(path)


def test_malformed_toml_quotes_the_line(tmp_path: Path) -> None:
    path = tmp_path / "city.toml"
    path.write_text('[city]\nname = "示范市\n', encoding="utf-8")
    with pytest.raises(WorkspaceError, match="line 2"):
        load_config(path)


def test_storage_names_a_postgis_schema(tmp_path: Path) -> None:
    path = tmp_path / "city.toml"
    path.write_text('[city]\nname = "示范市"\n', encoding="utf-8")
    assert load_config(path).storage.vector is None  # city.gpkg
    path.write_text(
        '[city]\nname = "示范市"\n[storage]\nvector = "postgresql://gc@db:5432/city"\n'
        'schema = "shifan"\n',
        encoding="utf-8",
    )
    storage = load_config(path).storage
    assert storage.vector == "postgresql://gc@db:5432/city" and storage.db_schema == "shifan"
    path.write_text(
        '[city]\nname = "示范市"\n[storage]\nvector = "postgresql://gc@db:5432/city"\n',
        encoding="utf-8",
    )
    assert load_config(path).storage.db_schema == "public"


def test_storage_refuses_what_is_not_a_postgresql_url(tmp_path: Path) -> None:
    path = tmp_path / "city.toml"
    path.write_text(
        '[city]\nname = "示范市"\n[storage]\nvector = "city.sqlite"\n', encoding="utf-8"
    )
    with pytest.raises(WorkspaceError, match=r"storage\.vector: .*postgresql://"):
        load_config(path)
    path.write_text(
        '[city]\nname = "示范市"\n[storage]\nvector = "postgresql://db:5432"\n', encoding="utf-8"
    )
    with pytest.raises(WorkspaceError, match="with a database"):
        load_config(path)
