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
