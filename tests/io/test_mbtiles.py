"""Reading MBTiles files: a tile by z/x/y counted from the north (rows stored from the
south), the metadata, the file kept open between reads and opened anew once replaced."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

import gardencity.io.mbtiles as mbtiles
from gardencity.io.mbtiles import open_mbtiles


def _write(path: Path, tiles: dict[tuple[int, int, int], bytes], name: str = "示范") -> Path:
    """An MBTiles file with ``tiles`` given by z/x/y counted from the north."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    db.execute(
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
        "tile_data BLOB, PRIMARY KEY (zoom_level, tile_column, tile_row))"
    )
    db.executemany("INSERT INTO metadata VALUES (?, ?)", [("name", name), ("format", "pbf")])
    rows = [(z, x, 2**z - 1 - y, data) for (z, x, y), data in tiles.items()]
    db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
    db.commit()
    db.close()
    return path


def test_tiles_by_row_from_the_north_and_the_metadata(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.mbtiles", {(1, 0, 0): b"north-west", (1, 0, 1): b"south-west"})
    archive = open_mbtiles(path)
    assert archive.tile(1, 0, 0) == b"north-west"  # stored as TMS row 1
    assert archive.tile(1, 0, 1) == b"south-west"
    assert archive.tile(1, 1, 0) is None  # no such tile
    assert archive.tile(1, 2, 0) is None and archive.tile(-1, 0, 0) is None  # cannot be
    assert archive.metadata() == {"name": "示范", "format": "pbf"}
    archive.check()


def test_a_file_stays_open_until_it_is_replaced(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.mbtiles", {(0, 0, 0): b"first"})
    first = open_mbtiles(path)
    assert open_mbtiles(path) is first  # kept open: no new connection per tile
    # cut again (a new file moved over the old one, as runs write their tiles)
    _write(tmp_path / "b.mbtiles", {(0, 0, 0): b"second, longer"})
    os.replace(tmp_path / "b.mbtiles", path)
    again = open_mbtiles(path)
    assert again is not first and again.tile(0, 0, 0) == b"second, longer"
    assert again.version != first.version


def test_at_most_so_many_files_stay_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mbtiles, "OPEN_FILES", 2)
    paths = [_write(tmp_path / f"{n}.mbtiles", {(0, 0, 0): str(n).encode()}) for n in range(3)]
    opened = [open_mbtiles(p) for p in paths]
    assert open_mbtiles(paths[2]) is opened[2] and open_mbtiles(paths[1]) is opened[1]
    assert open_mbtiles(paths[0]) is not opened[0]  # the least recently read was let go
    assert opened[0].tile(0, 0, 0) == b"0"  # still readable by whoever holds it


def test_threads_share_an_open_file(tmp_path: Path) -> None:
    tiles = {(4, x, y): f"{x}/{y}".encode() for x in range(16) for y in range(16)}
    path = _write(tmp_path / "a.mbtiles", tiles)
    wrong: list[str] = []

    def read(offset: int) -> None:
        for n in range(300):
            x, y = (n + offset) % 16, (n * 7 + offset) % 16
            if open_mbtiles(path).tile(4, x, y) != f"{x}/{y}".encode():
                wrong.append(f"{x}/{y}")

    threads = [threading.Thread(target=read, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def test_not_an_mbtiles_file(tmp_path: Path) -> None:
    path = tmp_path / "x.mbtiles"
    path.write_text("not a database", "utf-8")
    with pytest.raises(sqlite3.DatabaseError):
        open_mbtiles(path).check()
    with pytest.raises(FileNotFoundError):
        open_mbtiles(tmp_path / "missing.mbtiles")
