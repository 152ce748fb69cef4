"""Backup and restore of the campaign database and its file store, as one portable archive.

The archive is a tar file::

    manifest.json                 format, gardencity version, schema revision, backend,
                                  row counts and SHA-256 of every member
    tables/<table>.jsonl          one JSON object per row (geometry as WKB hex, times ISO UTC)
    files/ab/cd/<sha256>          every photo and document of the file store

It is backend-neutral: a backup of the embedded SQLite restores into PostgreSQL/PostGIS (the
way a city moves to production) and back. Restoring checks every checksum first, writes all
rows in one transaction (all or nothing) and never touches a database that already holds
data unless told to replace it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import shapely
from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, text

from gardencity import __version__
from gardencity.db.engine import make_engine, read_snapshot
from gardencity.db.migrate import current_revision, head_revision, upgrade
from gardencity.db.registry import load_models
from gardencity.db.types import Geometry, UtcDateTime
from gardencity.errors import BackupError
from gardencity.messages import Catalogue, Listing
from gardencity.storage.files import FileStore

__all__ = ["FORMAT", "BackupManifest", "backup", "restore", "verify_archive"]
MESSAGES = Catalogue(__package__)

FORMAT = 1
BATCH = 1000
Progress = Callable[[str, int, int], None]


@dataclass
class BackupManifest:
    format: int
    gardencity_version: str
    revision: str | None
    backend: str
    created_at: str
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> rows, sha256
    files: dict[str, int] = field(default_factory=dict)  # sha256 -> size

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=1).encode()


def _tables() -> list[Table]:
    return list(load_models().sorted_tables)


def _encode(table: Table, row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.columns:
        value = row._mapping[column.name]
        if value is None:
            out[column.name] = None
        elif isinstance(column.type, Geometry):
            out[column.name] = shapely.to_wkb(value, hex=True)
        elif isinstance(value, datetime):
            out[column.name] = value.astimezone(UTC).isoformat()
        else:
            out[column.name] = value
    return out


def _decode(table: Table, record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.columns:
        value = record.get(column.name)
        if value is not None and isinstance(column.type, Geometry):
            value = shapely.from_wkb(value)
        elif value is not None and isinstance(column.type, UtcDateTime):
            value = datetime.fromisoformat(value)
        out[column.name] = value
    return out


def _rows(connection: Connection, table: Table) -> Iterator[bytes]:
    result = connection.execution_options(yield_per=BATCH).execute(
        select(table).order_by(*table.primary_key.columns)
    )
    for row in result:
        yield json.dumps(_encode(table, row), ensure_ascii=False).encode() + b"\n"


def backup(
    database_url: str, files_root: Path, archive: Path, *, progress: Progress | None = None
) -> BackupManifest:
    """Write the database and the file store to ``archive`` (atomically: temp file + rename)."""
    engine = make_engine(database_url)
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    try:
        manifest = BackupManifest(
            FORMAT,
            __version__,
            current_revision(engine),
            engine.dialect.name,
            datetime.now(UTC).isoformat(),
        )
        if manifest.revision is None:
            raise BackupError(
                MESSAGES.message(
                    "backup_no_schema", url=engine.url.render_as_string(hide_password=True)
                )
            )
        fd, tmp = tempfile.mkstemp(dir=archive.parent, prefix=f".{archive.name}.")
        os.close(fd)
        try:
            # every table from one moment, without holding back the server's writers
            with tarfile.open(tmp, "w") as tar, read_snapshot(engine) as connection:
                tables = _tables()
                for done, table in enumerate(tables, start=1):
                    with tempfile.TemporaryFile() as spool:
                        digest, count = hashlib.sha256(), 0
                        for line in _rows(connection, table):
                            spool.write(line)
                            digest.update(line)
                            count += 1
                        size = spool.tell()
                        spool.seek(0)
                        info = tarfile.TarInfo(f"tables/{table.name}.jsonl")
                        info.size = size
                        tar.addfile(info, spool)
                    manifest.tables[table.name] = {"rows": count, "sha256": digest.hexdigest()}
                    if progress:
                        progress(f"table {table.name}", done, len(tables))
                store = FileStore(files_root)
                stored = list(store.iter_all())
                for done, item in enumerate(stored, start=1):
                    path = store.path(item.sha256)
                    tar.add(
                        path, arcname=f"files/{item.sha256[:2]}/{item.sha256[2:4]}/{item.sha256}"
                    )
                    manifest.files[item.sha256] = item.size
                    if progress:
                        progress("files", done, len(stored))
                info = tarfile.TarInfo("manifest.json")
                data = manifest.to_json()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            os.replace(tmp, archive)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return manifest
    finally:
        engine.dispose()


def _open(archive: Path) -> tuple[tarfile.TarFile, BackupManifest]:
    try:
        tar = tarfile.open(archive, "r")  # noqa: SIM115 (the caller closes it)
        member = tar.extractfile("manifest.json")
        if member is None:
            raise KeyError("manifest.json")
        manifest = BackupManifest(**json.loads(member.read()))
    except (OSError, tarfile.TarError, KeyError, ValueError, TypeError) as exc:
        raise BackupError(MESSAGES.message("not_a_backup", archive=archive, detail=exc)) from exc
    return tar, manifest


def verify_archive(archive: Path) -> list[str]:
    """Every problem of ``archive`` (checksums, format, schema); empty when it is sound."""
    tar, manifest = _open(archive)
    problems: list[str] = []
    with tar:
        if manifest.format > FORMAT:
            problems.append(
                f"archive format {manifest.format} is newer than this gardencity ({FORMAT}): "
                "upgrade gardencity first"
            )
        known = _known_revisions()
        if manifest.revision not in known:
            problems.append(
                f"schema revision {manifest.revision} is unknown to this gardencity "
                f"(newest: {head_revision()}): upgrade gardencity first"
            )
        for name, meta in manifest.tables.items():
            digest = _member_sha(tar, f"tables/{name}.jsonl")
            if digest != meta["sha256"]:
                problems.append(f"table {name}: checksum mismatch (archive damaged)")
        for sha in manifest.files:
            digest = _member_sha(tar, f"files/{sha[:2]}/{sha[2:4]}/{sha}")
            if digest != sha:
                problems.append(f"file {sha[:12]}…: checksum mismatch (archive damaged)")
    return problems


def _known_revisions() -> set[str | None]:
    from alembic.script import ScriptDirectory

    from gardencity.db.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def _member_sha(tar: tarfile.TarFile, name: str) -> str | None:
    try:
        handle = tar.extractfile(name)
    except KeyError:
        return None
    if handle is None:
        return None
    digest = hashlib.sha256()
    while chunk := handle.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def _has_rows(engine: Engine) -> bool:
    with engine.connect() as connection:
        for table in _tables():
            if connection.execute(select(func.count()).select_from(table)).scalar():
                return True
    return False


def restore(
    archive: Path,
    database_url: str,
    files_root: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> BackupManifest:
    """Restore ``archive`` into ``database_url`` and ``files_root``: all rows or none."""
    problems = verify_archive(archive)
    if problems:
        listed = Listing(tuple(problems), ("\n- ", "\n- "))
        raise BackupError(MESSAGES.message("archive_damaged", problems=listed))
    tar, manifest = _open(archive)
    tar.close()
    engine = make_engine(database_url)
    try:
        upgrade(engine, manifest.revision or "head")
        if _has_rows(engine) and not force:
            shown = engine.url.render_as_string(hide_password=True)
            raise BackupError(MESSAGES.message("restore_target_not_empty", url=shown))
        tables = _tables()
        with tarfile.open(archive, "r") as tar, engine.begin() as connection:
            if force:
                for table in reversed(tables):
                    connection.execute(delete(table))
            for done, table in enumerate(tables, start=1):
                handle = tar.extractfile(f"tables/{table.name}.jsonl")
                batch: list[dict[str, Any]] = []
                for line in handle or []:
                    batch.append(_decode(table, json.loads(line)))
                    if len(batch) >= BATCH:
                        connection.execute(insert(table), batch)
                        batch = []
                if batch:
                    connection.execute(insert(table), batch)
                if progress:
                    progress(f"table {table.name}", done, len(tables))
            if connection.dialect.name == "postgresql":
                for table in tables:
                    if "id" in table.columns:
                        connection.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                            )
                        )
        _restore_files(archive, manifest, FileStore(files_root), progress)
        upgrade(engine)
    except BackupError:
        raise
    except Exception as exc:
        raise BackupError(MESSAGES.message("restore_failed", detail=exc)) from exc
    finally:
        engine.dispose()
    return manifest


def _restore_files(
    archive: Path, manifest: BackupManifest, store: FileStore, progress: Progress | None
) -> None:
    with tarfile.open(archive, "r") as tar:
        for done, sha in enumerate(manifest.files, start=1):
            if not store.exists(sha):
                handle = tar.extractfile(f"files/{sha[:2]}/{sha[2:4]}/{sha}")
                assert handle is not None
                stored = store.put(handle.read(), clean_photos=False)
                if stored.sha256 != sha:
                    raise BackupError(MESSAGES.message("file_changed", sha=sha[:12]))
            if progress:
                progress("files", done, len(manifest.files))
