"""Exactly-once filing: a case or photo sent again with the same Idempotency-Key (a phone
that lost the signal before the answer came) is created once — also when both sends arrive
at the same time — and one user's key never reveals another user's case."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from sqlalchemy import func, select

from gardencity.auth.models import User
from gardencity.campaign.idempotency import file_case_once
from gardencity.campaign.models import Attachment, Case
from gardencity.campaign.schemas import CaseIn
from tests._campaign import CampaignEnv
from tests._images import plain_jpeg

JPEG = plain_jpeg()


def _send(env: CampaignEnv, username: str, key: str, **fields: Any) -> Any:
    lon, lat = env.lonlat(500_300, 3_800_300)
    body = {"category": "bare_soil", "lon": lon, "lat": lat, "description": "树坑裸土"} | fields
    headers = env.headers(username) | {"Idempotency-Key": key}
    return env.client.post("/api/v1/cases", json=body, headers=headers)


def _count(env: CampaignEnv, model: type[Any]) -> int:
    with env.app.state.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_repeated_case_is_filed_once_and_answered_with_the_first_case(
    campaign: CampaignEnv,
) -> None:
    key = str(uuid.uuid4())
    before = _count(campaign, Case)
    first = _send(campaign, "patrol1", key)
    again = _send(campaign, "patrol1", key.upper())  # the same UUID, written differently
    assert first.status_code == 201, first.text
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.json() == first.json()
    assert _count(campaign, Case) == before + 1

    # another user's key of the same value files their own case and sees nothing of the first
    other = _send(campaign, "coord1", key)
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert _count(campaign, Case) == before + 2

    # the key reused for another request is refused, and says what to do
    changed = _send(campaign, "patrol1", key, description="另一处")
    assert changed.status_code == 422
    assert "新的键" in changed.json()["error"]["message"]
    assert _count(campaign, Case) == before + 2


def test_a_malformed_key_is_refused_with_a_clear_error(campaign: CampaignEnv) -> None:
    before = _count(campaign, Case)
    response = _send(campaign, "patrol1", "case-1")
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "Idempotency-Key" in message and "UUID" in message and "case-1" in message
    assert _count(campaign, Case) == before


def test_a_repeated_photo_is_attached_once(campaign: CampaignEnv) -> None:
    case = _send(campaign, "patrol1", str(uuid.uuid4())).json()
    key = str(uuid.uuid4())

    def upload(content: bytes = JPEG) -> Any:
        return campaign.client.post(
            f"/api/v1/cases/{case['id']}/attachments",
            files={"file": ("before.jpg", content, "image/jpeg")},
            data={"role": "before"},
            headers=campaign.headers("patrol1") | {"Idempotency-Key": key},
        )

    first, again = upload(), upload()
    assert first.status_code == 201, first.text
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    listed = campaign.client.get(
        f"/api/v1/cases/{case['id']}", headers=campaign.headers("patrol1")
    ).json()
    assert [a["id"] for a in listed["attachments"]] == [first.json()["id"]]
    assert upload(plain_jpeg(colour=(10, 200, 10))).status_code == 422  # another photo


def test_two_sends_at_the_same_time_file_one_case(campaign: CampaignEnv) -> None:
    """The first send's transaction holds its key uncommitted while the second files: the
    second waits for it (SQLite's write lock, PostgreSQL's unique index), fails on the key's
    unique constraint, rolls back and answers with the first case."""
    db, ctx = campaign.app.state.db, campaign.app.state.ctx
    lon, lat = campaign.lonlat(500_300, 3_800_300)
    data = CaseIn(category="bare_soil", lon=lon, lat=lat, source="grid_patrol")
    key = str(uuid.uuid4())
    before = _count(campaign, Case)
    flushed, release = threading.Event(), threading.Event()
    results: dict[str, tuple[int, bool]] = {}
    errors: list[BaseException] = []

    def send(name: str, hold: bool) -> None:
        try:
            with db.session() as session:
                user = session.scalars(select(User).where(User.username == "patrol1")).one()
                case, replayed = file_case_once(session, ctx, user, data, key)
                results[name] = (case.id, replayed)
                if hold:
                    flushed.set()
                    release.wait(30)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            flushed.set()

    first = threading.Thread(target=send, args=("first", True))
    second = threading.Thread(target=send, args=("second", False))
    first.start()
    assert flushed.wait(30)
    second.start()
    time.sleep(0.5)  # the second send is now waiting for the first transaction
    assert "second" not in results
    release.set()
    first.join(30)
    second.join(30)
    assert errors == []
    assert results["first"][1] is False and results["second"] == (results["first"][0], True)
    assert _count(campaign, Case) == before + 1


def test_attachments_without_a_key_still_work(campaign: CampaignEnv) -> None:
    case = campaign.file("patrol1")
    response = campaign.client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        files={"file": ("before.jpg", JPEG, "image/jpeg")},
        data={"role": "before"},
        headers=campaign.headers("patrol1"),
    )
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert _count(campaign, Attachment) >= 1
