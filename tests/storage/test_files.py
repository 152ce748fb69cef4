"""The content-addressed file store: round trip, dedup, limits, spoofed types, no path tricks."""

from __future__ import annotations

import io
import re
import threading
import zipfile
from pathlib import Path

import pytest

from gardencity.errors import InvalidRequestError
from gardencity.storage.files import FileStore
from tests._images import phone_photo, plain_jpeg

HAN = re.compile(r"[\u3400-\u9fff]")
JPEG = plain_jpeg()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 50
PDF = b"%PDF-1.4\n" + b"report " * 100


def test_round_trip_and_dedup(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    first = store.put(PDF, filename="../../etc/passwd.pdf", declared_type="application/pdf")
    again = store.put(io.BytesIO(PDF))
    assert first == again and first.media_type == "application/pdf" and first.size == len(PDF)
    path = store.path(first.sha256)
    assert path.relative_to(tmp_path).parts[:2] == (first.sha256[:2], first.sha256[2:4])
    assert store.read(first.sha256) == PDF
    assert [f.sha256 for f in store.iter_all()] == [first.sha256]
    assert not list(tmp_path.rglob("*passwd*"))
    photo = store.put(JPEG, declared_type="image/jpeg")  # photos: the cleaned content's hash
    assert store.put(store.read(photo.sha256)) == photo and photo.media_type == "image/jpeg"


def test_office_documents_are_recognised(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    stored = FileStore(tmp_path).put(buffer.getvalue())
    assert stored.extension == "xlsx"


@pytest.mark.parametrize(
    ("content", "declared", "says"),
    [
        (b"<html><script>alert(1)</script></html>", "image/jpeg", "Unsupported file type"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', None, "SVG"),
        (PNG, "image/jpeg", "declared image/jpeg"),
        (b"", None, "empty"),
        (b"MZ\x90\x00" + b"\x00" * 60, None, "executables"),
    ],
)
def test_hostile_uploads_are_refused(
    tmp_path: Path, content: bytes, declared: str | None, says: str
) -> None:
    store = FileStore(tmp_path)
    with pytest.raises(InvalidRequestError) as refused:
        store.put(content, declared_type=declared)
    assert says in refused.value.text("en"), refused.value.text("en")
    assert HAN.search(str(refused.value)) and " / " not in str(refused.value)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_oversize_stream_is_refused_without_leftovers(tmp_path: Path) -> None:
    store = FileStore(tmp_path, max_bytes=1_000_000)
    with pytest.raises(InvalidRequestError, match="超过 1 MB 的上限") as refused:
        store.put(io.BytesIO(JPEG + b"\x00" * 2_000_000))
    assert "limit of 1 MB" in refused.value.text("en")
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    "name", ["../secret", "/etc/passwd", "a" * 63, "A" * 64, "0" * 63 + "\x00", "../" * 21 + "x"]
)
def test_no_path_tricks(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidRequestError, match="SHA-256") as caught:
        FileStore(tmp_path).open(name)
    assert caught.value.text("en").startswith("Not a SHA-256")


def test_corruption_is_detected(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    stored = store.put(JPEG)
    store.put(PDF)
    path = store.path(stored.sha256)
    path.write_bytes(path.read_bytes()[:-1] + b"!")
    assert store.verify() == [stored.sha256]


def test_concurrent_puts_of_the_same_content(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    results = []
    threads = [threading.Thread(target=lambda: results.append(store.put(JPEG))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.sha256 for r in results}) == 1 and store.verify() == []
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_a_stored_file_and_its_new_directory_entries_are_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file and every directory entry leading to it reach the disk before put() returns,
    so a case acknowledged with its photo still has it after a power cut."""
    import os

    synced: list[Path] = []
    fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    store = FileStore(tmp_path / "store")
    path = store.path(store.put(JPEG).sha256)
    assert path.parent in synced  # the rename into place
    assert path.parent.parent in synced and store.root in synced  # the new directories
    assert any(p.parent == path.parent and p.name.startswith(".upload-") for p in synced)


def test_a_damaged_photo_is_refused_in_both_languages_and_nothing_is_stored(
    tmp_path: Path,
) -> None:
    store = FileStore(tmp_path)
    with pytest.raises(InvalidRequestError, match="照片无法读取") as refused:
        store.put(phone_photo("JPEG")[:200])
    assert "cannot be read" in refused.value.text("en")
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
