"""The case workflow through the API: every allowed and forbidden transition, evidence,
escalation of overdue cases with a controllable clock, and history never overwritten."""

from __future__ import annotations

import itertools

import pytest

from gardencity.campaign.states import TRANSITIONS, CaseStatus
from tests._campaign import CampaignEnv
from tests._images import plain_jpeg

# who performs each action in the happy path (a unit officer of the park's management office)
ACTOR = {
    "dispatch": "coord1",
    "reassign": "coord1",
    "accept": "park1",
    "submit": "park1",
    "verify": "inspector",
    "send_back": "inspector",
    "discard": "coord1",
    "reopen": "inspector",
    "comment": "leader",
}
# how to bring a fresh case into each state: the actions from `filed`
PATH = {
    CaseStatus.FILED: [],
    CaseStatus.DISPATCHED: ["dispatch"],
    CaseStatus.IN_PROGRESS: ["dispatch", "accept"],
    CaseStatus.SUBMITTED: ["dispatch", "accept", "submit"],
    CaseStatus.SENT_BACK: ["dispatch", "accept", "submit", "send_back"],
    CaseStatus.CLOSED: ["dispatch", "accept", "submit", "verify"],
    CaseStatus.DISCARDED: ["discard"],
}
EXPECTED = {  # (state, action) -> next state, for every allowed pair
    (CaseStatus.FILED, "dispatch"): CaseStatus.DISPATCHED,
    (CaseStatus.FILED, "discard"): CaseStatus.DISCARDED,
    (CaseStatus.DISPATCHED, "accept"): CaseStatus.IN_PROGRESS,
    (CaseStatus.DISPATCHED, "reassign"): CaseStatus.DISPATCHED,
    (CaseStatus.IN_PROGRESS, "submit"): CaseStatus.SUBMITTED,
    (CaseStatus.IN_PROGRESS, "reassign"): CaseStatus.DISPATCHED,
    (CaseStatus.SUBMITTED, "verify"): CaseStatus.CLOSED,
    (CaseStatus.SUBMITTED, "send_back"): CaseStatus.SENT_BACK,
    (CaseStatus.SENT_BACK, "submit"): CaseStatus.SUBMITTED,
    (CaseStatus.SENT_BACK, "reassign"): CaseStatus.DISPATCHED,
    (CaseStatus.CLOSED, "reopen"): CaseStatus.DISPATCHED,
    (CaseStatus.DISCARDED, "reopen"): CaseStatus.FILED,
} | {(s, "comment"): s for s in CaseStatus}

JPEG = plain_jpeg()


def _photo(env: CampaignEnv, case: dict, user: str = "park1", role: str = "after") -> int:
    response = env.client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        files={"file": ("after.jpg", JPEG, "image/jpeg")},
        data={"role": role},
        headers=env.headers(user),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _do(env: CampaignEnv, case: dict, action: str, user: str | None = None):  # type: ignore[no-untyped-def]
    extra: dict = {"reason": f"{action} 说明"}
    if action == "submit":
        extra["attachment_ids"] = [_photo(env, case, user=user or "park1")]
    if action in {"dispatch", "reassign"}:
        extra["unit_id"] = env.unit("d1park")
    return env.act(user or ACTOR[action], case, action, **extra)


def _case_in(env: CampaignEnv, state: CaseStatus) -> dict:
    case = env.file("patrol1")
    for action in PATH[state]:
        response = _do(env, case, action)
        assert response.status_code == 200, (action, response.text)
    return case


def test_the_table_is_the_documented_workflow() -> None:
    table = {(s, a) for a, t in TRANSITIONS.items() for s in t.sources}
    assert table == set(EXPECTED)


@pytest.mark.parametrize(
    ("state", "action"),
    [(s, a) for s, a in itertools.product(CaseStatus, TRANSITIONS) if (s, a) in EXPECTED],
    ids=lambda v: str(v),
)
def test_every_allowed_transition(campaign: CampaignEnv, state: CaseStatus, action: str) -> None:
    case = _case_in(campaign, state)
    response = _do(campaign, case, action)
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["status"] == EXPECTED[(state, action)]
    last = after["events"][-1]
    assert (last["action"], last["from_status"], last["to_status"]) == (
        action,
        state.value,
        EXPECTED[(state, action)].value,
    )
    assert last["reason"] == f"{action} 说明"
    assert len(after["events"]) == len(PATH[state]) + 2  # file + path + this one


@pytest.mark.parametrize(
    ("state", "action"),
    [(s, a) for s, a in itertools.product(CaseStatus, TRANSITIONS) if (s, a) not in EXPECTED],
    ids=lambda v: str(v),
)
def test_every_forbidden_transition_is_refused_and_changes_nothing(
    campaign: CampaignEnv, state: CaseStatus, action: str
) -> None:
    case = _case_in(campaign, state)
    before = campaign.client.get(f"/api/v1/cases/{case['id']}", headers=campaign.headers("admin"))
    response = _do(campaign, case, action, user="admin")
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_transition"
    # the state by its name, what may be done instead, no raw codes
    assert "不能执行" in error["message"] and "此时可执行" in error["message"], error["message"]
    assert state.value not in error["message"] and action not in error["message"]
    after = campaign.client.get(f"/api/v1/cases/{case['id']}", headers=campaign.headers("admin"))
    assert after.json()["events"] == before.json()["events"]
    assert after.json()["version"] == before.json()["version"]


def test_a_case_sent_to_another_unit_says_why_it_is_there_now(campaign: CampaignEnv) -> None:
    case = campaign.file("patrol1")
    first = campaign.client.get(
        f"/api/v1/cases/{case['id']}", headers=campaign.headers("coord1")
    ).json()
    assert campaign.act("coord1", case, "dispatch").status_code == 200
    routed = campaign.client.get(f"/api/v1/cases/{case['id']}", headers=campaign.headers("coord1"))
    other = "d1s2" if routed.json()["unit_id"] == campaign.unit("d1park") else "d1park"
    moved = campaign.act(
        "coord1", case, "reassign", unit_id=campaign.unit(other), reason="属公园管理处养护范围"
    )
    assert moved.status_code == 200, moved.text
    zh = campaign.client.get(
        f"/api/v1/cases/{case['id']}", headers=campaign.headers("coord1")
    ).json()
    assert zh["routing_reason"] != first["routing_reason"]
    assert zh["routing_reason"] == "人工指定：属公园管理处养护范围"
    en = campaign.client.get(
        f"/api/v1/cases/{case['id']}?lang=en", headers=campaign.headers("coord1")
    ).json()
    assert en["routing_reason"] == "set by hand: 属公园管理处养护范围"
