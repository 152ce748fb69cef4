"""Backup and restore: a round trip into the same and the other backend keeps everything a user
would check; damaged archives and non-empty targets are refused without changing anything."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from gardencity.app import create_app
from gardencity.db.backup import backup, restore, verify_archive
from gardencity.db.engine import open_database
from gardencity.errors import BackupError
from gardencity.settings import Settings
from tests._campaign import PASSWORD, CampaignEnv, _admin_url
from tests.campaign.test_workflow import _photo


@contextmanager
def empty_database(backend: str, tmp_path: Path, server: str | None) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:6]}.db'}"
        return
    if not server:
        pytest.skip("PostgreSQL test server not running: use `make test`")
    name = f"gc_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_url(server, "postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE gardencity_template")
    try:
        yield f"{server}{name}"
    finally:
        with psycopg.connect(_admin_url(server, "postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _story(env: CampaignEnv) -> tuple[dict, int]:
    case = env.file("patrol1", title="裸土", description="需要覆绿")
    env.act("coord1", case, "dispatch", reason="派遣", unit_id=env.unit("d1s1"))
    env.act("officer11", case, "accept")
    photo = _photo(env, case, user="officer11")
    response = env.act("officer11", case, "submit", reason="已覆绿", attachment_ids=[photo])
    assert response.status_code == 200, response.text
    env.file("patrol2", at=env.lonlat(503_000, 3_801_000), category="weeds")
    return case, photo


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_round_trip_into_either_backend(
    campaign: CampaignEnv, target: str, tmp_path: Path, postgres_server: str | None
) -> None:
    case, photo = _story(campaign)
    admin = campaign.headers("admin")
    before = campaign.client.get(f"/api/v1/cases/{case['id']}", headers=admin).json()
    original_photo = campaign.client.get(f"/api/v1/attachments/{photo}", headers=admin).content
    archive = tmp_path / "backup.tar"
    manifest = backup(campaign.url, tmp_path / "files", archive)
    assert manifest.tables["cases"]["rows"] == 2 and len(manifest.files) == 1
    assert verify_archive(archive) == []
    with empty_database(target, tmp_path, postgres_server) as url:
        restore(archive, url, tmp_path / "restored-files")
        app = create_app(Settings(database_url=url, files_dir=tmp_path / "restored-files"))
        with TestClient(app) as client:
            token = client.post(
                "/api/v1/auth/login", data={"username": "admin", "password": PASSWORD}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            after = client.get(f"/api/v1/cases/{case['id']}", headers=headers).json()
            for key in ("reference", "status", "events", "attachments", "version", "deadline_at"):
                assert after[key] == before[key], key
            copy = client.get(f"/api/v1/attachments/{photo}", headers=headers).content
            assert copy == original_photo
            lon, lat = campaign.lonlat(500_300, 3_800_300)
            box = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
            found = client.get(f"/api/v1/cases?bbox={box}", headers=headers).json()["items"]
            assert [c["id"] for c in found] == [case["id"]]  # the spatial index was rebuilt
            new = client.post(
                "/api/v1/cases",
                json={"category": "weeds", "lon": lon, "lat": lat},
                headers=headers,
            )
            assert new.status_code == 201 and new.json()["id"] == 3  # sequences continue
        app.state.db.dispose()


def test_a_damaged_archive_is_refused_and_changes_nothing(
    campaign: CampaignEnv, tmp_path: Path
) -> None:
    _story(campaign)
    archive = tmp_path / "backup.tar"
    backup(campaign.url, tmp_path / "files", archive)
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member)
            content = data.read() if data else b""
            if member.name == "tables/cases.jsonl":
                content = content.replace("需要覆绿".encode(), "被篡改了".encode())
            member.size = len(content)
            dst.addfile(member, io.BytesIO(content))
    assert verify_archive(damaged) == ["table cases: checksum mismatch (archive damaged)"]
    target = f"sqlite:///{tmp_path / 'target.db'}"
    with pytest.raises(BackupError, match="备份文件未恢复"):
        restore(damaged, target, tmp_path / "f2")
    assert not (tmp_path / "target.db").exists() or _count(target) == 0
    with pytest.raises(BackupError, match="不是 gardencity 备份文件") as caught:
        restore(tmp_path / "files" / "nothing.tar", target, tmp_path / "f2")
    assert "is not a gardencity backup" in caught.value.text("en")


def _count(url: str) -> int:
    from sqlalchemy import func, select

    from gardencity.campaign.models import Case

    db = open_database(url)
    with db.session() as session:
        count = int(session.scalar(select(func.count()).select_from(Case)) or 0)
    db.dispose()
    return count


def test_a_database_with_data_is_not_overwritten_without_force(
    campaign: CampaignEnv, tmp_path: Path
) -> None:
    _story(campaign)
    archive = tmp_path / "backup.tar"
    backup(campaign.url, tmp_path / "files", archive)
    campaign.file("patrol1", category="weeds")  # the live database moves on: 3 cases
    with pytest.raises(BackupError, match="--force"):
        restore(archive, campaign.url, tmp_path / "files")
    assert _count(campaign.url) == 3
    restore(archive, campaign.url, tmp_path / "files", force=True)
    assert _count(campaign.url) == 2


def test_a_failing_restore_leaves_the_target_unchanged(
    campaign: CampaignEnv, tmp_path: Path
) -> None:
    _story(campaign)
    archive = tmp_path / "backup.tar"
    backup(campaign.url, tmp_path / "files", archive)
    broken = tmp_path / "broken.tar"
    with tarfile.open(archive) as src:
        members = {m.name: (m, src.extractfile(m).read()) for m in src.getmembers()}  # type: ignore[union-attr]
    lines = members["tables/cases.jsonl"][1].splitlines()
    duplicate = [*lines, lines[0]]  # the same primary key twice: the insert must fail
    content = b"\n".join(duplicate) + b"\n"
    manifest = json.loads(members["manifest.json"][1])
    manifest["tables"]["cases"]["sha256"] = hashlib.sha256(content).hexdigest()
    members["tables/cases.jsonl"] = (members["tables/cases.jsonl"][0], content)
    members["manifest.json"] = (members["manifest.json"][0], json.dumps(manifest).encode())
    with tarfile.open(broken, "w") as dst:
        for member, data in members.values():
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    target = f"sqlite:///{tmp_path / 'target.db'}"
    with pytest.raises(BackupError, match="已回滚"):
        restore(broken, target, tmp_path / "f3")
    assert _count(target) == 0
