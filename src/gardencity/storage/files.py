"""A content-addressed file store for photos and documents.

Files live at ``root/ab/cd/<sha256>``: no user-supplied name ever reaches the disk, equal
content is stored once, and a write is a temporary file plus an atomic rename. The media
type is detected from the content's magic bytes, never from the name; SVG and HTML are
refused (they can carry scripts).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from gardencity.errors import InvalidRequestError
from gardencity.messages import Catalogue
from gardencity.storage.images import IMAGE_TYPES, clean_photo

__all__ = ["DEFAULT_TYPES", "CheckedFile", "FileStore", "StoredFile", "detect_media_type"]
MESSAGES = Catalogue(__package__)

DEFAULT_TYPES: Mapping[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
_SHA = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20
_ZIP_KINDS = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/heif": "image/heic"}


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    media_type: str
    extension: str


def detect_media_type(head: bytes, content: bytes | None = None) -> str | None:
    """The media type of a file from its first bytes (and the whole content for ZIPs)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in {b"heic", b"heix", b"mif1", b"msf1", b"heif"}:
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04") and content is not None:
        try:
            names = zipfile.ZipFile(io.BytesIO(content)).namelist()
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names:
            for prefix, kind in _ZIP_KINDS.items():
                if any(n.startswith(prefix) for n in names):
                    return kind
    return None


@dataclass(frozen=True)
class CheckedFile:
    """A file :meth:`FileStore.check` accepted: its content as it will be stored."""

    content: bytes
    media_type: str
    sha256: str


class FileStore:
    """Photos and documents by SHA-256, with size and type limits."""

    def __init__(
        self,
        root: Path,
        *,
        max_bytes: int = 20_000_000,
        allowed_types: Mapping[str, str] | None = None,
    ) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.allowed = dict(allowed_types or DEFAULT_TYPES)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        """Where the file with this hash lives (the hash is checked: no path tricks)."""
        if not isinstance(sha256, str) or not _SHA.match(sha256):
            raise InvalidRequestError(MESSAGES.message("not_a_sha256"))
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def read(self, sha256: str) -> bytes:
        """The stored content of ``sha256`` (NotFoundError if it is not in the store)."""
        with self.open(sha256) as handle:
            return handle.read()

    def open(self, sha256: str) -> BinaryIO:
        path = self.path(sha256)
        if not path.is_file():
            from gardencity.errors import NotFoundError

            raise NotFoundError(MESSAGES.message("file_not_stored", sha=sha256[:12]))
        return path.open("rb")

    def put(
        self,
        data: bytes | BinaryIO,
        *,
        filename: str | None = None,
        declared_type: str | None = None,
        clean_photos: bool = True,
    ) -> StoredFile:
        """Store ``data`` (bytes or a binary stream read in chunks, at most ``max_bytes``).

        Photos are stored upright and without metadata (HEIC as JPEG) unless
        ``clean_photos`` is false: only a restore, which must give back exactly the bytes
        it was given, stores them as they come.
        """
        del filename  # names are kept in the database only, never on disk
        return self.store(self.check(data, declared_type=declared_type, clean_photos=clean_photos))

    def check(
        self,
        data: bytes | BinaryIO,
        *,
        declared_type: str | None = None,
        clean_photos: bool = True,
    ) -> CheckedFile:
        """``data`` checked (size, type, declared type) and, if a photo, cleaned of its
        metadata, ready for :meth:`store`: the slow part of :meth:`put`, which callers run
        before they open a write transaction."""
        stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
        chunks: list[bytes] = []
        size = 0
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                limit = f"{self.max_bytes / 1e6:.0f}"
                raise InvalidRequestError(MESSAGES.message("file_too_large", limit=limit))
            chunks.append(chunk)
        if size == 0:
            raise InvalidRequestError(MESSAGES.message("file_empty"))
        content = b"".join(chunks)
        media_type = detect_media_type(content[:64], content)
        if media_type is None or media_type not in self.allowed:
            allowed = sorted(set(self.allowed.values()))
            raise InvalidRequestError(MESSAGES.message("file_type_refused", allowed=allowed))
        declared = _ALIASES.get((declared_type or "").lower(), (declared_type or "").lower())
        if declared and declared not in {"application/octet-stream", media_type}:
            raise InvalidRequestError(
                MESSAGES.message("file_type_mismatch", actual=media_type, declared=declared_type)
            )
        if clean_photos and media_type in IMAGE_TYPES:
            # in the calling (request) thread: jpegtran runs in its own process and Pillow
            # decodes without the GIL, so the other threads keep running meanwhile
            return CheckedFile(*clean_photo(content, media_type))
        return CheckedFile(content, media_type, hashlib.sha256(content).hexdigest())

    def store(self, checked: CheckedFile) -> StoredFile:
        """Write a file :meth:`check` accepted (durably; once per content)."""
        target = self.path(checked.sha256)
        if not target.is_file():
            self._write_durably(target, checked.content)
        return StoredFile(
            checked.sha256,
            len(checked.content),
            checked.media_type,
            self.allowed[checked.media_type],
        )

    def delete(self, sha256: str) -> None:
        """Remove the file ``sha256`` (the caller checked that nothing refers to it)."""
        self.path(sha256).unlink(missing_ok=True)

    def _write_durably(self, target: Path, content: bytes) -> None:
        """Write through a temporary file and an atomic rename; the content and every new
        directory entry are synced before returning, so a case acknowledged with this photo
        still has it after a power cut."""
        for directory in (target.parent.parent, target.parent):
            if not directory.is_dir():
                directory.mkdir(exist_ok=True)
                _sync_directory(directory.parent)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _sync_directory(target.parent)

    def iter_all(self) -> Iterator[StoredFile]:
        for path in sorted(self.root.glob("??/??/*")):
            if _SHA.match(path.name):
                with path.open("rb") as handle:
                    head = handle.read(64)
                kind = detect_media_type(head, path.read_bytes() if head[:2] == b"PK" else None)
                kind = kind or "application/octet-stream"
                yield StoredFile(path.name, path.stat().st_size, kind, self.allowed.get(kind, ""))

    def verify(self) -> list[str]:
        """Hashes of stored files whose content no longer matches their name (corruption)."""
        bad = []
        for path in sorted(self.root.glob("??/??/*")):
            if not _SHA.match(path.name):
                continue
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
            if digest.hexdigest() != path.name:
                bad.append(path.name)
        return bad


def _sync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
