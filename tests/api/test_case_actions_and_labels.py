"""The case list filtered by campaign action (within each user's unit scope), the per-action
case counts of the plan, and labels from the campaign configuration in the asked language."""

from __future__ import annotations

from typing import Any

from tests._campaign import CampaignEnv
from tests.campaign.test_workflow import _do

DISTRICT_1 = (500_300, 3_800_300)
DISTRICT_2 = (502_300, 3_800_300)


def _references(env: CampaignEnv, username: str, query: str) -> set[str]:
    response = env.client.get(f"/api/v1/cases?{query}", headers=env.headers(username))
    assert response.status_code == 200, response.text
    return {c["reference"] for c in response.json()["items"]}


def _file(env: CampaignEnv, where: tuple[int, int], action: str | None) -> dict[str, Any]:
    return env.file("admin", at=env.lonlat(*where), action_code=action)


def test_the_action_filter_returns_exactly_one_actions_cases_in_scope(
    campaign: CampaignEnv,
) -> None:
    parks_1 = [_file(campaign, DISTRICT_1, "pocket_parks") for _ in range(3)]
    parks_2 = _file(campaign, DISTRICT_2, "pocket_parks")
    shade_1 = _file(campaign, DISTRICT_1, "shade_roads")
    _file(campaign, DISTRICT_1, None)
    for action in ["dispatch", "accept", "submit", "verify"]:  # one of district 1's is closed
        assert _do(campaign, parks_1[0], action).status_code == 200
    assert _do(campaign, parks_1[1], "discard").status_code == 200
    everyone = {c["reference"] for c in [*parks_1, parks_2]}

    assert _references(campaign, "admin", "action_code=pocket_parks") == everyone
    assert _references(campaign, "leader", "action_code=pocket_parks") == everyone
    assert _references(campaign, "admin", "action_code=shade_roads") == {shade_1["reference"]}
    assert _references(campaign, "admin", "action_code=no_such_action") == set()
    # a district's coordinator sees only the action's cases of their district
    assert _references(campaign, "coord1", "action_code=pocket_parks") == {
        c["reference"] for c in parks_1
    }
    assert _references(campaign, "coord2", "action_code=pocket_parks") == {parks_2["reference"]}
    # the filter combines with the others
    closed = _references(campaign, "coord1", "action_code=pocket_parks&status=closed")
    assert closed == {parks_1[0]["reference"]}
    too_long = campaign.client.get(
        "/api/v1/cases?action_code=" + "x" * 65, headers=campaign.headers("admin")
    )
    assert too_long.status_code == 422

    # the plan counts each action's cases, as far as the user may see them
    def counts(username: str) -> dict[str, dict[str, int]]:
        response = campaign.client.get("/api/v1/targets", headers=campaign.headers(username))
        assert response.status_code == 200, response.text
        return {
            r["action_code"]: {k: r[k] for k in ("open", "closed", "discarded", "total")}
            for r in response.json()["cases_by_action"]
        }

    assert counts("admin") == {
        "pocket_parks": {"open": 2, "closed": 1, "discarded": 1, "total": 4},
        "shade_roads": {"open": 1, "closed": 0, "discarded": 0, "total": 1},
    }
    assert counts("coord2") == {
        "pocket_parks": {"open": 1, "closed": 0, "discarded": 0, "total": 1}
    }


def test_configured_labels_come_in_the_asked_language(campaign: CampaignEnv) -> None:
    case = campaign.file("admin", category="bare_soil")
    admin = campaign.headers("admin")
    english = admin | {"Accept-Language": "en-GB,en;q=0.9,zh-CN;q=0.5"}

    def labels(headers: dict[str, str], query: str = "") -> tuple[str, str]:
        response = campaign.client.get(f"/api/v1/cases/{case['id']}{query}", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["status_label"], response.json()["category_label"]

    assert labels(admin) == ("已上报", "黄土裸露")  # Chinese by default
    assert labels(english) == ("Reported", "Bare soil")
    assert labels(admin | {"Accept-Language": "fr, zh;q=0.5, en;q=0.4"}) == ("已上报", "黄土裸露")
    assert labels(admin, "?lang=en") == ("Reported", "Bare soil")  # the pages' parameter
    campaign.client.cookies.set("gc_lang", "en")  # the pages' language cookie …
    try:
        assert labels(admin) == ("Reported", "Bare soil")
        campaign.client.cookies.set("gc_lang", "zh")  # … wins over the browser's header
        assert labels(english) == ("已上报", "黄土裸露")
    finally:
        campaign.client.cookies.delete("gc_lang")

    listed = campaign.client.get("/api/v1/cases", headers=english).json()["items"]
    assert {(c["status_label"], c["category_label"]) for c in listed} == {("Reported", "Bare soil")}
    geojson = campaign.client.get("/api/v1/cases.geojson", headers=english).json()
    assert geojson["features"][0]["properties"]["status_label"] == "Reported"

    # the residents' side too, and the cached public map keeps one copy per language
    public = f"/api/v1/public/cases/{case['reference']}"
    followed = campaign.client.get(public, headers={"Accept-Language": "en"}).json()
    assert (followed["category_name"], followed["status_label"]) == ("Bare soil", "Reported")
    assert campaign.client.get(public).json()["category_name"] == "黄土裸露"
    for accept, label in [("zh-CN", "已上报"), ("en-US", "Reported"), ("zh", "已上报")]:
        response = campaign.client.get(
            "/api/v1/public/cases.geojson", headers={"Accept-Language": accept}
        )
        assert response.status_code == 200, response.text
        assert {f["properties"]["status_label"] for f in response.json()["features"]} == {label}
