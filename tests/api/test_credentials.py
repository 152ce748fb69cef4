"""API tokens and Open311 keys are listed and revoked; a password change or reset ends the
user's sessions and tokens; a logout ends the API tokens created in that session; the
password policy refuses guessable passwords and says why in Chinese and English."""

from __future__ import annotations

import re
from typing import Any

from tests._campaign import PASSWORD, CampaignEnv

HAN = re.compile(r"[\u3400-\u9fff]")

STRONG = "gold-canal-ferry-9"


def _session(env: CampaignEnv, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = env.client.post(
        "/api/v1/auth/login", data={"username": username, "password": password}
    )
    env.client.cookies.clear()
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _token(env: CampaignEnv, headers: dict[str, str], name: str) -> tuple[int, dict[str, str]]:
    response = env.client.post("/api/v1/auth/tokens", json={"name": name}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["id"], {"Authorization": f"Bearer {body['access_token']}"}


def _works(env: CampaignEnv, headers: dict[str, str]) -> bool:
    status = env.client.get("/api/v1/auth/me", headers=headers).status_code
    assert status in (200, 401)
    return status == 200


def test_api_tokens_are_listed_and_revoked(campaign: CampaignEnv) -> None:
    session = _session(campaign, "coord1")
    token_id, token = _token(campaign, session, "巡查统计脚本")
    listed = campaign.client.get("/api/v1/auth/tokens", headers=session).json()
    mine = {row["id"]: row for row in listed}
    assert mine[token_id]["name"] == "巡查统计脚本" and mine[token_id]["kind"] == "api"
    assert [row["kind"] for row in listed if row["current"]] == ["session"]
    assert "access_token" not in mine[token_id] and "token_hash" not in mine[token_id]

    # nobody else sees or revokes it; an administrator does
    officer = _session(campaign, "officer11")
    assert token_id not in {
        r["id"] for r in campaign.client.get("/api/v1/auth/tokens", headers=officer).json()
    }
    assert (
        campaign.client.delete(f"/api/v1/auth/tokens/{token_id}", headers=officer).status_code
        == 404
    )
    everyone = campaign.client.get("/api/v1/auth/tokens?everyone=true", headers=officer)
    assert everyone.status_code == 403
    admin = campaign.headers("admin")
    all_tokens = campaign.client.get("/api/v1/auth/tokens?everyone=true", headers=admin).json()
    assert token_id in {r["id"] for r in all_tokens}

    assert _works(campaign, token)
    revoked = campaign.client.delete(f"/api/v1/auth/tokens/{token_id}", headers=session)
    assert revoked.status_code == 204
    assert not _works(campaign, token)
    assert _works(campaign, session)
    listed = campaign.client.get("/api/v1/auth/tokens", headers=session).json()
    assert token_id not in {row["id"] for row in listed}
    audit = campaign.client.get("/api/v1/audit", headers=admin).json()
    assert "token.revoke" in {entry["action"] for entry in audit}


def _open311(env: CampaignEnv, key: str) -> int:
    lon, lat = env.lonlat(500_400, 3_800_400)
    data = {"api_key": key, "service_code": "weeds", "lat": lat, "long": lon}
    return int(env.client.post("/open311/v2/requests.json", data=data).status_code)


def test_open311_keys_are_listed_and_revoked(campaign: CampaignEnv) -> None:
    admin = campaign.headers("admin")
    created = campaign.client.post("/api/v1/api-keys", json={"name": "12345 热线"}, headers=admin)
    assert created.status_code == 201
    key, key_id = created.json()["api_key"], created.json()["id"]
    listed = campaign.client.get("/api/v1/api-keys", headers=admin).json()
    row = next(r for r in listed if r["id"] == key_id)
    assert row["name"] == "12345 热线" and row["is_active"] is True
    assert key not in str(listed)  # only ever shown once
    assert _open311(campaign, key) == 201

    coordinator = campaign.headers("coord1")
    refused = campaign.client.delete(f"/api/v1/api-keys/{key_id}", headers=coordinator)
    assert refused.status_code == 403
    assert campaign.client.delete(f"/api/v1/api-keys/{key_id}", headers=admin).status_code == 204
    assert _open311(campaign, key) == 403
    listed = campaign.client.get("/api/v1/api-keys", headers=admin).json()
    assert next(r for r in listed if r["id"] == key_id)["is_active"] is False
    assert _open311(campaign, campaign.seed.api_key) == 201  # the others still work


def test_a_password_change_ends_every_session_and_token(campaign: CampaignEnv) -> None:
    phone, laptop = _session(campaign, "coord1"), _session(campaign, "coord1")
    _, script = _token(campaign, phone, "导出")
    other_user = _session(campaign, "coord2")
    changed = campaign.client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": STRONG},
        headers=laptop,
    )
    assert changed.status_code == 200, changed.text
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert [_works(campaign, h) for h in (phone, laptop, script)] == [False, False, False]
    assert _works(campaign, fresh) and _works(campaign, other_user)
    old = campaign.client.post(
        "/api/v1/auth/login", data={"username": "coord1", "password": PASSWORD}
    )
    assert old.status_code == 401
    assert _works(campaign, _session(campaign, "coord1", STRONG))

    wrong = campaign.client.post(
        "/api/v1/auth/password",
        json={"current_password": "not-it", "new_password": "another-good-one-7"},
        headers=fresh,
    )
    assert wrong.status_code == 401 and _works(campaign, fresh)


def test_an_administrators_password_reset_ends_the_users_sessions(
    campaign: CampaignEnv,
) -> None:
    session = _session(campaign, "officer11")
    _, token = _token(campaign, session, "手机")
    users = campaign.client.get("/api/v1/users", headers=campaign.headers("admin")).json()
    officer = next(u for u in users if u["username"] == "officer11")
    reset = campaign.client.patch(
        f"/api/v1/users/{officer['id']}",
        json={"password": STRONG},
        headers=campaign.headers("admin"),
    )
    assert reset.status_code == 200, reset.text
    assert not _works(campaign, session) and not _works(campaign, token)
    renamed = campaign.client.patch(
        f"/api/v1/users/{officer['id']}",
        json={"display_name": "王五"},
        headers=campaign.headers("admin"),
    )
    assert renamed.status_code == 200
    assert _works(campaign, _session(campaign, "officer11", STRONG))  # only a reset ends them


def test_logout_ends_the_api_tokens_created_in_that_session(campaign: CampaignEnv) -> None:
    first, second = _session(campaign, "coord1"), _session(campaign, "coord1")
    _, from_first = _token(campaign, first, "一")
    _, from_second = _token(campaign, second, "二")
    _, from_token = _token(campaign, from_first, "三")  # made with a token of the session
    assert campaign.client.post("/api/v1/auth/logout", headers=first).status_code == 204
    assert [_works(campaign, h) for h in (first, from_first, from_token)] == [False] * 3
    assert _works(campaign, second) and _works(campaign, from_second)


WEAK = {  # password -> what the refusal says, in Chinese and in English
    "12345678": ("最常用的十个密码", "top-10 common password"),
    "password": ("最常用的十个密码", "top-10 common password"),
    "woaini1314": ("国内常用的密码", "commonly used in China"),
    "newbie2026": ("用户名或姓名", "your user name or name"),
    "zxcvbnm,./": ("键盘上连成一排", "Straight rows of keys"),
}


def test_weak_passwords_are_refused_with_the_reason(campaign: CampaignEnv) -> None:
    body: dict[str, Any] = {"username": "newbie", "display_name": "新人", "role": "resident"}
    admin = campaign.headers("admin")
    english = admin | {"Accept-Language": "en"}
    for password, (reason_zh, reason_en) in WEAK.items():
        response = campaign.client.post(
            "/api/v1/users", json=body | {"password": password}, headers=admin
        )
        assert response.status_code == 422, response.text
        message = response.json()["error"]["message"]
        assert "密码太弱" in message and reason_zh in message, message
        assert not re.search("[A-Za-z]{4}", message.replace("zxcvbnm", "")), message
        response = campaign.client.post(
            "/api/v1/users", json=body | {"password": password}, headers=english
        )
        message = response.json()["error"]["message"]
        assert "Password too weak" in message and reason_en in message, message
        assert not HAN.search(message), message
    created = campaign.client.post("/api/v1/users", json=body | {"password": STRONG}, headers=admin)
    assert created.status_code == 201, created.text


def test_password_changes_and_resets_follow_the_policy(campaign: CampaignEnv) -> None:
    headers = _session(campaign, "coord1")
    weak = campaign.client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "coord1coord1"},
        headers=headers,
    )
    assert weak.status_code == 422
    assert weak.json()["error"]["message"].startswith("密码太弱")
    assert "too weak" not in weak.json()["error"]["message"]
    assert _works(campaign, headers)  # nothing changed
    users = campaign.client.get("/api/v1/users", headers=campaign.headers("admin")).json()
    coordinator = next(u for u in users if u["username"] == "coord1")
    reset = campaign.client.patch(
        f"/api/v1/users/{coordinator['id']}",
        json={"password": "11111111"},
        headers=campaign.headers("admin"),
    )
    assert reset.status_code == 422 and _works(campaign, headers)
