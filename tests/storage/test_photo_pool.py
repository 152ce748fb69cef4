"""Photos cleaned in the server's worker processes are stored exactly as in-process cleaning
stores them, and a photo the workers refuse is refused with the same bilingual message."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from gardencity.errors import InvalidRequestError
from gardencity.storage.files import FileStore
from gardencity.storage.photo_pool import PhotoPool
from tests._images import phone_photo

PHOTOS = {
    "sideways JPEG": (phone_photo("JPEG", orientation=6, size=(64, 32)), "image/jpeg"),
    "JPEG turned by the decoder": (phone_photo("JPEG", orientation=8, size=(60, 30)), None),
    "PNG": (phone_photo("PNG", orientation=3), "image/png"),
    "WebP": (phone_photo("WEBP", orientation=6), None),
    "HEIF": (phone_photo("HEIF", orientation=6), "image/heic"),
}


@pytest.fixture(scope="module")
def pool() -> Iterator[PhotoPool]:
    workers = PhotoPool(processes=1)
    yield workers
    workers.shutdown()


def test_the_pool_stores_byte_identical_photos(tmp_path: Path, pool: PhotoPool) -> None:
    here, there = FileStore(tmp_path / "here"), FileStore(tmp_path / "there", photo_pool=pool)
    for content, declared in PHOTOS.values():
        assert there.put(content, declared_type=declared) == here.put(
            content, declared_type=declared
        )
    assert pool.worker_pids(), "the photos were cleaned in a worker process"
    files = {
        side: {p.name: p.read_bytes() for p in (tmp_path / side).rglob("*/*/*")}
        for side in ("here", "there")
    }
    assert len(files["here"]) == len(PHOTOS) and files["here"] == files["there"]


def test_a_damaged_photo_is_refused_by_the_pool_in_both_languages(
    tmp_path: Path, pool: PhotoPool
) -> None:
    store = FileStore(tmp_path, photo_pool=pool)
    with pytest.raises(InvalidRequestError, match="照片无法读取") as refused:
        store.put(phone_photo("JPEG")[:200])
    assert "cannot be read" in refused.value.text("en")
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_worker_that_dies_takes_no_later_photo_with_it(tmp_path: Path) -> None:
    pool = PhotoPool(processes=1)
    store = FileStore(tmp_path, photo_pool=pool)
    try:
        first = store.put(phone_photo("PNG"))
        for pid in pool.worker_pids():
            os.kill(pid, signal.SIGKILL)  # as the out-of-memory killer would
        assert store.put(phone_photo("PNG", orientation=1)).media_type == "image/png"
        assert store.exists(first.sha256) and pool.worker_pids()
    finally:
        pool.shutdown()
