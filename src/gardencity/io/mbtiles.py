"""Reading MBTiles files (https://github.com/mapbox/mbtiles-spec): tiles in SQLite.

An MBTiles file holds one tile per row of its ``tiles`` table (rows counted from the south,
as TMS does) and its description in ``metadata`` (name → value). The map asks for tiles by
z/x/y with rows counted from the north (XYZ); :meth:`MBTiles.tile` turns one into the other.

A map view asks for dozens of tiles at once, so a file stays open between requests: one
read-only connection per file (and per version of it: a file replaced under the same name
is opened anew), the most recently used :data:`OPEN_FILES` kept open, shared by the
server's threads under a lock (a lookup by primary key takes microseconds); one no longer
kept is closed when the last reader lets go of it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["OPEN_FILES", "MBTiles", "open_mbtiles"]

#: how many MBTiles files stay open at once (the least recently read is closed first)
OPEN_FILES = 32


@dataclass(frozen=True)
class _Version:
    path: Path
    inode: int
    mtime_ns: int
    size: int


class MBTiles:
    """One MBTiles file, open for reading."""

    def __init__(self, path: Path) -> None:
        self.path = path
        stat = path.stat()
        #: changes when the file is written again (an ETag for what is read from it)
        self.version = f"{stat.st_mtime_ns:x}-{stat.st_size:x}"
        uri = f"{path.resolve().as_uri()}?mode=ro"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.Lock()

    def metadata(self) -> dict[str, str]:
        """The ``metadata`` table: name → value, as text."""
        with self._lock:
            rows = self._db.execute("SELECT name, value FROM metadata").fetchall()
        return {str(name): str(value) for name, value in rows}

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile at zoom ``z``, column ``x``, row ``y`` counted from the north (as a map
        asks for it), as stored (vector tiles: gzip-compressed), or None (no such tile)."""
        if not (0 <= z <= 30 and 0 <= x < 2**z and 0 <= y < 2**z):
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
                "AND tile_row = ?",
                (z, x, 2**z - 1 - y),
            ).fetchone()
        return bytes(row[0]) if row else None

    def feature(self, table: str, feature_id: int) -> str | None:
        """The text stored for ``feature_id`` in an extra table ``table`` (``id INTEGER
        PRIMARY KEY, properties TEXT``: the details of the tiles' features, by their id), or
        None when the file has no such feature (or no such table)."""
        with self._lock:
            try:
                row = self._db.execute(
                    f'SELECT properties FROM "{table}" WHERE id = ?', (feature_id,)
                ).fetchone()
            except sqlite3.OperationalError:  # a file cut before the table existed
                return None
        return str(row[0]) if row else None

    def tables(self) -> set[str]:
        """The names of the file's tables (an archive cut before a table existed lacks it)."""
        with self._lock:
            rows = self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            return {str(row[0]) for row in rows.fetchall()}

    def rows(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """The rows a query of the file's extra tables answers (read only)."""
        with self._lock:
            return [tuple(row) for row in self._db.execute(sql, parameters).fetchall()]

    def check(self) -> None:
        """Raise :class:`sqlite3.Error` unless the file has the tables of an MBTiles file."""
        with self._lock:
            self._db.execute("SELECT name, value FROM metadata LIMIT 1").fetchall()
            self._db.execute(
                "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 1"
            ).fetchall()


_open: OrderedDict[_Version, MBTiles] = OrderedDict()
_open_lock = threading.Lock()


def open_mbtiles(path: Path) -> MBTiles:
    """The MBTiles file at ``path``, open (kept open for the next call).

    Raises
    ------
    FileNotFoundError
        No such file.
    sqlite3.Error
        Not an SQLite file that can be read.
    """
    stat = path.stat()
    key = _Version(path.resolve(), stat.st_ino, stat.st_mtime_ns, stat.st_size)
    with _open_lock:
        found = _open.get(key)
        if found is not None:
            _open.move_to_end(key)
            return found
    opened = MBTiles(path)
    with _open_lock:
        found = _open.setdefault(key, opened)
        _open.move_to_end(key)
        while len(_open) > OPEN_FILES:  # closed once no thread reads it any more
            _open.popitem(last=False)
    return found
