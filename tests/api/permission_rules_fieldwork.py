"""The permission matrix's rules for field work: patrol teams, zones, patrols and their
tracks; maintained sites, their inspections and the weekly summary."""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

from tests.api.permission_rules import STAFF, Ctx, Rule


def _user(c: Ctx, username: str) -> int:
    from sqlalchemy import select

    from gardencity.auth.models import User

    with c.env.app.state.db.session() as session:
        return int(session.scalars(select(User.id).where(User.username == username)).one())


def _zone(c: Ctx, district: int = 1) -> int:
    """A new zone of a new team of a district (led by its coordinator) for the week, its
    cell not patrolled."""
    from datetime import date

    from gardencity.patrols.models import PatrolTeam, PatrolZone, PatrolZoneCell

    with c.env.app.state.db.session() as session:
        team = PatrolTeam(
            name="矩阵组",
            unit_id=c.env.unit(f"d{district}"),
            leader_id=_user(c, f"coord{district}"),
            created_at=c.env.clock(),
        )
        zone = PatrolZone(
            team=team,
            name="",
            start_date=date(2026, 5, 4),
            end_date=date(2026, 5, 10),
            created_at=c.env.clock(),
        )
        zone.cells = [PatrolZoneCell(grid_code=f"0{district}01010001")]
        session.add(team)
        session.flush()
        return int(zone.id)


def _admins_patrol(c: Ctx) -> str:
    """A new patrol of admin's, started a minute ago (only its patroller adds to it)."""
    from datetime import timedelta

    from gardencity.patrols.models import Patrol

    with c.env.app.state.db.session() as session:
        patrol = Patrol(
            uuid=str(uuid.uuid4()),
            user_id=_user(c, "admin"),
            started_at=c.env.clock() - timedelta(minutes=1),
            created_at=c.env.clock(),
        )
        session.add(patrol)
        return patrol.uuid


def _points(c: Ctx) -> dict[str, Any]:
    lon, lat = c.env.lonlat(500_400, 3_800_400)
    point = {"seq": 0, "at": c.env.clock().isoformat(), "lon": lon, "lat": lat, "accuracy": 9}
    return {"url": f"/api/v1/patrols/{_admins_patrol(c)}/points", "json": {"points": [point]}}


def _of_patrol1(c: Ctx) -> str:
    from gardencity.patrols.models import Patrol

    with c.env.app.state.db.session() as session:
        patrol = Patrol(
            uuid=str(uuid.uuid4()),
            user_id=_user(c, "patrol1"),
            started_at=c.env.clock(),
            created_at=c.env.clock(),
        )
        session.add(patrol)
        return patrol.uuid


MANAGE = {"admin", "coordinator"}
PATROLS: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/patrol-teams"): Rule(STAFF, lambda c: {}),
    ("POST", "/api/v1/patrol-teams"): Rule(
        MANAGE, lambda c: {"json": {"name": "矩阵组", "leader_id": _user(c, "coord1")}}
    ),
    ("POST", "/api/v1/patrol-teams/{team_id}/zones"): Rule(
        MANAGE,
        lambda c: {
            "url": f"/api/v1/patrol-teams/{_team_of(_zone(c), c)}/zones",
            "json": {
                "grid_codes": ["0101010001"],
                "start_date": "2026-05-04",
                "end_date": "2026-05-10",
            },
        },
    ),
    ("DELETE", "/api/v1/patrol-zones/{zone_id}"): Rule(
        MANAGE, lambda c: {"url": f"/api/v1/patrol-zones/{_zone(c)}"}
    ),
    ("POST", "/api/v1/patrol-zones/{zone_id}/notify-leader"): Rule(
        MANAGE, lambda c: {"url": f"/api/v1/patrol-zones/{_zone(c)}/notify-leader"}
    ),
    ("GET", "/api/v1/key-sites"): Rule(STAFF, lambda c: {}),
    ("POST", "/api/v1/key-sites"): Rule(
        MANAGE,
        lambda c: {
            "json": {
                "name": "矩阵路",
                "kind": "section",
                "watcher_id": _user(c, "patrol1"),
                "grid_code": "0101010001",
            }
        },
    ),
    ("POST", "/api/v1/patrols"): Rule(
        {"admin", "coordinator", "officer", "inspector"},
        lambda c: {"json": {"uuid": str(uuid.uuid4()), "started_at": c.env.clock().isoformat()}},
    ),
    # only its patroller adds to a patrol or stops it: the others' roles are refused (403)
    ("POST", "/api/v1/patrols/{uuid}/points"): Rule({"admin"}, _points),
    ("POST", "/api/v1/patrols/{uuid}/stop"): Rule(
        {"admin"},
        lambda c: {
            "url": f"/api/v1/patrols/{_admins_patrol(c)}/stop",
            "json": {"ended_at": c.env.clock().isoformat()},
        },
    ),
    # a district patrol's patrol: outside a street officer's scope
    ("GET", "/api/v1/patrols/{uuid}"): Rule(
        STAFF - {"officer"},
        lambda c: {"url": f"/api/v1/patrols/{_of_patrol1(c)}"},
        hidden_from=frozenset({"officer"}),
    ),
    ("GET", "/api/v1/patrols/tracks.geojson"): Rule(STAFF, lambda c: {}),
    ("GET", "/api/v1/patrols/coverage.geojson"): Rule(STAFF, lambda c: {}),
    ("GET", "/api/v1/patrols/unpatrolled-zones"): Rule(STAFF, lambda c: {}),
    ("GET", "/api/v1/cases/{case_id}/patrol"): Rule(
        STAFF, lambda c: {"url": f"/api/v1/cases/{c.case_id}/patrol"}
    ),
}


# a district coordinator (coord1) keeps their own district's teams, zones and key sites: those
# of another district are not found (404), and nothing is made there (403)
OTHER_DISTRICT: dict[tuple[str, str], Rule] = {
    ("POST", "/api/v1/patrol-teams"): Rule(
        {"admin"},
        lambda c: {
            "json": {"name": "邻区组", "leader_id": _user(c, "coord2"), "unit_id": c.env.unit("d2")}
        },
    ),
    ("POST", "/api/v1/patrol-teams/{team_id}/zones"): Rule(
        {"admin"},
        lambda c: {
            "url": f"/api/v1/patrol-teams/{_team_of(_zone(c, 2), c)}/zones",
            "json": {
                "grid_codes": ["0201010001"],
                "start_date": "2026-05-04",
                "end_date": "2026-05-10",
            },
        },
        hidden_from=frozenset({"coordinator"}),
    ),
    ("DELETE", "/api/v1/patrol-zones/{zone_id}"): Rule(
        {"admin"},
        lambda c: {"url": f"/api/v1/patrol-zones/{_zone(c, 2)}"},
        hidden_from=frozenset({"coordinator"}),
    ),
    ("POST", "/api/v1/patrol-zones/{zone_id}/notify-leader"): Rule(
        {"admin"},
        lambda c: {"url": f"/api/v1/patrol-zones/{_zone(c, 2)}/notify-leader"},
        hidden_from=frozenset({"coordinator"}),
    ),
    ("POST", "/api/v1/key-sites"): Rule(
        {"admin"},
        lambda c: {
            "json": {
                "name": "邻区路",
                "kind": "section",
                "watcher_id": _user(c, "patrol2"),
                "grid_code": "0201010001",
            }
        },
    ),
}
# their own team given another district's cells: refused
OWN_TEAM_OTHER_CELLS: dict[tuple[str, str], Rule] = {
    ("POST", "/api/v1/patrol-teams/{team_id}/zones"): Rule(
        {"admin"},
        lambda c: {
            "url": f"/api/v1/patrol-teams/{_team_of(_zone(c), c)}/zones",
            "json": {
                "grid_codes": ["0101010001", "0201010001"],
                "start_date": "2026-05-04",
                "end_date": "2026-05-10",
            },
        },
    ),
}


def _team_of(zone_id: int, c: Ctx) -> int:
    from gardencity.patrols.models import PatrolZone

    with c.env.app.state.db.session() as session:
        zone = session.get(PatrolZone, zone_id)
        assert zone is not None
        return int(zone.team_id)


_SITES: dict[int, int] = {}
_CODES = itertools.count(1)


def _site_body(c: Ctx) -> dict[str, Any]:
    lon, lat = c.env.lonlat(501_000, 3_801_000)
    return {
        "code": f"MATRIX-{next(_CODES)}",  # every request a code of its own
        "name": "矩阵公园",
        "site_type": "park",
        "unit_id": c.env.unit("d1park"),
        "lon": lon,
        "lat": lat,
    }


def _maintained_site(c: Ctx) -> int:
    """A park of the first district's park office, made once per test."""
    if id(c) not in _SITES:
        response = c.env.client.post(
            "/api/v1/maintenance/sites", json=_site_body(c), headers=c.env.headers("admin")
        )
        assert response.status_code == 201, response.text
        _SITES[id(c)] = response.json()["id"]
    return _SITES[id(c)]


def _inspection(c: Ctx) -> dict[str, Any]:
    from gardencity.maintenance.checklists import load_checklists

    items = [{"code": i.code, "result": "pass"} for i in load_checklists().site_types["park"].items]
    return {
        "url": f"/api/v1/maintenance/sites/{_maintained_site(c)}/inspections",
        "data": {"inspection": json.dumps({"items": items})},
    }


def _import(c: Ctx) -> dict[str, Any]:
    body = _site_body(c)
    geometry = {"type": "Point", "coordinates": [body.pop("lon"), body.pop("lat")]}
    body["unit_code"] = "d1park"
    del body["unit_id"]
    feature = {"type": "Feature", "geometry": geometry, "properties": body}
    return {"json": {"type": "FeatureCollection", "features": [feature]}}


NOT_OFFICER = STAFF - {"officer"}  # a street's officer does not see the district's summary
MAINTENANCE = {
    ("GET", "/api/v1/maintenance/checklists"): Rule(STAFF, lambda c: {}),
    ("GET", "/api/v1/maintenance/sites"): Rule(STAFF, lambda c: {}),
    ("POST", "/api/v1/maintenance/sites"): Rule({"admin"}, lambda c: {"json": _site_body(c)}),
    ("POST", "/api/v1/maintenance/sites/import"): Rule({"admin"}, _import),
    ("POST", "/api/v1/maintenance/sites/{site_id}/inspections"): Rule(
        {"admin", "coordinator", "inspector"}, _inspection
    ),
    ("GET", "/api/v1/maintenance/scores"): Rule(STAFF, lambda c: {}),
    ("GET", "/api/v1/maintenance/worst-sites"): Rule(STAFF, lambda c: {}),
    ("GET", "/api/v1/maintenance/weekly"): Rule(
        NOT_OFFICER, lambda c: {"params": {"district_id": c.env.unit("d1")}}
    ),
    ("GET", "/api/v1/maintenance/weekly.xlsx"): Rule(
        NOT_OFFICER, lambda c: {"params": {"district_id": c.env.unit("d1")}}
    ),
}
