"""The offline base map: a city's raster MBTiles file served by the app (rows flipped from
TMS), offered to every map page, and a clear refusal of a file it cannot serve."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from gardencity.app import create_app
from gardencity.errors import WorkspaceError
from gardencity.settings import Settings
from gardencity.web.basemap import read_basemap


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(buffer, "PNG")
    return buffer.getvalue()


def _mbtiles(path: Path, fmt: str = "png") -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
            "tile_data BLOB)"
        )
        db.executemany(
            "INSERT INTO metadata VALUES (?, ?)",
            [("name", "示范市底图"), ("format", fmt), ("attribution", "示范市自然资源局")],
        )
        # zoom 1: the north-west tile (x 0, y 0 from the north) is TMS row 1
        db.execute("INSERT INTO tiles VALUES (1, 0, 1, ?)", (_png((200, 30, 30)),))
        db.execute("INSERT INTO tiles VALUES (1, 0, 0, ?)", (_png((30, 30, 200)),))
    return path


def _app(tmp_path: Path, basemap: Path) -> TestClient:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'c.db'}",
        files_dir=tmp_path / "files",
        basemap_mbtiles=basemap,
    )
    return TestClient(create_app(settings, background=False))


def test_the_offline_base_map_is_served_and_offered_to_the_maps(tmp_path: Path) -> None:
    with _app(tmp_path, _mbtiles(tmp_path / "city.mbtiles")) as client:
        north_west = client.get("/tiles/1/0/0")
        assert north_west.status_code == 200 and north_west.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(north_west.content)).getpixel((5, 5)) == (200, 30, 30)
        south_west = Image.open(io.BytesIO(client.get("/tiles/1/0/1").content))
        assert south_west.getpixel((5, 5)) == (30, 30, 200)
        assert client.get("/tiles/1/1/1").status_code == 204  # no tile there: nothing drawn
        assert client.get("/tiles/1/5/0").status_code == 204
        page = client.get("/login").text
        assert '"tile_url": "/tiles/{z}/{x}/{y}"' in page and "示范市自然资源局" in page


def test_a_file_it_cannot_serve_is_refused_with_the_fix(tmp_path: Path) -> None:
    vector = _mbtiles(tmp_path / "vector.mbtiles", fmt="pbf")
    with pytest.raises(WorkspaceError, match="瓦片格式为 pbf.*栅格 MBTiles") as refused:
        read_basemap(vector)
    assert "Fix: give GARDENCITY_BASEMAP_MBTILES a raster MBTiles" in refused.value.text("en")
    junk = tmp_path / "junk.mbtiles"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(WorkspaceError, match="不是 MBTiles 文件"):
        read_basemap(junk)
    with pytest.raises(WorkspaceError, match="底图文件不存在"):
        read_basemap(tmp_path / "missing.mbtiles")
