"""Patrols by zone through the API, on SQLite and PostgreSQL: teams and zones, key sites, a
patrol's track sent in batches (and again), a case filed during it, the grid's coverage, the
zones not patrolled this week with a reminder to the team's leader, and bad input."""

from __future__ import annotations

import math
import uuid
from datetime import date, timedelta
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from sqlalchemy import func, select

from gardencity.auth.models import Grid
from gardencity.patrols.config import PatrolConfig
from gardencity.patrols.coverage import covered_share
from gardencity.patrols.models import PatrolCellDay, PatrolCoverStale
from gardencity.patrols.status import coverage_by_unit
from tests._campaign import START, CampaignEnv

# the test city: two 2 km × 2 km districts, one 1 km cell per community (see tests/_campaign)
WALKED, BESIDE = "0101010001", "0101020001"  # district 1: south-west cell, north-west cell
X0, Y0 = 500_000.0, 3_800_000.0
EN = {"Accept-Language": "en"}


def _iso(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat()


def _walk(env: CampaignEnv) -> list[dict[str, Any]]:
    """Back and forth across the south-west cell (900 + 400 + 900 m), a point every 100 m
    and 60 s, ±10 m: 2 200 m × 50 m of sight ≈ 11 % of the cell, over the 5 % rule."""
    path = [(X0 + 50 + 100 * i, Y0 + 300) for i in range(10)]
    path += [(X0 + 950, Y0 + 400 + 100 * i) for i in range(4)]
    path += [(X0 + 950 - 100 * i, Y0 + 700) for i in range(10)]
    points = []
    for seq, (x, y) in enumerate(path):
        lon, lat = env.lonlat(x, y)
        points.append({"seq": seq, "at": _iso(60 * seq), "lon": lon, "lat": lat, "accuracy": 10})
    return points


def _team(env: CampaignEnv) -> dict[str, Any]:
    users = env.client.get("/api/v1/users", headers=env.headers("admin")).json()
    ids = {u["username"]: u["id"] for u in users}
    admin = env.headers("admin")
    team = env.client.post(
        "/api/v1/patrol-teams",
        json={
            "name": "鼓楼区第一巡查组",
            "leader_id": ids["coord1"],
            "member_ids": [ids["patrol1"]],
            "unit_id": env.unit("d1"),
        },
        headers=admin,
    )
    assert team.status_code == 201, team.text
    zone = env.client.post(
        f"/api/v1/patrol-teams/{team.json()['id']}/zones",
        json={
            "grid_codes": [WALKED, BESIDE],
            "start_date": "2026-05-04",
            "end_date": "2026-05-10",
        },
        headers=admin,
    )
    assert zone.status_code == 201, zone.text
    return team.json() | {"zone": zone.json(), "ids": ids}


def test_teams_zones_and_key_sites(campaign: CampaignEnv) -> None:
    env = campaign
    team = _team(env)
    assert team["leader_name"] == "鼓楼区协调员"
    assert {m["name"] for m in team["members"]} == {"鼓楼区协调员", "鼓楼区巡查员"}
    assert team["zone"]["grid_codes"] == [WALKED, BESIDE]
    listed = env.client.get("/api/v1/patrol-teams", headers=env.headers("coord1")).json()
    (zone,) = listed[0]["zones"]
    assert zone["name"] == "" and zone["display_name"] == "鼓楼区第1片区"  # never its codes
    listed_en = env.client.get("/api/v1/patrol-teams", headers=env.headers("admin") | EN).json()
    assert listed_en[0]["zones"][0]["display_name"] == "Zone 1, Gulou District"

    site = env.client.post(
        "/api/v1/key-sites",
        json={
            "name": "彭城路沿线",
            "kind": "section",
            "watcher_id": team["ids"]["patrol1"],
            "grid_code": WALKED,
        },
        headers=env.headers("admin") | EN,
    )
    assert site.status_code == 201, site.text
    assert site.json()["kind_label"] == "Key section"
    assert site.json()["watcher_name"] == "鼓楼区巡查员"

    # bad input: every problem said, nothing stored
    bad = env.client.post(
        f"/api/v1/patrol-teams/{team['id']}/zones",
        json={
            "grid_codes": ["9999999999", WALKED],
            "start_date": "2026-05-04",
            "end_date": "2026-05-10",
        },
        headers=env.headers("admin") | EN,
    )
    assert bad.status_code == 422
    assert "9999999999" in bad.json()["error"]["message"]
    assert "use codes from the list of grid cells" in bad.json()["error"]["message"]
    backwards = env.client.post(
        f"/api/v1/patrol-teams/{team['id']}/zones",
        json={"grid_codes": [WALKED], "start_date": "2026-05-10", "end_date": "2026-05-04"},
        headers=env.headers("admin") | EN,
    )
    assert backwards.status_code == 422 and "end_date" in backwards.text
    nowhere = env.client.post(
        "/api/v1/key-sites",
        json={"name": "某单位", "kind": "unit", "watcher_id": team["ids"]["patrol1"]},
        headers=env.headers("admin"),
    )
    assert nowhere.status_code == 422
    refused = env.client.post(
        "/api/v1/patrol-teams",
        json={"name": "x", "leader_id": team["ids"]["patrol1"]},
        headers=env.headers("patrol1"),
    )
    assert refused.status_code == 403
    assert len(env.client.get("/api/v1/patrol-teams", headers=env.headers("admin")).json()) == 1


def test_a_patrol_its_track_once_its_case_and_the_grid_coverage(campaign: CampaignEnv) -> None:
    env = campaign
    team = _team(env)
    env.clock.advance(hours=1)  # 10:00 in Beijing, the walk (23 minutes) is over
    me = env.headers("patrol1")
    patrol = str(uuid.uuid4())
    started = env.client.post(
        "/api/v1/patrols", json={"uuid": patrol, "started_at": _iso(0)}, headers=me
    )
    assert started.status_code == 201, started.text
    assert started.json()["team_id"] == team["id"]  # the patroller's team
    again = env.client.post(
        "/api/v1/patrols", json={"uuid": patrol, "started_at": _iso(0)}, headers=me
    )
    assert again.status_code == 200 and again.json()["id"] == started.json()["id"]

    points = _walk(env)
    first = env.client.post(
        f"/api/v1/patrols/{patrol}/points", json={"points": points[:12]}, headers=me
    )
    assert first.json() == {"stored": 12, "repeated": 0, "total": 12, "coverage_pending": False}
    # the phone lost the answer and sends the batch again, with the next points
    rest = env.client.post(
        f"/api/v1/patrols/{patrol}/points", json={"points": points[8:]}, headers=me
    )
    assert rest.json() == {"stored": 12, "repeated": 4, "total": 24, "coverage_pending": False}

    lon, lat = env.lonlat(X0 + 500, Y0 + 300)
    case = env.file("patrol1", at=(lon, lat), patrol=patrol)
    stop = {"ended_at": _iso(60 * 23 + 30)}
    assert (
        env.client.post(f"/api/v1/patrols/{patrol}/stop", json=stop, headers=me).status_code == 200
    )
    assert (
        env.client.post(f"/api/v1/patrols/{patrol}/stop", json=stop, headers=me).status_code == 200
    )
    twice = env.client.post(
        f"/api/v1/patrols/{patrol}/stop", json={"ended_at": _iso(60 * 40)}, headers=me | EN
    )
    assert twice.status_code == 409
    assert twice.json()["error"]["message"] == (
        "This patrol already stopped at 4 May 2026, 09:23: it cannot be stopped again"
    )
    stored = env.client.get(f"/api/v1/patrols/{patrol}", headers=env.headers("admin")).json()
    assert stored["points"] == 24 and stored["case_ids"] == [case["id"]]
    filed_in = env.client.get(f"/api/v1/cases/{case['id']}/patrol", headers=env.headers("coord1"))
    assert filed_in.status_code == 200, filed_in.text
    assert filed_in.json() | {"started_at": None} == {
        "uuid": patrol,
        "team_name": "鼓楼区第一巡查组",
        "user_name": "鼓楼区巡查员",
        "started_at": None,
        "started_text": "2026年5月4日 09:00",
        "day": "2026-05-04",
        "track_url": f"/cockpit?track={patrol}&day=2026-05-04#patrol-gaps",
    }
    in_english = env.client.get(f"/api/v1/cases/{case['id']}/patrol", headers=me | EN).json()
    assert in_english["started_text"] == "4 May 2026, 09:00"
    other = env.file("patrol1")  # not filed during a patrol
    assert env.client.get(f"/api/v1/cases/{other['id']}/patrol", headers=me).json() is None
    assert stored["length_m"] == pytest.approx(2200, abs=0.5)
    assert stored["ended_at"].startswith("2026-05-04T01:23:30")

    tracks = env.client.get("/api/v1/patrols/tracks.geojson", headers=env.headers("admin")).json()
    (line,) = tracks["features"]
    assert len(line["geometry"]["coordinates"]) == 24
    assert line["properties"]["started"] == "2026年5月4日 09:00"

    grid = env.client.get("/api/v1/patrols/coverage.geojson", headers=env.headers("coord1")).json()
    states = {f["properties"]["code"]: f["properties"] for f in grid["features"]}
    assert states[WALKED]["state"] == "today" and states[WALKED]["state_label"] == "今日已巡查"
    assert states[WALKED]["last_patrolled_text"] == "2026年5月4日"
    assert states[BESIDE]["state"] == "stale"
    assert states[BESIDE]["state_label"] == "7 天以上未巡查"
    assert grid["counts"] == {"today": 1, "this_week": 0, "earlier": 0, "stale": 7}

    # the next day: patrolled this week, not today
    env.clock.advance(days=1)
    env.forget_logins()  # a day later: log in again
    grid = env.client.get("/api/v1/patrols/coverage.geojson", headers=env.headers("coord1") | EN)
    assert grid.status_code == 200, grid.text
    states = {f["properties"]["code"]: f["properties"] for f in grid.json()["features"]}
    assert states[WALKED]["state_label"] == "Patrolled this week"
    assert states[WALKED]["last_patrolled_text"] == "4 May 2026"

    gaps = env.client.get("/api/v1/patrols/unpatrolled-zones", headers=env.headers("admin")).json()
    assert gaps["assigned"] == 1
    (gap,) = gaps["zones"]
    assert gap["missing"] == [BESIDE] and gap["cells"] == 2 and gap["leader_name"] == "鼓楼区协调员"
    assert gap["since_text"] == "2026年5月4日" and gap["zone_name"] == "鼓楼区第1片区"
    zone_id = team["zone"]["id"]
    sent = env.client.post(
        f"/api/v1/patrol-zones/{zone_id}/notify-leader", headers=env.headers("admin")
    )
    assert sent.status_code == 200 and sent.json() == {
        "notified": 1,
        "message": "已通知鼓楼区协调员",
    }
    again = env.client.post(
        f"/api/v1/patrol-zones/{zone_id}/notify-leader", headers=env.headers("admin")
    )
    assert again.json()["notified"] == 0  # once a day
    items = env.client.get("/api/v1/inbox", headers=env.headers("coord1")).json()["items"]
    (note,) = [i for i in items if i["event"] == "patrol_gap"]
    assert note["title"] == "本周有分片未巡查，请安排巡查"
    assert note["summary"].endswith(f" · 1/2 个网格：{BESIDE}")
    assert note["link"] == "/cockpit#patrol-gaps"

    db = env.app.state.db
    with db.session() as session:
        share = coverage_by_unit(session, date(2026, 5, 4), date(2026, 5, 11))
        units = env.seed.units
        assert share[units["d1s1c1"]] == 1.0  # its one cell was patrolled
        assert share[units["d1"]] == 0.25  # one of its four
        assert share[units["city"]] == 1 / 8
        assert share[units["d2"]] == 0.0
        assert math.isnan(share[units["d1park"]])  # no cells: unknown, not zero
        assert coverage_by_unit(session, date(2026, 5, 5), date(2026, 5, 11))[units["d1"]] == 0.0

    # the same figures reach the weekly summary and the red and black flags
    weekly = env.client.get(
        "/api/v1/maintenance/weekly",
        params={"district_id": units["d1"], "day": "2026-05-04"},
        headers=env.headers("admin"),
    )
    assert weekly.status_code == 200, weekly.text
    assert weekly.json()["patrol_connected"] is True
    (row,) = weekly.json()["patrol_rows"]
    assert row["team"] == "鼓楼区第一巡查组" and row["patrols"] == 1 and row["cases"] == 1
    assert row["km"] == pytest.approx(2.2) and row["coverage"] == 0.5  # one of its two cells
    other = env.client.get(
        "/api/v1/maintenance/weekly",
        params={"district_id": units["d2"], "day": "2026-05-04"},
        headers=env.headers("admin"),
    )
    assert other.json()["patrol_rows"] == []  # no zone there: 本周无巡查记录
    flags = env.client.post("/api/v1/rankings/compute", headers=env.headers("admin")).json()
    shares = {f["unit_id"]: f["details"]["patrol_coverage_share"] for f in flags}
    assert shares[units["d1"]] == 0.25 and shares[units["d2"]] == 0.0


def test_bad_track_input_gets_clear_errors(campaign: CampaignEnv) -> None:
    env = campaign
    env.clock.advance(hours=1)
    me, other = env.headers("patrol1"), env.headers("patrol2") | EN
    patrol = str(uuid.uuid4())
    env.client.post("/api/v1/patrols", json={"uuid": patrol, "started_at": _iso(0)}, headers=me)
    lon, lat = env.lonlat(X0 + 100, Y0 + 100)
    good = {"seq": 0, "at": _iso(10), "lon": lon, "lat": lat, "accuracy": 8}
    malformed = env.client.post(
        f"/api/v1/patrols/{patrol}/points",
        json={
            "points": [good, {"seq": -1, "at": "yesterday", "lon": lon, "lat": 95, "accuracy": 0}]
        },
        headers=me | EN,
    )
    assert malformed.status_code == 422
    # every problem at once, each at its place in the batch
    places = {tuple(d["loc"][-3:]) for d in malformed.json()["error"]["details"]}
    assert places == {("points", 1, f) for f in ("seq", "at", "lat", "accuracy")}
    twice = env.client.post(
        f"/api/v1/patrols/{patrol}/points", json={"points": [good, good]}, headers=me | EN
    )
    assert twice.status_code == 422 and "numbered twice" in twice.text
    late = env.client.post(
        f"/api/v1/patrols/{patrol}/points",
        json={"points": [good | {"at": _iso(-3600)}, good | {"seq": 1, "at": _iso(7200)}]},
        headers=me | EN,
    )
    assert late.status_code == 422
    assert "seq 0" in late.text and "seq 1" in late.text and "phone's clock" in late.text

    foreign = env.client.post(
        f"/api/v1/patrols/{patrol}/points", json={"points": [good]}, headers=other
    )
    assert foreign.status_code == 403
    assert foreign.json()["error"]["message"] == (
        f"Patrol {patrol} belongs to another user: send tracks only to your own patrols"
    )
    taken = env.client.post(
        "/api/v1/patrols", json={"uuid": patrol, "started_at": _iso(0)}, headers=other
    )
    assert taken.status_code == 403
    body = {"category": "bare_soil", "lon": lon, "lat": lat, "patrol": patrol}
    not_theirs = env.client.post("/api/v1/cases", json=body, headers=other)
    assert not_theirs.status_code == 403
    unknown = env.client.post(
        f"/api/v1/patrols/{uuid.uuid4()}/stop", json={"ended_at": _iso(60)}, headers=me | EN
    )
    assert unknown.status_code == 404 and "start the patrol first" in unknown.text
    cases = env.client.get("/api/v1/cases", headers=env.headers("admin")).json()
    assert cases["total"] == 0  # the refused case was not filed
    stored = env.client.get(f"/api/v1/patrols/{patrol}", headers=me).json()
    assert stored["points"] == 0


def test_a_batch_sent_after_later_ones_is_covered_just_after_the_answer(
    campaign: CampaignEnv,
) -> None:
    """The phone's second batch arrives first: the first batch's answer says the day's
    coverage is computed again, and it is, from all the points (the measure's figure)."""
    env = campaign
    _team(env)
    env.clock.advance(hours=1)
    me = env.headers("patrol1")
    patrol = str(uuid.uuid4())
    env.client.post("/api/v1/patrols", json={"uuid": patrol, "started_at": _iso(0)}, headers=me)
    points = _walk(env)
    later = env.client.post(
        f"/api/v1/patrols/{patrol}/points", json={"points": points[12:]}, headers=me
    )
    assert later.json()["coverage_pending"] is False
    earlier = env.client.post(
        f"/api/v1/patrols/{patrol}/points", json={"points": points[:12]}, headers=me
    )
    assert earlier.json() == {"stored": 12, "repeated": 0, "total": 24, "coverage_pending": True}
    with env.app.state.db.session() as session:
        assert session.scalar(select(func.count()).select_from(PatrolCoverStale)) == 0
        stored = dict(session.execute(select(PatrolCellDay.grid_code, PatrolCellDay.share)).all())
        grid = session.execute(select(Grid.code, Grid.geometry)).all()
    cells = gpd.GeoSeries([g for _, g in grid], index=[c for c, _ in grid], crs=4326)
    track = pd.DataFrame(points).assign(track=1, at=lambda f: pd.to_datetime(f["at"]))
    config = PatrolConfig()
    expected = covered_share(track, cells, sight_m=config.sight_m)
    assert set(stored) == set(expected.index[expected > 0]) == {WALKED}
    assert stored[WALKED] == pytest.approx(expected[WALKED], rel=1e-9)
    grid_states = env.client.get("/api/v1/patrols/coverage.geojson", headers=me).json()
    states = {f["properties"]["code"]: f["properties"]["state"] for f in grid_states["features"]}
    assert states[WALKED] == "today" and states[BESIDE] == "stale"


def test_a_district_coordinator_sees_and_keeps_their_district_only(
    campaign: CampaignEnv,
) -> None:
    env = campaign
    _team(env)  # district 1's, made by the campaign office
    users = env.client.get("/api/v1/users", headers=env.headers("admin")).json()
    ids = {u["username"]: u["id"] for u in users}
    mine = env.client.post(
        "/api/v1/patrol-teams",
        json={"name": "玄武区巡查组", "leader_id": ids["coord2"], "member_ids": [ids["patrol2"]]},
        headers=env.headers("coord2"),
    )
    assert mine.status_code == 201, mine.text
    assert mine.json()["unit_id"] == env.unit("d2")  # their own district by default
    names = {
        t["name"]
        for t in env.client.get("/api/v1/patrol-teams", headers=env.headers("coord1")).json()
    }
    assert names == {"鼓楼区第一巡查组"}
    names = {
        t["name"]
        for t in env.client.get("/api/v1/patrol-teams", headers=env.headers("admin")).json()
    }
    assert names == {"鼓楼区第一巡查组", "玄武区巡查组"}
    borrowed = env.client.post(
        "/api/v1/patrol-teams",
        json={"name": "借人组", "leader_id": ids["coord1"], "member_ids": [ids["patrol2"]]},
        headers=env.headers("coord1") | EN,
    )
    assert borrowed.status_code == 403
    assert "outside your district" in borrowed.json()["error"]["message"]
    site = env.client.post(
        "/api/v1/key-sites",
        json={
            "name": "中山路",
            "kind": "section",
            "watcher_id": ids["patrol2"],
            "grid_code": "0201010001",
        },
        headers=env.headers("coord2"),
    )
    assert site.status_code == 201, site.text
    listed = env.client.get("/api/v1/key-sites", headers=env.headers("coord1")).json()
    assert "中山路" not in {s["name"] for s in listed}
