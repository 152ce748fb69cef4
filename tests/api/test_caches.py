"""What the server remembers between requests (who holds a token, the unit tree, public
answers) never outlives a change made through the same process."""

from __future__ import annotations

from gardencity.api.public_cache import PublicCache
from tests._campaign import CampaignEnv


def _users(campaign: CampaignEnv) -> dict[str, int]:
    rows = campaign.client.get("/api/v1/users", headers=campaign.headers("admin")).json()
    return {u["username"]: u["id"] for u in rows}


def test_a_deactivated_user_is_refused_on_the_next_request(campaign: CampaignEnv) -> None:
    officer = campaign.headers("officer11")
    assert campaign.client.get("/api/v1/auth/me", headers=officer).status_code == 200
    user_id = _users(campaign)["officer11"]
    patched = campaign.client.patch(
        f"/api/v1/users/{user_id}", json={"is_active": False}, headers=campaign.headers("admin")
    )
    assert patched.status_code == 200, patched.text
    assert campaign.client.get("/api/v1/auth/me", headers=officer).status_code == 401


def test_a_logout_ends_the_token_at_once(campaign: CampaignEnv) -> None:
    inspector = campaign.headers("inspector")
    assert campaign.client.get("/api/v1/cases", headers=inspector).status_code == 200
    assert campaign.client.post("/api/v1/auth/logout", headers=inspector).status_code == 204
    assert campaign.client.get("/api/v1/cases", headers=inspector).status_code == 401


def test_a_new_unit_is_in_its_district_coordinators_scope_at_once(campaign: CampaignEnv) -> None:
    admin = campaign.headers("admin")
    coordinator = campaign.headers("coord1")
    assert campaign.client.get("/api/v1/cases", headers=coordinator).status_code == 200
    created = campaign.client.post(
        "/api/v1/units",
        json={
            "code": "d1s1-compound9",
            "name": "九号小区",
            "kind": "responsible",
            "parent_id": campaign.unit("d1s1"),
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    case = campaign.file("admin", unit_id=created.json()["id"])
    seen = campaign.client.get(f"/api/v1/cases/{case['id']}", headers=coordinator)
    assert seen.status_code == 200, seen.text
    other = campaign.client.get(f"/api/v1/cases/{case['id']}", headers=campaign.headers("coord2"))
    assert other.status_code == 404


def test_public_answers_are_cached_for_their_max_age(campaign: CampaignEnv) -> None:
    now = [1000.0]
    cache = PublicCache(5, clock=lambda: now[0])
    campaign.app.state.public_cache = cache
    first = campaign.client.get("/api/v1/public/cases.geojson")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=5"
    before = {f["properties"]["reference"] for f in first.json()["features"]}
    open311_before = campaign.client.get("/open311/v2/requests.json").json()
    case = campaign.file("patrol1", category="litter_in_green_space")
    followed = campaign.client.get(f"/api/v1/public/cases/{case['reference']}")
    assert followed.status_code == 200  # a reporter follows by reference: never cached
    now[0] += 4.9
    cached = campaign.client.get("/api/v1/public/cases.geojson")
    assert {f["properties"]["reference"] for f in cached.json()["features"]} == before
    assert cached.headers["age"] == "4"
    now[0] += 0.2
    fresh = campaign.client.get("/api/v1/public/cases.geojson").json()["features"]
    assert {f["properties"]["reference"] for f in fresh} == before | {case["reference"]}
    open311_after = campaign.client.get("/open311/v2/requests.json").json()
    assert len(open311_after) == len(open311_before) + 1
