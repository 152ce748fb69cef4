"""Is a workspace file whole? A truncated or corrupt city.gpkg is named as such, with the fix,
before GDAL or SQLite fail on it halfway through a command.

A GeoPackage is an SQLite database: its 100-byte header starts with ``SQLite format 3\\0``,
gives the page size (bytes 16–17) and, when valid (bytes 92–95 equal 24–27), the database
size in pages (bytes 28–31). A file shorter than that size was cut off (an interrupted copy
or download); a file without the header is not a GeoPackage at all.
"""

from __future__ import annotations

from pathlib import Path

from gardencity.errors import WorkspaceError
from gardencity.messages import Catalogue, Message

MESSAGES = Catalogue(__package__)

__all__ = ["check_geopackage", "damaged_geopackage"]

_MAGIC = b"SQLite format 3\x00"


def _fix(path: Path) -> Message:
    backups = path.parent / "backups"
    if backups.is_dir():
        return MESSAGES.message("restore_from_backups", example=f"{backups}/…/{path.name}")
    return MESSAGES.message("restore_from_backup")


def damaged_geopackage(path: Path) -> Message | None:
    """Why ``path`` is not a whole GeoPackage, or None when its header and size are sound."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        return MESSAGES.message("gpkg_unreadable", detail=exc.strerror or exc)
    if len(header) < 100 or not header.startswith(_MAGIC):
        return MESSAGES.message("gpkg_not_geopackage")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    header_size_valid = header[92:96] == header[24:28] and pages > 0
    wal = path.with_name(path.name + "-wal")
    if header_size_valid and not (wal.exists() and wal.stat().st_size > 0):
        expected = pages * page_size
        if size < expected:
            return MESSAGES.message("gpkg_truncated", size=size, expected=expected)
    if page_size < 512 or size % page_size:
        return MESSAGES.message("gpkg_partial_pages", size=size)
    return None


def check_geopackage(path: Path) -> None:
    """Raise :class:`WorkspaceError` (with the fix) if ``path`` exists but is damaged."""
    if not path.exists():
        return
    problem = damaged_geopackage(path)
    if problem is not None:
        raise WorkspaceError(
            MESSAGES.message("gpkg_is_damaged", path=path, problem=problem, fix=_fix(path))
        )
