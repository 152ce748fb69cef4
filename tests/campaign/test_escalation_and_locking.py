"""Overdue cases escalate with a controllable clock; concurrent transitions never lose an event;
duplicates near the same spot are flagged; scope: a unit officer sees only its own cases."""

from __future__ import annotations

import threading

from tests._campaign import CampaignEnv


def _dispatched(env: CampaignEnv, **fields: object) -> dict:
    case = env.file("patrol1", **fields)
    response = env.act("coord1", case, "dispatch", unit_id=env.unit("d1s1"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_deadline_follows_the_sla_table(campaign: CampaignEnv) -> None:
    urgent = _dispatched(campaign, priority="urgent", category="litter_in_green_space")
    normal = _dispatched(campaign, category="bare_soil")
    # litter_in_green_space urgent = 4 h; bare_soil falls back to the '*' row: normal = 72 h
    assert urgent["deadline_at"] == "2026-05-04T05:00:00Z"
    assert normal["deadline_at"] == "2026-05-07T01:00:00Z"


def test_overdue_cases_climb_the_ladder_and_name_who_must_act(campaign: CampaignEnv) -> None:
    case = _dispatched(campaign, priority="urgent", category="litter_in_green_space")  # due +4 h

    def escalate() -> list[dict]:
        campaign.forget_logins()  # sessions last 12 h; the clock jumps days
        admin = campaign.headers("admin")
        response = campaign.client.post("/api/v1/cases/escalate-overdue", headers=admin)
        assert response.status_code == 200, response.text
        return list(response.json()["escalated"])

    assert escalate() == []  # not late yet
    campaign.clock.advance(hours=4, minutes=1)
    assert [e["level"] for e in escalate()] == [1]
    assert escalate() == []  # same level: no new event
    admin = campaign.headers("admin")
    listed = campaign.client.get("/api/v1/cases?overdue=true", headers=admin).json()
    assert [c["id"] for c in listed["items"]] == [case["id"]]
    campaign.clock.advance(hours=48)
    assert [e["level"] for e in escalate()] == [2]
    admin = campaign.headers("admin")
    events = campaign.client.get(f"/api/v1/cases/{case['id']}", headers=admin).json()["events"]
    raised = [e for e in events if e["action"] == "escalate"]
    # level 1 goes to the unit above the street (the district), level 2 to the city
    assert [e["data"]["to_unit_id"] for e in raised] == [campaign.unit("d1"), campaign.unit("city")]
    assert raised[0]["data"]["leader_id"] is not None  # the leader assigned to 鼓楼区 (包挂)
    assert raised[1]["data"]["hours_overdue"] == 48.0  # 4 h + 1 min + 48 h after dispatch


def test_a_submitted_case_does_not_escalate(campaign: CampaignEnv) -> None:
    from tests.campaign.test_workflow import _photo

    case = _dispatched(campaign, priority="urgent", category="litter_in_green_space")
    assert campaign.act("officer11", case, "accept").status_code == 200
    photo = _photo(campaign, case, user="officer11")
    response = campaign.act("officer11", case, "submit", attachment_ids=[photo])
    assert response.status_code == 200, response.text
    campaign.clock.advance(hours=100)
    campaign.forget_logins()
    response = campaign.client.post(
        "/api/v1/cases/escalate-overdue", headers=campaign.headers("admin")
    )
    assert response.json()["escalated"] == []


def test_submit_needs_an_after_photo(campaign: CampaignEnv) -> None:
    case = _dispatched(campaign)
    campaign.act("officer11", case, "accept")
    response = campaign.act("officer11", case, "submit", reason="done")
    assert response.status_code == 422
    assert "整改后照片" in response.json()["error"]["message"]


def test_stale_version_is_a_conflict(campaign: CampaignEnv) -> None:
    case = campaign.file("patrol1")
    response = campaign.client.post(
        f"/api/v1/cases/{case['id']}/actions/comment",
        json={"version": case["version"] - 1, "reason": "old view"},
        headers=campaign.headers("leader"),
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_concurrent_transitions_never_lose_an_event(campaign: CampaignEnv) -> None:
    """Two clients act on the same case version at once: exactly one wins, the other gets a
    409 and retries; the event log holds every successful action exactly once."""
    case = campaign.file("patrol1")
    headers = {u: campaign.headers(u) for u in ("coord1", "leader")}
    outcomes: list[tuple[str, int]] = []
    barrier = threading.Barrier(2)

    def client(user: str, action: str, rounds: int) -> None:
        for i in range(rounds):
            while True:
                current = campaign.client.get(f"/api/v1/cases/{case['id']}", headers=headers[user])
                body = {"version": current.json()["version"], "reason": f"{user} {i}"}
                if action == "dispatch" and current.json()["status"] != "filed":
                    return
                if action == "dispatch":
                    body["unit_id"] = campaign.unit("d1s1")
                if i == 0:
                    barrier.wait(timeout=10)
                response = campaign.client.post(
                    f"/api/v1/cases/{case['id']}/actions/{action}", json=body, headers=headers[user]
                )
                outcomes.append((user, response.status_code))
                if response.status_code == 200:
                    break
                assert response.status_code == 409, response.text
                i = max(i, 1)  # no barrier on retries

    threads = [
        threading.Thread(target=client, args=("leader", "comment", 8)),
        threading.Thread(target=client, args=("coord1", "dispatch", 1)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    events = campaign.client.get(
        f"/api/v1/cases/{case['id']}", headers=campaign.headers("admin")
    ).json()["events"]
    wins = [u for u, status in outcomes if status == 200]
    assert len([e for e in events if e["action"] == "comment"]) == wins.count("leader") == 8
    assert len([e for e in events if e["action"] == "dispatch"]) == wins.count("coord1") == 1
    versions = [e["id"] for e in events]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)


def test_duplicates_near_the_same_spot_are_flagged(campaign: CampaignEnv) -> None:
    first = campaign.file("patrol1", at=campaign.lonlat(500_800, 3_800_800))
    near = campaign.file("patrol1", at=campaign.lonlat(500_810, 3_800_810))  # 14 m away
    other_kind = campaign.file("patrol1", at=campaign.lonlat(500_810, 3_800_810), category="weeds")
    far = campaign.file("patrol1", at=campaign.lonlat(500_900, 3_800_800))  # 100 m away
    assert near["duplicate_of_id"] == first["id"]
    assert other_kind["duplicate_of_id"] is None and far["duplicate_of_id"] is None
    assert near["events"][0]["data"]["duplicates"] == [first["id"]]


def test_a_unit_officer_sees_only_its_own_cases(campaign: CampaignEnv) -> None:
    mine = _dispatched(campaign)  # to 鼓楼区第1街道 (officer11)
    theirs = campaign.file("patrol2", at=campaign.lonlat(503_500, 3_801_500))
    own = campaign.client.get("/api/v1/cases", headers=campaign.headers("officer11")).json()
    assert [c["id"] for c in own["items"]] == [mine["id"]]
    response = campaign.client.get(
        f"/api/v1/cases/{theirs['id']}", headers=campaign.headers("officer11")
    )
    assert response.status_code == 404
    acted = campaign.act("officer11", theirs, "accept")
    assert acted.status_code == 404
    district = campaign.client.get("/api/v1/cases", headers=campaign.headers("coord2")).json()
    assert [c["id"] for c in district["items"]] == [theirs["id"]]


def test_a_lost_race_at_the_database_is_a_clean_conflict(campaign: CampaignEnv) -> None:
    """Both clients pass the version check; the database lets only the first UPDATE through.
    The second gets ConflictError (HTTP 409), its session stays usable, no event is lost."""
    import pytest
    from sqlalchemy import select

    from gardencity.auth.models import User
    from gardencity.campaign import service
    from gardencity.campaign.schemas import ActionIn
    from gardencity.errors import ConflictError

    case = campaign.file("patrol1")
    db, ctx = campaign.app.state.db, campaign.app.state.ctx
    with db.sessions() as first, db.sessions() as second:
        # (each load is committed: SQLite holds its write lock for a whole transaction;
        # the loaded objects stay in the sessions' memory)
        leader = first.scalars(select(User).where(User.username == "leader")).one()
        seen = service.get_case(first, leader, case["id"]).version
        first.commit()
        leader2 = second.scalars(select(User).where(User.username == "leader")).one()
        service.get_case(second, leader2, case["id"])  # loads the same version
        second.commit()
        service.act(first, ctx, leader, case["id"], "comment", ActionIn(version=seen, reason="1"))
        first.commit()
        with pytest.raises(ConflictError):
            service.act(
                second, ctx, leader2, case["id"], "comment", ActionIn(version=seen, reason="2")
            )
        assert service.get_case(second, leader2, case["id"]).version == seen + 1
    events = campaign.client.get(
        f"/api/v1/cases/{case['id']}", headers=campaign.headers("admin")
    ).json()["events"]
    assert [e["reason"] for e in events if e["action"] == "comment"] == ["1"]
