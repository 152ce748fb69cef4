"""The API's errors in the request's language: Chinese by default, English with
``Accept-Language: en`` (or ``?lang=en``), never both at once; the JSON shape stays
{"error": {"code", "message", "details"}}."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests._campaign import CampaignEnv
from tests._images import phone_photo

HAN = re.compile(r"[\u3400-\u9fff]")
# a Chinese message followed by its English translation
BILINGUAL = re.compile(r"[\u3400-\u9fff][^\n]*?\s?/ [\"'(]*[A-Za-z]")
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def _error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return str(body["error"]["message"])


def _chinese(message: str) -> None:
    assert HAN.search(message) and not BILINGUAL.search(message), message
    assert not re.search(r"\b(the|is|are|not|give|file|photo)\b", message), message


def _english(message: str) -> None:
    assert not HAN.search(message), message


def _upload(env: CampaignEnv, content: bytes, headers: dict[str, str] | None = None) -> Any:
    lon, lat = env.lonlat(500_400, 3_800_400)
    return env.client.post(
        "/api/v1/public/cases",
        data={"category": "weeds", "lon": lon, "lat": lat},
        files={"photo": ("p.jpg", content, "image/jpeg")},
        headers=headers or {},
    )


@pytest.mark.parametrize("campaign", ["sqlite"], indirect=True)
def test_upload_and_request_errors_answer_in_the_requests_language(
    campaign: CampaignEnv,
) -> None:
    env = campaign
    damaged = phone_photo("JPEG")[:300]
    chinese = _error(_upload(env, damaged), 422, "invalid_request")
    _chinese(chinese)
    assert "照片无法读取" in chinese and "重新" in chinese  # what is wrong, how to fix it
    english = _error(_upload(env, damaged, ENGLISH), 422, "invalid_request")
    _english(english)
    assert "cannot be read" in english and "again" in english
    by_query = env.client.post(
        "/api/v1/public/cases?lang=en",
        data={"category": "nonsense", "lon": "1", "lat": "1"},
    )
    _english(_error(by_query, 422, "invalid_request"))
    invalid = env.client.post("/api/v1/cases", json={"category": 3}, headers=env.headers("admin"))
    _chinese(_error(invalid, 422, "invalid_request"))
    invalid = env.client.post(
        "/api/v1/cases", json={"category": 3}, headers=env.headers("admin") | ENGLISH
    )
    message = _error(invalid, 422, "invalid_request")
    _english(message)
    assert invalid.json()["error"]["details"], "the fields to correct are listed"
    _chinese(_error(env.client.get("/api/v1/cases"), 401, "not_authenticated"))
    _english(_error(env.client.get("/api/v1/cases", headers=ENGLISH), 401, "not_authenticated"))
    _chinese(_error(env.client.get("/api/v1/no-such-thing"), 404, "not_found"))
    _english(_error(env.client.get("/api/v1/no-such-thing", headers=ENGLISH), 404, "not_found"))


@pytest.mark.parametrize("campaign", ["sqlite"], indirect=True)
def test_weak_passwords_and_forbidden_actions_in_one_language(campaign: CampaignEnv) -> None:
    env = campaign
    body = {
        "username": "newbie",
        "display_name": "新人",
        "role": "resident",
        "password": "12345678",
    }
    admin = env.headers("admin")
    _chinese(
        _error(env.client.post("/api/v1/users", json=body, headers=admin), 422, "invalid_request")
    )
    english = _error(
        env.client.post("/api/v1/users", json=body, headers=admin | ENGLISH), 422, "invalid_request"
    )
    _english(english)
    assert english.startswith("Password too weak")
    patrol = env.headers("patrol1")
    forbidden = env.client.post("/api/v1/users", json=body, headers=patrol)
    message = _error(forbidden, 403, "forbidden")
    _chinese(message)
    assert "督查巡查员" in message and "创园办管理员" in message  # roles by their names
    message = _error(
        env.client.post("/api/v1/users", json=body, headers=patrol | ENGLISH), 403, "forbidden"
    )
    _english(message)
    assert "inspector" in message and "administrator" in message


@pytest.mark.parametrize("campaign", ["sqlite"], indirect=True)
def test_common_field_problems_are_said_in_the_requests_language(campaign: CampaignEnv) -> None:
    """Pydantic's field problems ("Input should be a valid integer") were English on the
    Chinese pages; the common ones come from the catalogue."""
    url = "/api/v1/spot-checks/hit-chance?population=abc&problems=1&sample=1"
    chinese = _error(
        campaign.client.get(url, headers=campaign.headers("inspector")), 422, "invalid_request"
    )
    _chinese(chinese)
    assert "人口（人）：应为整数" in chinese and "details" not in chinese  # the field by its label
    english = _error(
        campaign.client.get(url, headers=campaign.headers("inspector") | ENGLISH),
        422,
        "invalid_request",
    )
    assert "Population: must be a whole number" in english
