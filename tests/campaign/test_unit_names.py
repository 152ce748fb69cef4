"""Units have an English name: seeded, given when a unit is created, changed or removed
later; English pages, API answers and messages name a unit by it (or by its Chinese name
romanised), Chinese ones by its Chinese name. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from gardencity.notifications.config import NotificationConfig
from gardencity.notifications.render import plain_text, render
from tests._campaign import CampaignEnv

PARK_ZH, PARK_EN = "鼓楼区中心公园管理处", "Gulou District Central Park Management Office"
STREET_ZH, STREET_EN = "鼓楼区第1街道", "Gulou District Street 1"


def _units(env: CampaignEnv, lang: str) -> dict[str, dict[str, Any]]:
    response = env.client.get(f"/api/v1/units?lang={lang}", headers=env.headers("admin"))
    assert response.status_code == 200, response.text
    return {u["code"]: u for u in response.json()}


def test_seeded_units_have_english_names(campaign: CampaignEnv) -> None:
    english, chinese = _units(campaign, "en"), _units(campaign, "zh")
    assert (english["d1park"]["name"], english["d1park"]["name_en"]) == (PARK_ZH, PARK_EN)
    assert english["d1park"]["label"] == PARK_EN and chinese["d1park"]["label"] == PARK_ZH
    assert english["d1s1c2"]["label"] == "Gulou District Street 1 Community 2"
    assert english["landscaping"]["label"] == "Landscaping and Greening Bureau"
    assert english["city"]["label"] == "Shifan City"  # 示范市, no English name given
    for code, unit in chinese.items():
        assert unit["label"] == unit["name"], code
        assert english[code]["label"].isascii(), (code, english[code]["label"])


def test_a_unit_is_created_and_renamed_with_its_english_name(campaign: CampaignEnv) -> None:
    admin = campaign.headers("admin")
    body = {"code": "gl-bureau", "name": "鼓楼区园林局", "kind": "department"}
    created = campaign.client.post(
        "/api/v1/units?lang=en",
        json=body | {"name_en": "Gulou Landscaping Bureau", "parent_id": campaign.unit("d1")},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    unit = created.json()
    assert (unit["name"], unit["name_en"], unit["label"]) == (
        "鼓楼区园林局",
        "Gulou Landscaping Bureau",
        "Gulou Landscaping Bureau",
    )
    path = f"/api/v1/units/{unit['id']}"
    renamed = campaign.client.patch(
        path + "?lang=en", json={"name_en": "Gulou District Landscaping Bureau"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["label"] == "Gulou District Landscaping Bureau"
    assert renamed.json()["name"] == "鼓楼区园林局"  # a field left out stays as it is
    assert _units(campaign, "zh")["gl-bureau"]["label"] == "鼓楼区园林局"
    removed = campaign.client.patch(path + "?lang=en", json={"name_en": None}, headers=admin)
    assert removed.json()["name_en"] is None
    assert removed.json()["label"] == "Gulou District Landscaping Bureau"  # written from its name
    refused = campaign.client.patch(path, json={"name_en": "x"}, headers=campaign.headers("coord1"))
    assert refused.status_code == 403
    empty = campaign.client.post(
        "/api/v1/units", json=body | {"code": "gl-2", "name_en": ""}, headers=admin
    )
    assert empty.status_code == 422
    audit = campaign.client.get("/api/v1/audit", headers=admin).json()
    assert "unit.update" in {entry["action"] for entry in audit}


def _dispatched(env: CampaignEnv, unit: str) -> dict[str, Any]:
    case = env.file("patrol1")
    response = env.act("coord1", case, "dispatch", unit_id=env.unit(unit), reason="派遣")
    assert response.status_code == 200, response.text
    return case


@pytest.mark.parametrize(
    ("lang", "park", "street"), [("en", PARK_EN, STREET_EN), ("zh", PARK_ZH, STREET_ZH)]
)
def test_cockpit_rankings_and_exposure_name_units_in_the_readers_language(
    campaign: CampaignEnv, lang: str, park: str, street: str
) -> None:
    _dispatched(campaign, "d1park")
    campaign.clock.advance(hours=80)  # past its deadline: on the exposure board
    campaign.forget_logins()
    leader = campaign.headers("leader")
    stats = campaign.client.get(f"/api/v1/stats/cases?lang={lang}", headers=leader).json()
    assert [u["unit_name"] for u in stats["by_unit"]] == [park]
    board = campaign.client.get(f"/api/v1/exposure?lang={lang}", headers=leader).json()
    assert [item["unit_name"] for item in board] == [park]
    computed = campaign.client.post("/api/v1/rankings/compute", headers=campaign.headers("admin"))
    assert computed.status_code == 200, computed.text
    ranked = campaign.client.get(f"/api/v1/rankings?lang={lang}", headers=leader).json()
    names = {r["unit_id"]: r["unit_name"] for r in ranked}
    assert names[campaign.unit("d1s1")] == street
    routed = campaign.client.get(
        f"/api/v1/cases/{campaign.file('patrol1')['id']}?lang={lang}",
        headers=campaign.headers("coord1"),
    ).json()
    assert ("Gulou District" in routed["routing_reason"]) == (lang == "en")
    assert ("鼓楼区" in routed["routing_reason"]) == (lang == "zh")


def test_messages_name_the_unit_in_their_language() -> None:
    case = {
        "reference": "GC-2026-000123",
        "category_zh": "裸土",
        "category_en": "Bare soil",
        "place": {"address": None, "grid_code": "0101010009", "lonlat": "34.3, 117.0"},
        "deadline_at": "2026-05-07T01:00:00+00:00",
        "id": 123,
    }
    config = NotificationConfig()

    def shown(unit: dict[str, Any], lang: str) -> str:
        return plain_text(render({"event": "dispatched", "case": case | unit}, lang, config))

    named = {"unit_name": PARK_ZH, "unit_name_en": PARK_EN}
    assert PARK_EN in shown(named, "en") and PARK_ZH not in shown(named, "en")
    assert PARK_ZH in shown(named, "zh") and PARK_EN not in shown(named, "zh")
    # a message queued before units had English names: the Chinese name romanised
    older = shown({"unit_name": "鼓楼区"}, "en")
    assert "Gulou District" in older and "鼓楼区" not in older
