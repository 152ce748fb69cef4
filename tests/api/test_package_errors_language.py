"""Errors of the organisation, case-list, grid-import and notification-channel services come
from their packages' catalogues: Chinese by default, English with ``Accept-Language: en``,
never a Chinese text in English mode or an English sentence in Chinese mode."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests._campaign import CampaignEnv

HAN = re.compile(r"[\u3400-\u9fff]")
ENGLISH_WORDS = re.compile(r"\b(the|is|are|not|does|exist|must|one|of|unit|already)\b", re.I)
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def _both(env: CampaignEnv, send: Any, status: int) -> tuple[str, str]:
    """The error's message as a Chinese and as an English request get it."""
    messages = []
    for extra in ({}, ENGLISH):
        response = send(env.headers("admin") | extra)
        assert response.status_code == status, response.text
        messages.append(str(response.json()["error"]["message"]))
    zh, en = messages
    assert HAN.search(zh) and not ENGLISH_WORDS.search(zh), zh
    assert not HAN.search(en), en
    return zh, en


@pytest.mark.parametrize("campaign", ["sqlite"], indirect=True)
def test_organisation_and_case_list_errors_in_the_requests_language(
    campaign: CampaignEnv,
) -> None:
    env, client = campaign, campaign.client
    orphan = {"code": "orphan", "name": "无上级", "kind": "street", "parent_id": 999_999}
    zh, en = _both(env, lambda h: client.post("/api/v1/units", json=orphan, headers=h), 422)
    assert "上级单位 999999 不存在" in zh and en.startswith("Parent unit 999999 does not exist")
    taken = {"code": "d1", "name": "重复", "kind": "district"}
    existing = next(code for code in env.seed.units)
    taken["code"] = existing
    zh, en = _both(env, lambda h: client.post("/api/v1/units", json=taken, headers=h), 409)
    assert f"单位编码“{existing}”已存在" in zh and f"Unit code '{existing}' already exists" in en
    zh, en = _both(env, lambda h: client.get("/api/v1/cases?status=bogus", headers=h), 422)
    assert "未知状态" in zh and "Unknown status" in en
    assert "closed（已结案）" in zh and "closed (" in en  # each code with its name
    zh, en = _both(env, lambda h: client.get("/api/v1/cases?bbox=1,2,3", headers=h), 422)
    assert "四个数" in zh and "four numbers" in en
    admin_id = client.get("/api/v1/auth/me", headers=env.headers("admin")).json()["id"]
    leader = {"user_id": admin_id, "unit_id": env.seed.units[existing]}
    zh, en = _both(env, lambda h: client.post("/api/v1/leaders", json=leader, headers=h), 422)
    assert "不是领导" in zh and "is not a leader" in en


@pytest.mark.parametrize("campaign", ["sqlite"], indirect=True)
def test_grid_import_and_channel_errors_in_the_requests_language(campaign: CampaignEnv) -> None:
    env, client = campaign, campaign.client
    zh, en = _both(
        env,
        lambda h: client.post(
            "/api/v1/grids/import",
            files={"file": ("grid.gpkg", b"not a database", "application/geopackage+sqlite3")},
            headers=h,
        ),
        422,
    )
    assert "GeoPackage" in zh and ".gpkg" in zh and "Not a GeoPackage" in en
    unit = next(iter(env.seed.units.values()))
    two_owners = {"kind": "wecom", "name": "群", "unit_id": unit, "group_code": "city"}
    zh, en = _both(
        env,
        lambda h: client.post("/api/v1/notifications/channels", json=two_owners, headers=h),
        422,
    )
    assert "只能属于一个对象" in zh and "exactly one of" in en
    sms_group = {"kind": "sms", "name": "短信", "unit_id": unit, "settings": {}}
    zh, en = _both(
        env, lambda h: client.post("/api/v1/notifications/channels", json=sms_group, headers=h), 422
    )
    assert "企业微信群机器人" in zh and "短信只发给个人" in zh  # kinds by their names
    assert "WeCom group robot" in en and "SMS goes to persons" in en
