"""The workspace's and the importers' errors in the reader's language: the command line in its
--lang (Chinese by default), any caller through ``text(lang)`` — Chinese reads Chinese, English
reads English, whatever the error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from gardencity.cli import main
from gardencity.errors import GardenCityError, OsmImportError
from gardencity.io.crs import parse_crs, require_same_crs
from gardencity.io.osm import import_osm
from gardencity.io.workspace import write_workspace
from tests.io._small import small_layers

HAN = re.compile(r"[\u3400-\u9fff]")
ENGLISH_WORD = re.compile(r"\b(?:the|is|not|no|a|of|give|cannot|Fix|file|layer|read)\b")


def _zh(text: str, *names: str) -> None:
    for name in names:  # paths and codes the message names as they are
        text = text.replace(name, "")
    assert HAN.search(text) and not ENGLISH_WORD.search(text), text


def _en(text: str, *names: str) -> None:
    for name in names:
        text = text.replace(name, "")
    assert text.strip() and not HAN.search(text), text


def _broken_osm(tmp_path: Path) -> Path:
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1' lat='x'", encoding="utf-8")
    return broken


def test_a_broken_osm_file_is_refused_in_both_languages(tmp_path: Path) -> None:
    broken = _broken_osm(tmp_path)
    with pytest.raises(OsmImportError) as info:
        import_osm(broken, tmp_path / "ws", name="坏")
    zh, en = info.value.text("zh"), info.value.text("en")
    detail = zh[zh.index("（") + 1 : zh.index("）。")]  # the reader library's own words
    _zh(zh, str(broken), detail)
    _en(en, str(broken))
    assert zh.startswith(f"无法将 {broken} 读取为 OpenStreetMap 数据") and "处理：" in zh
    assert en.startswith(f"Cannot read {broken} as an OpenStreetMap extract") and "Fix:" in en
    assert not (tmp_path / "ws").exists()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_command_line_says_an_import_error_in_its_language(tmp_path: Path, lang: str) -> None:
    broken = _broken_osm(tmp_path)
    argv = ["import-osm", "--lang", lang, str(broken), str(tmp_path / "ws"), "--name", "坏"]
    result = CliRunner(env={"COLUMNS": "400"}).invoke(main, argv)
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert "Traceback" not in flat
    if lang == "zh":
        said = flat[flat.index("无法将") : flat.index("（")]
        _zh(said, str(broken))
        assert flat.index("处理：") > 0
    else:
        assert "Cannot read" in flat and "Fix:" in flat and not HAN.search(flat), flat


def test_workspace_and_crs_errors_come_in_both_languages(tmp_path: Path) -> None:
    layers = small_layers()
    ws = write_workspace(tmp_path / "ws", config={"city": {"name": "小城"}}, layers=layers)
    raised: list[GardenCityError] = []
    for attempt in (
        lambda: parse_crs("EPSG:4326"),
        lambda: require_same_crs(a=layers["land_use"], b=layers["roads"].to_crs(4326)),
        lambda: write_workspace(tmp_path / "ws", config={"city": {"name": "小城"}}, layers=layers),
    ):
        with pytest.raises(GardenCityError) as info:
            attempt()
        raised.append(info.value)
    for error in raised:
        _zh(error.text("zh"), str(ws), "EPSG:4326", "WGS 84", "'", "(", ")")
        _en(error.text("en"), "小城")
    assert raised[0].text("zh").startswith("“EPSG:4326”（WGS 84）是地理坐标系")
    assert "--force" in raised[2].text("zh") and "--force" in raised[2].text("en")
