"""Role × endpoint: every route of the API, called by every role (and anonymously); the
allowed ones are served, the others refused with 401 (anonymous), 403 (role) or 404 (a case
outside the user's scope, so that its existence does not leak)."""

from __future__ import annotations

import io
import itertools
from typing import Any

import geopandas as gpd
import pytest
import shapely

from gardencity.jobs.runs import start_run
from tests._campaign import CampaignEnv
from tests.api.permission_rules import ALL, PUBLIC, ROLES, STAFF, Ctx, Rule
from tests.api.permission_rules_fieldwork import (
    MAINTENANCE,
    OTHER_DISTRICT,
    OWN_TEAM_OTHER_CELLS,
    PATROLS,
)
from tests.campaign.test_workflow import JPEG


def _grid_gpkg() -> bytes:
    cells = gpd.GeoDataFrame(
        {"code": ["990101010001"]}, geometry=[shapely.box(0, 0, 10, 10)], crs=4548
    )
    buffer = io.BytesIO()
    cells.to_file(buffer, driver="GPKG", layer="grids")
    return buffer.getvalue()


def _case(c: Ctx) -> str:
    return f"/api/v1/cases/{c.case_id}"


HIDDEN = frozenset({"resident"})
TABLE: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/health"): Rule(PUBLIC, lambda c: {}),
    ("GET", "/api/v1/vocabulary"): Rule(PUBLIC, lambda c: {}),
    ("POST", "/api/v1/auth/login"): Rule(
        PUBLIC, lambda c: {"data": {"username": "admin", "password": "test-pass-1"}}
    ),
    ("POST", "/api/v1/auth/logout"): Rule(ALL, lambda c: {}),
    ("POST", "/api/v1/auth/tokens"): Rule(ALL, lambda c: {}),
    ("GET", "/api/v1/auth/tokens"): Rule(ALL, lambda c: {}),
    # an administrator's API token: its owner revokes it, nobody else sees it
    ("DELETE", "/api/v1/auth/tokens/{token_id}"): Rule(
        {"admin"},
        lambda c: {"url": f"/api/v1/auth/tokens/{c.admin_token_id}"},
        frozenset(ALL - {"admin"}),
    ),
    # a weak new password: refused (422) after the permission check, and nothing changes
    ("POST", "/api/v1/auth/password"): Rule(
        ALL, lambda c: {"json": {"current_password": "test-pass-1", "new_password": "12345678"}}
    ),
    ("GET", "/api/v1/auth/me"): Rule(ALL, lambda c: {}),
    ("GET", "/api/v1/cases"): Rule(ALL, lambda c: {}),
    ("GET", "/api/v1/cases.geojson"): Rule(ALL, lambda c: {}),
    ("POST", "/api/v1/cases"): Rule(
        ALL,
        lambda c: {
            "json": {
                "category": "weeds",
                "lon": c.env.lonlat(500_500, 3_800_500)[0],
                "lat": c.env.lonlat(500_500, 3_800_500)[1],
            }
        },
    ),
    ("GET", "/api/v1/cases/{case_id}"): Rule(STAFF, lambda c: {"url": _case(c)}, HIDDEN),
    ("POST", "/api/v1/cases/{case_id}/actions/{action}"): Rule(
        STAFF,
        lambda c: {"url": _case(c) + "/actions/comment", "json": {"version": 1, "reason": "矩阵"}},
        HIDDEN,
    ),
    ("POST", "/api/v1/cases/{case_id}/attachments"): Rule(
        STAFF - {"leader"},
        lambda c: {
            "url": _case(c) + "/attachments",
            "files": {"file": ("a.jpg", JPEG, "image/jpeg")},
        },
        HIDDEN,
    ),
    ("GET", "/api/v1/attachments/{attachment_id}"): Rule(
        STAFF, lambda c: {"url": f"/api/v1/attachments/{c.attachment_id}"}, HIDDEN
    ),
    ("POST", "/api/v1/cases/escalate-overdue"): Rule({"admin"}, lambda c: {}),
    ("GET", "/api/v1/units"): Rule(STAFF, lambda c: {}),
    ("POST", "/api/v1/units"): Rule(
        {"admin"}, lambda c: {"json": {"code": "newunit", "name": "新单位", "kind": "department"}}
    ),
    ("PATCH", "/api/v1/units/{unit_id}"): Rule(
        {"admin"},
        lambda c: {
            "url": f"/api/v1/units/{c.env.unit('d1park')}",
            "json": {"name_en": "Gulou Central Park Office"},
        },
    ),
    ("GET", "/api/v1/users"): Rule({"admin", "coordinator"}, lambda c: {}),
    ("POST", "/api/v1/users"): Rule(
        {"admin"},
        lambda c: {
            "json": {
                "username": "newbie",
                "display_name": "新人",
                "password": "gold-canal-ferry-9",
                "role": "resident",
            }
        },
    ),
    ("PATCH", "/api/v1/users/{user_id}"): Rule(
        {"admin"}, lambda c: {"url": "/api/v1/users/4", "json": {"display_name": "市民甲"}}
    ),
    ("GET", "/api/v1/leaders"): Rule(STAFF, lambda c: {}),
    ("POST", "/api/v1/leaders"): Rule(
        {"admin"}, lambda c: {"json": {"user_id": 3, "unit_id": c.env.unit("d2")}}
    ),
    ("GET", "/api/v1/grids.geojson"): Rule(STAFF, lambda c: {}),
    ("POST", "/api/v1/grids/import"): Rule(
        {"admin"},
        lambda c: {"files": {"file": ("g.gpkg", _grid_gpkg(), "application/geopackage+sqlite3")}},
    ),
    ("POST", "/api/v1/api-keys"): Rule({"admin"}, lambda c: {"json": {"name": "hotline"}}),
    ("GET", "/api/v1/api-keys"): Rule({"admin"}, lambda c: {}),
    ("DELETE", "/api/v1/api-keys/{key_id}"): Rule(
        {"admin"}, lambda c: {"url": f"/api/v1/api-keys/{c.api_key_id}"}
    ),
    ("GET", "/api/v1/audit"): Rule({"admin"}, lambda c: {}),
    ("POST", "/api/v1/rankings/compute"): Rule({"admin"}, lambda c: {}),
    ("GET", "/api/v1/rankings"): Rule(STAFF, lambda c: {}),
    ("POST", "/api/v1/spot-checks"): Rule(
        {"admin", "inspector"}, lambda c: {"json": {"unit_id": c.env.unit("d1s1"), "score": 80}}
    ),
    ("GET", "/api/v1/exposure"): Rule(STAFF, lambda c: {}),
    ("GET", "/api/v1/targets"): Rule(STAFF, lambda c: {}),
    ("POST", "/api/v1/targets"): Rule(
        {"admin"},
        lambda c: {
            "json": {
                "unit_id": c.env.unit("d2"),
                "action_code": "a",
                "metric": "garden_units",
                "target_value": 3,
                "year": 2026,
            }
        },
    ),
    ("POST", "/api/v1/targets/{target_id}/reports"): Rule(
        {"admin", "coordinator"},
        lambda c: {"url": f"/api/v1/targets/{c.target_id}/reports", "json": {"value": 1}},
    ),
    ("POST", "/api/v1/evidence"): Rule(
        {"admin", "coordinator"}, lambda c: {"files": {"file": ("e.jpg", JPEG, "image/jpeg")}}
    ),
    ("GET", "/api/v1/exports/cases.{fmt}"): Rule(
        {"admin", "coordinator", "leader"}, lambda c: {"url": "/api/v1/exports/cases.csv"}
    ),
    ("GET", "/api/v1/exports/rankings.{fmt}"): Rule(
        {"admin", "coordinator", "leader"}, lambda c: {"url": "/api/v1/exports/rankings.xlsx"}
    ),
}
OPEN311_AND_PUBLIC: dict[tuple[str, str], Rule] = {
    ("GET", "/open311/v2/services.{fmt}"): Rule(
        PUBLIC, lambda c: {"url": "/open311/v2/services.json"}
    ),
    ("GET", "/open311/v2/services/{service_code}.{fmt}"): Rule(
        PUBLIC, lambda c: {"url": "/open311/v2/services/weeds.xml"}
    ),
    ("POST", "/open311/v2/requests.{fmt}"): Rule(PUBLIC, lambda c: _open311_post(c)),
    ("GET", "/open311/v2/requests.{fmt}"): Rule(
        PUBLIC, lambda c: {"url": "/open311/v2/requests.json"}
    ),
    ("GET", "/open311/v2/requests/{service_request_id}.{fmt}"): Rule(
        PUBLIC, lambda c: {"url": f"/open311/v2/requests/{c.reference}.json"}
    ),
    ("GET", "/open311/v2/tokens/{token}.{fmt}"): Rule(
        PUBLIC, lambda c: {"url": f"/open311/v2/tokens/{c.token}.json"}
    ),
    ("GET", "/open311/v2/media/{public_id}"): Rule(
        PUBLIC, lambda c: {"url": f"/open311/v2/media/{c.public_id}"}
    ),
    ("POST", "/api/v1/public/cases"): Rule(
        PUBLIC,
        lambda c: {
            "data": {
                "category": "weeds",
                "lon": c.env.lonlat(500_400, 3_800_400)[0],
                "lat": c.env.lonlat(500_400, 3_800_400)[1],
            }
        },
    ),
    ("GET", "/api/v1/public/cases/{reference}"): Rule(
        PUBLIC, lambda c: {"url": f"/api/v1/public/cases/{c.reference}"}
    ),
    ("GET", "/api/v1/public/cases.geojson"): Rule(PUBLIC, lambda c: {}),
}
# assessment runs and the map layers: this server has no workspace, so the allowed roles get
# a 409 that says how to configure one (served), the others 401/403
RUNS_AND_DASHBOARD: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/runs"): Rule(STAFF, lambda c: {}),
    ("POST", "/api/v1/runs"): Rule({"admin", "coordinator"}, lambda c: {"json": {}}),
    ("GET", "/api/v1/runs/{run_id}"): Rule(STAFF, lambda c: {"url": f"/api/v1/runs/{c.run_id}"}),
    ("GET", "/api/v1/runs/{run_id}/suggestions"): Rule(
        STAFF, lambda c: {"url": f"/api/v1/runs/{c.run_id}/suggestions"}
    ),
    ("GET", "/api/v1/runs/{run_id}/files/{name}"): Rule(
        STAFF, lambda c: {"url": f"/api/v1/runs/{c.run_id}/files/scorecard.json"}
    ),
    ("GET", "/api/v1/runs/{run_id}/layers/{name}.geojson"): Rule(
        STAFF, lambda c: {"url": f"/api/v1/runs/{c.run_id}/layers/uncovered_residential.geojson"}
    ),
    ("GET", "/api/v1/runs/{run_id}/tiles/{name}.json"): Rule(
        STAFF, lambda c: {"url": f"/api/v1/runs/{c.run_id}/tiles/residential.json"}
    ),
    ("GET", "/api/v1/runs/{run_id}/tiles/{name}/{z}/{x}/{y}.pbf"): Rule(
        STAFF, lambda c: {"url": f"/api/v1/runs/{c.run_id}/tiles/residential/12/3400/1600.pbf"}
    ),
    ("GET", "/api/v1/runs/{run_id}/tiles/{name}/features"): Rule(
        STAFF, lambda c: {"url": f"/api/v1/runs/{c.run_id}/tiles/residential/features?at=117,34"}
    ),
    ("GET", "/api/v1/runs/{run_id}/tiles/{name}/features/{feature_id}"): Rule(
        STAFF, lambda c: {"url": f"/api/v1/runs/{c.run_id}/tiles/residential/features/1"}
    ),
    ("GET", "/api/v1/map/layers/{name}.geojson"): Rule(
        STAFF, lambda c: {"url": "/api/v1/map/layers/districts.geojson"}
    ),
    ("GET", "/api/v1/map/layers/canopy.png"): Rule(STAFF, lambda c: {}),
    ("GET", "/api/v1/map/layers/canopy.json"): Rule(STAFF, lambda c: {}),
    ("GET", "/api/v1/stats/cases"): Rule(ALL, lambda c: {}),
}


def _ledger_patch(c: Ctx) -> dict[str, Any]:
    from gardencity.inspection.models import LedgerDocument

    with c.env.app.state.db.session() as session:
        doc = LedgerDocument(
            item_id="green_coverage_ratio",
            title="遥感解译",
            kind="map",
            status="missing",
            updated_at=c.env.clock(),
        )
        session.add(doc)
        session.flush()
        doc_id = doc.id
    return {"url": f"/api/v1/ledger/{doc_id}", "json": {"status": "submitted"}}


SURVEY_ANSWERS = {
    "overall": 4,
    "park_nearby": True,
    "park_quality": 4,
    "street_shade": 3,
    "visit_frequency": "每周",
}
INSPECTION: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/public/survey"): Rule(PUBLIC, lambda c: {}),
    ("POST", "/api/v1/public/survey/responses"): Rule(
        PUBLIC, lambda c: {"json": {"stratum": "d1", "answers": SURVEY_ANSWERS}}
    ),
    ("GET", "/api/v1/survey/results"): Rule({"admin", "coordinator", "leader"}, lambda c: {}),
    ("GET", "/api/v1/survey/allocation"): Rule({"admin", "coordinator", "leader"}, lambda c: {}),
    ("GET", "/api/v1/ledger"): Rule(STAFF, lambda c: {}),
    ("POST", "/api/v1/ledger"): Rule(
        {"admin", "coordinator"},
        lambda c: {"json": {"item_id": "green_coverage_ratio", "title": "统计表"}},
    ),
    ("PATCH", "/api/v1/ledger/{doc_id}"): Rule(
        {"admin", "coordinator"}, lambda c: _ledger_patch(c)
    ),
    ("GET", "/api/v1/ledger/completeness"): Rule(STAFF, lambda c: {}),
    ("POST", "/api/v1/ledger/missing-cases"): Rule({"admin", "coordinator"}, lambda c: {}),
    ("GET", "/api/v1/ledger/index.xlsx"): Rule(STAFF, lambda c: {}),
    ("GET", "/api/v1/spot-checks/hit-chance"): Rule(
        STAFF,
        lambda c: {"url": "/api/v1/spot-checks/hit-chance?population=20&problems=2&sample=5"},
    ),
}


_CITIES = itertools.count(1)


def _peer_figure(c: Ctx) -> dict[str, Any]:
    from gardencity.inspection.models import PeerFigure

    with c.env.app.state.db.session() as session:
        row = PeerFigure(
            city=f"对标市{next(_CITIES)}",  # a new one per call: (city, indicator, year) is unique
            year=2024,
            indicator_id="green_coverage_ratio",
            value=40.0,
            entered_at=c.env.clock(),
        )
        session.add(row)
        session.flush()
        figure_id = row.id
    return {"url": f"/api/v1/benchmark/figures/{figure_id}"}


LEADERSHIP = {"admin", "coordinator", "leader"}
BENCHMARK: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/benchmark/figures"): Rule(LEADERSHIP, lambda c: {}),
    ("POST", "/api/v1/benchmark/figures"): Rule(
        {"admin"},
        lambda c: {
            "json": {
                "city": "佛山市",
                "year": 2024,
                "indicator_id": "green_coverage_ratio",
                "value": 44.1,
            }
        },
    ),
    ("POST", "/api/v1/benchmark/figures/import"): Rule(
        {"admin"},
        lambda c: {
            "files": {
                "file": (
                    "peers.csv",
                    "city,year,green_coverage_ratio\n珠海市,2024,45.2\n".encode(),
                    "text/csv",
                )
            }
        },
    ),
    ("DELETE", "/api/v1/benchmark/figures/{figure_id}"): Rule({"admin"}, _peer_figure),
    # this server has no workspace: the allowed roles get a 409 that says how to set one up
    ("GET", "/api/v1/benchmark/ranking"): Rule(LEADERSHIP, lambda c: {}),
}


def _channel(c: Ctx) -> int:
    """A new channel per call (DELETE removes one); its robot is unreachable on purpose."""
    from gardencity.notifications.models import NotificationChannel

    with c.env.app.state.db.session() as session:
        row = NotificationChannel(
            kind="wecom",
            name="矩阵",
            group_code="matrix",
            settings={"webhook_url": "http://127.0.0.1:9/wecom?key=k"},
            created_at=c.env.clock(),
            updated_at=c.env.clock(),
        )
        session.add(row)
        session.flush()
        return int(row.id)


def _failed_delivery(c: Ctx) -> dict[str, Any]:
    from gardencity.notifications.models import Notification

    with c.env.app.state.db.session() as session:
        row = Notification(
            event="dispatched",
            channel="wecom",
            channel_id=_channel(c),
            audience="unit",
            payload={},
            status="failed",
            attempts=8,
            next_attempt_at=c.env.clock(),
            created_at=c.env.clock(),
        )
        session.add(row)
        session.flush()
        return {"url": f"/api/v1/notifications/deliveries/{row.id}/retry"}


NOTIFICATIONS: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/inbox"): Rule(ALL, lambda c: {}),
    ("GET", "/api/v1/inbox/count"): Rule(ALL, lambda c: {}),
    ("GET", "/api/v1/inbox/work"): Rule(ALL, lambda c: {}),
    ("POST", "/api/v1/inbox/read"): Rule(ALL, lambda c: {"json": {}}),
    ("GET", "/api/v1/notifications/channels"): Rule({"admin"}, lambda c: {}),
    ("POST", "/api/v1/notifications/channels"): Rule(
        {"admin"},
        lambda c: {
            "json": {
                "kind": "webhook",
                "name": "数字城管",
                "group_code": "city_systems",
                "settings": {"url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef"},
            }
        },
    ),
    ("PATCH", "/api/v1/notifications/channels/{channel_id}"): Rule(
        {"admin"},
        lambda c: {
            "url": f"/api/v1/notifications/channels/{_channel(c)}",
            "json": {"is_active": False},
        },
    ),
    ("DELETE", "/api/v1/notifications/channels/{channel_id}"): Rule(
        {"admin"}, lambda c: {"url": f"/api/v1/notifications/channels/{_channel(c)}"}
    ),
    ("POST", "/api/v1/notifications/channels/{channel_id}/test"): Rule(
        {"admin"}, lambda c: {"url": f"/api/v1/notifications/channels/{_channel(c)}/test"}
    ),
    ("GET", "/api/v1/notifications/deliveries"): Rule({"admin"}, lambda c: {}),
    ("POST", "/api/v1/notifications/deliveries/{delivery_id}/retry"): Rule(
        {"admin"}, _failed_delivery
    ),
    ("GET", "/api/v1/notifications/rules"): Rule({"admin"}, lambda c: {}),
    ("POST", "/api/v1/public/notifications/subscribe"): Rule(
        PUBLIC,
        lambda c: {"json": {"reference": c.reference, "token": c.token, "phone": "13900000000"}},
    ),
}


EXTRA_TABLES: list[dict[tuple[str, str], Rule]] = [
    PATROLS,
    MAINTENANCE,
    OPEN311_AND_PUBLIC,
    RUNS_AND_DASHBOARD,
    INSPECTION,
    BENCHMARK,
    NOTIFICATIONS,
]


def _routes(app: Any) -> set[tuple[str, str]]:
    """Every operation the app serves, from its OpenAPI schema."""
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }


def _table() -> dict[tuple[str, str], Rule]:
    merged = dict(TABLE)
    for extra in EXTRA_TABLES:
        merged |= extra
    return merged


def _setup(env: CampaignEnv) -> Ctx:
    case = env.file("patrol1")
    response = env.act("coord1", case, "dispatch", unit_id=env.unit("d1s1"))
    assert response.status_code == 200
    photo = env.client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        files={"file": ("p.jpg", JPEG, "image/jpeg")},
        data={"public": "true"},
        headers=env.headers("patrol1"),
    )
    target = env.client.post(
        "/api/v1/targets",
        json={
            "unit_id": env.unit("d1"),
            "action_code": "pocket_parks",
            "metric": "new_green_area_ha",
            "target_value": 10,
            "year": 2026,
        },
        headers=env.headers("admin"),
    )
    with env.app.state.db.session() as session:
        from gardencity.campaign.models import Case

        row = session.get(Case, case["id"])
        assert row is not None
        reference, secret = row.reference, row.token
        run = start_run(session, user_id=None)
        run_id = run.id
    token = env.client.post("/api/v1/auth/tokens", headers=env.headers("admin"))
    key = env.client.post("/api/v1/api-keys", json={"name": "矩阵"}, headers=env.headers("admin"))
    shown = photo.json()
    return Ctx(
        env,
        case["id"],
        shown["id"],
        target.json()["id"],
        reference,
        secret,
        run_id,
        token.json()["id"],
        key.json()["id"],
        shown["public_id"],
    )


def _open311_post(c: Ctx) -> dict[str, Any]:
    lon, lat = c.env.lonlat(500_400, 3_800_400)
    return {
        "url": "/open311/v2/requests.json",
        "data": {"api_key": c.env.seed.api_key, "service_code": "weeds", "lat": lat, "long": lon},
    }


def test_the_matrix_covers_every_route(campaign: CampaignEnv) -> None:
    routes = _routes(campaign.app)
    table = _table()
    assert routes - set(table) == set(), "add the new routes to the permission matrix"
    assert set(table) - routes == set(), "the matrix lists routes that no longer exist"


def _failures(
    campaign: CampaignEnv, ctx: Ctx, role: str, table: dict[tuple[str, str], Rule]
) -> list[str]:
    failures = []
    for (method, path), rule in sorted(table.items()):
        spec = rule.request(ctx)
        url = spec.pop("url", path)
        if role == "anonymous":
            headers = {}
        elif path == "/api/v1/auth/logout":
            token = campaign.client.post(
                "/api/v1/auth/login", data={"username": ROLES[role], "password": "test-pass-1"}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
        else:
            headers = campaign.headers(ROLES[role])
        campaign.client.cookies.clear()  # the login route sets a session cookie
        response = campaign.client.request(method, url, headers=headers, **spec)
        status = response.status_code
        if rule.allowed == PUBLIC or (role != "anonymous" and role in rule.allowed):
            ok = status < 500 and status not in {401, 403, 404}
            expected = "served"
        elif role == "anonymous":
            ok, expected = status == 401, "401"
        elif role in rule.hidden_from:
            ok, expected = status == 404, "404"
        else:
            ok, expected = status == 403, "403"
        if ok and status >= 400:
            assert response.json()["error"]["code"], response.text  # the one error shape
        if not ok:
            failures.append(
                f"{method} {path}: expected {expected}, got {status} {response.text[:150]}"
            )
    return failures


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_every_route_for_every_role(campaign: CampaignEnv, role: str) -> None:
    failures = _failures(campaign, _setup(campaign), role, _table())
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_a_district_coordinator_keeps_only_their_district(campaign: CampaignEnv, role: str) -> None:
    ctx = _setup(campaign)
    failures = _failures(campaign, ctx, role, OTHER_DISTRICT)
    failures += _failures(campaign, ctx, role, OWN_TEAM_OTHER_CELLS)
    assert not failures, "\n".join(failures)
