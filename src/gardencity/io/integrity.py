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

__all__ = ["check_geopackage", "damaged_geopackage"]

_MAGIC = b"SQLite format 3\x00"


def _fix(path: Path) -> str:
    backups = path.parent / "backups"
    restore = (
        f"restore it from a backup (e.g. {backups}/…/{path.name}), "
        if backups.is_dir()
        else "restore it from a backup, "
    )
    return (
        f"Fix: {restore}or build the workspace again (`gardencity import-osm … --force`, or "
        f"`gardencity init` and `gardencity import-layer` for each layer)."
    )


def damaged_geopackage(path: Path) -> str | None:
    """Why ``path`` is not a whole GeoPackage, or None when its header and size are sound."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    if len(header) < 100 or not header.startswith(_MAGIC):
        return "it is not a GeoPackage (no SQLite header): the file is corrupt or of another kind"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    header_size_valid = header[92:96] == header[24:28] and pages > 0
    wal = path.with_name(path.name + "-wal")
    if header_size_valid and not (wal.exists() and wal.stat().st_size > 0):
        expected = pages * page_size
        if size < expected:
            return (
                f"it is truncated: {size:,} bytes of the {expected:,} its header announces (an "
                f"interrupted copy, download or write)"
            )
    if page_size < 512 or size % page_size:
        return f"it is truncated or damaged: {size:,} bytes is not a whole number of pages"
    return None


def check_geopackage(path: Path) -> None:
    """Raise :class:`WorkspaceError` (with the fix) if ``path`` exists but is damaged."""
    if not path.exists():
        return
    problem = damaged_geopackage(path)
    if problem is not None:
        raise WorkspaceError(f"{path} is damaged: {problem}. {_fix(path)}")
