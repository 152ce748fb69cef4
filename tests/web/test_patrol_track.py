"""A patrol on a phone in real Chromium (issue 18): started on the patrol page, the GPS moved
along a road of the demo city, a case filed on the way, the network cut for part of the track
and restored; the server then has every point once, the case belongs to the patrol, and the
grid coverage (API and the cockpit's map) shows the cells the track covered."""

from __future__ import annotations

import re
import uuid
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from playwright.sync_api import expect

from gardencity.io.workspace import Workspace
from gardencity.patrols.config import PatrolConfig
from gardencity.patrols.coverage import covered_share
from tests.web.conftest import PHONE, LiveServer, jpeg, login, patrol_on_phone

pytestmark = pytest.mark.slow
STEP_M, POINTS, ACCURACY = 60.0, 21, 12.0
CUT = range(9, 15)  # the points walked without signal


def _road(server: LiveServer) -> list[tuple[float, float]]:
    """1 200 m along the longest named road of district 1, a position every 60 m (WGS 84)."""
    workspace = Workspace.open(server.workspace)
    roads, districts = workspace.load_layer("roads"), workspace.load_layer("districts")
    district = districts.geometry.iloc[0].buffer(-30)
    named = roads[roads["name"].notna() & roads.intersects(district)]
    lines = named.groupby("name").geometry.apply(lambda g: shapely.line_merge(g.union_all()))
    inside = lines.apply(lambda g: shapely.intersection(g, district))
    parts = [p for g in inside for p in shapely.get_parts(g) if p.geom_type == "LineString"]
    road = max(parts, key=lambda p: p.length)
    assert road.length > STEP_M * (POINTS - 1), road.length
    points = [road.interpolate(STEP_M * i) for i in range(POINTS)]
    lonlat = gpd.GeoSeries(points, crs=roads.crs).to_crs(4326)
    return [(p.x, p.y) for p in lonlat]


def _patrolled_cells(server: LiveServer, road: list[tuple[float, float]]) -> set[str]:
    """The cells a walk along ``road`` covers by the rule (the measure is tested exactly in
    tests/patrols/test_coverage.py)."""
    grid = server.api("GET", "/api/v1/patrols/coverage.geojson", "admin")
    cells = gpd.GeoDataFrame.from_features(grid["features"], crs=4326).set_index("code")
    walked = pd.DataFrame(
        {
            "track": 1,
            "seq": range(POINTS),
            "at": pd.Timestamp.now(tz="UTC") + pd.to_timedelta(range(POINTS), unit="s"),
            "lon": [p[0] for p in road],
            "lat": [p[1] for p in road],
            "accuracy": ACCURACY,
        }
    )
    config = PatrolConfig()
    share = covered_share(walked, cells.geometry, sight_m=config.sight_m)
    return set(share.index[share >= config.threshold])


def _zone(server: LiveServer, expected: set[str]) -> dict[str, Any]:
    """District 1's team (its coordinator leads, its patrol is a member) and a zone of this
    week: a cell on the road, and a cell of the district far from it."""
    users = {u["username"]: u["id"] for u in server.api("GET", "/api/v1/users", "admin")}
    team = server.api(
        "POST",
        "/api/v1/patrol-teams",
        "admin",
        json={
            "name": "鼓楼区巡查一组",
            "leader_id": users["coord1"],
            "member_ids": [users["patrol1"]],
        },
    )
    today = pd.Timestamp.now(tz="Asia/Shanghai").date()
    walked = sorted(expected)[0]
    far = sorted(c for c in _district_cells(server) if c not in expected)[0]
    return dict(
        server.api(
            "POST",
            f"/api/v1/patrol-teams/{team['id']}/zones",
            "admin",
            json={
                "name": "彭城路片",
                "grid_codes": [walked, far],
                "start_date": str(today),
                "end_date": str(today + pd.Timedelta(days=6)),
            },
        )
    )


def _district_cells(server: LiveServer) -> list[str]:
    grid = server.api("GET", "/api/v1/patrols/coverage.geojson", "admin")
    return [
        f["properties"]["code"]
        for f in grid["features"]
        if f["properties"]["code"].startswith("01")
    ]


def _move(page: Any, lon: float, lat: float, n: int) -> None:
    page.context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": ACCURACY})
    page.wait_for_function(
        f"() => document.getElementById('track').dataset.points === '{n}'", timeout=15_000
    )


def test_a_patrol_track_with_a_case_and_no_signal_for_a_while(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    road = _road(live_server)
    token = f"track-{uuid.uuid4().hex[:8]}"
    expected = _patrolled_cells(live_server, road)
    zone = _zone(live_server, expected)
    page = patrol_on_phone(browser, live_server, *road[0])
    page.goto("/patrol")
    page.wait_for_function("() => document.querySelector('#p-lon').value !== ''")
    assert re.fullmatch(r"已定位 ±\d+ 米", page.locator("#p-gps-status").inner_text())
    assert page.locator("#track-state").inner_text() == "未在巡查"
    page.click("#track-start")
    page.wait_for_function("() => document.getElementById('track').dataset.state === 'active'")
    _move(page, *road[0], 1)  # the first position is kept at once
    for i in range(1, POINTS):
        if i == 5:  # a problem on the way: filed during the patrol
            # the photo's button and the file chosen in the page's words, not the browser's
            picker = page.locator("#p-photo + .file-pick")
            expect(picker).to_have_text("拍照或选择照片未选择照片")
            page.set_input_files(
                "#p-photo",
                {"name": "IMG.jpg", "mimeType": "image/jpeg", "buffer": jpeg((90, 60, 20))},
            )
            expect(picker.locator(".file-name")).to_have_text("IMG.jpg")
            page.select_option("#p-category", "bare_soil")
            page.fill("#p-description", f"{token} 裸土")
            page.click("#patrol-form button[type=submit]")
            page.wait_for_selector("#filed-reference")
            expect(picker.locator(".file-name")).to_have_text("未选择照片")  # the form cleared
        if i == CUT.start:
            page.context.set_offline(True)
        if i == CUT.stop:
            waiting = int(page.locator("#track").get_attribute("data-waiting") or 0)
            assert waiting >= len(CUT)  # kept on the phone
            assert "待发送" in page.locator("#track-figures").inner_text()
            shot(page, "patrol-track-offline-phone-zh")
            page.context.set_offline(False)  # the online event sends them
        _move(page, *road[i], i + 1)
    page.wait_for_function("() => document.getElementById('track').dataset.waiting === '0'")
    # stopped without signal: the page says that the stop itself has not reached the server
    page.context.set_offline(True)
    page.click("#track-stop")
    page.wait_for_function("() => document.getElementById('track').dataset.stopWaiting === '1'")
    expect(page.locator("#track-figures")).to_have_text(
        "巡查已结束：共 21 个轨迹点，0 个待发送；结束信息尚未发送，恢复网络后自动发送"
    )
    assert page.locator("#track-state").inner_text() == "未在巡查"
    shot(page, "patrol-stop-offline-phone-zh")
    # a page opened again meanwhile says so too
    page.reload()
    expect(page.locator("#track-figures")).to_contain_text("结束信息尚未发送")
    # the network returns: the stop is sent, and the page says everything was
    with page.expect_response(lambda r: r.url.endswith("/stop") and r.request.method == "POST"):
        page.context.set_offline(False)
    expect(page.locator("#track-figures")).to_have_text("巡查已结束：共 21 个轨迹点，已全部发送")
    assert page.locator("#track").get_attribute("data-stop-waiting") == "0"
    assert page.errors == []
    page.context.close()

    # the server: every point once, in order, the case in the patrol
    tracks = live_server.api("GET", "/api/v1/patrols/tracks.geojson", "admin")["features"]
    mine = [f for f in tracks if f["properties"]["user_name"] == "鼓楼区巡查员"]
    feature = mine[-1]
    patrol = live_server.api("GET", f"/api/v1/patrols/{feature['properties']['uuid']}", "admin")
    assert patrol["points"] == POINTS and patrol["ended_at"] is not None
    stored = [c for point in feature["geometry"]["coordinates"] for c in point]
    assert stored == pytest.approx([c for point in road for c in point], abs=1e-7)  # in order
    assert patrol["length_m"] == pytest.approx(STEP_M * (POINTS - 1), rel=0.01)
    (case,) = live_server.api("GET", f"/api/v1/cases?q={token}", "admin")["items"]
    assert patrol["case_ids"] == [case["id"]]

    # the grid's coverage: the cells the walk covered by the 5 % rule are patrolled today
    grid = live_server.api("GET", "/api/v1/patrols/coverage.geojson", "admin")
    states = {f["properties"]["code"]: f["properties"]["state"] for f in grid["features"]}
    assert {code for code, state in states.items() if state == "today"} == expected

    # the cockpit's map shows the same cells and the track
    cockpit = login(browser, live_server, "admin", viewport={"width": 1280, "height": 900})
    cockpit.goto("/cockpit#patrol-gaps")
    cockpit.wait_for_function("() => document.getElementById('patrol-gaps').dataset.ready === '1'")
    assert cockpit.locator("#patrol-map path.state-today").count() == len(expected)
    assert cockpit.locator("#patrol-map path.patrol-track").count() >= 1
    legend = cockpit.locator("#patrol-legend li[data-state=today]").inner_text()
    assert legend == f"今日已巡查：{len(expected)}"
    # the zone's other cell was not patrolled: the leader is reminded from the cockpit
    far_cell = zone["grid_codes"][1] if zone["grid_codes"][0] in expected else zone["grid_codes"][0]
    row = cockpit.locator(f"#patrol-gap-table tr[data-zone='{zone['id']}']")
    assert "1/2 个" in row.inner_text() and far_cell in row.inner_text()
    cockpit.locator("#patrol-gaps").scroll_into_view_if_needed()
    shot(cockpit, "patrol-coverage-cockpit-zh")
    button = row.locator("button")
    button.click()
    expect(button).to_have_text("已通知鼓楼区协调员")

    # the case page says which patrol the case was filed in, and links to its track
    cockpit.set_viewport_size(PHONE)
    cockpit.goto(f"/cases/{case['id']}")
    expect(cockpit.locator("#case-patrol")).to_contain_text("巡查开始时间")
    filed_in = cockpit.locator("#case-patrol").inner_text()
    assert "所属巡查" in filed_in and "鼓楼区巡查员" in filed_in
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", filed_in), filed_in
    shot(cockpit, "case-patrol-phone-zh")
    cockpit.goto(f"/cases/{case['id']}?lang=en")
    expect(cockpit.locator("#case-patrol")).to_contain_text("Filed during a patrol")
    filed_in = cockpit.locator("#case-patrol").inner_text()
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}", filed_in), filed_in
    assert "Patrol team" in filed_in and "Patroller" in filed_in  # the names are data
    assert not any(word in filed_in for word in ("所属巡查", "巡查开始", "查看", "年"))
    shot(cockpit, "case-patrol-phone-en")
    cockpit.click("#patrol-track-link")
    expect(cockpit.locator("#patrol-map")).to_have_attribute("data-chosen", patrol["uuid"])
    assert cockpit.locator("#patrol-map path.is-chosen").count() == 1
    assert cockpit.errors == []
    cockpit.context.close()
    inbox = live_server.api("GET", "/api/v1/inbox", "coord1")["items"]
    assert any(i["event"] == "patrol_gap" and far_cell in i["summary"] for i in inbox), inbox[:2]


def test_the_office_keeps_teams_zones_and_key_sites_on_a_page_in_english(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    cell = _district_cells(live_server)[-1]
    page = login(browser, live_server, "admin", viewport={"width": 1280, "height": 900})
    page.goto("/patrol-teams?lang=en")
    page.wait_for_function("() => document.querySelector('main').dataset.ready === '1'")
    page.fill("#tm-name", "Gulou team two")
    page.select_option("#tm-leader", label="鼓楼区协调员")
    page.select_option("#tm-members", label=["鼓楼区巡查员"])
    page.click("#team-form button[type=submit]")
    row = page.locator("#team-table tr", has_text="Gulou team two")
    expect(row).to_contain_text("鼓楼区巡查员")
    page.select_option("#zn-team", label="Gulou team two")
    page.fill("#zn-cells", f"{cell}, 9999999999")  # one unknown code: refused, said how
    page.click("#zone-form button[type=submit]")
    expect(page.locator("#zone-error")).to_contain_text("9999999999")
    expect(page.locator("#zone-error")).to_contain_text("use codes from the list of grid cells")
    page.fill("#zn-cells", cell)
    page.click("#zone-form button[type=submit]")
    expect(row).to_contain_text(cell)
    page.fill("#ks-name", "东湖公园南门")
    page.select_option("#ks-kind", "unit")
    page.fill("#ks-grid", cell)
    page.select_option("#ks-watcher", label="鼓楼区巡查员")
    page.click("#site-form button[type=submit]")
    site = page.locator("#site-table tr", has_text="东湖公园南门")
    expect(site).to_contain_text("Key unit")
    shot(page, "patrol-teams-en")
    assert page.errors == []
    page.context.close()

    # the patrol page's panel in English, on a phone
    phone = login(browser, live_server, "patrol1", viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto("/patrol?lang=en")
    expect(phone.locator("#track-state")).to_have_text("Not patrolling")
    phone.click("#track-start")
    expect(phone.locator("#track-state")).to_have_text("Patrolling")
    expect(phone.locator("#track-note")).to_contain_text("a point every 10 s or 20 m")
    picker = phone.locator("#p-photo + .file-pick")
    expect(picker).to_have_text("Take or choose a photoNo photo chosen")
    expect(phone.locator("#track-figures")).to_contain_text("0 track points recorded")
    # no permission to locate: said, not silently an empty track
    expect(phone.locator("#track-figures")).to_contain_text("No location: the track is not")
    shot(phone, "patrol-track-phone-en")
    phone.click("#track-stop")
    expect(phone.locator("#track-figures")).to_have_text("Patrol stopped: 0 track points, all sent")
    # a count of one takes the singular, in the pages' own filling of messages
    one = phone.evaluate("() => [tf('track_done_sent', {n: 1}), tf('files_chosen', {n: 1})]")
    assert one == ["Patrol stopped: 1 track point, all sent", "1 file chosen"]
    assert phone.evaluate("() => tf('track_done', {n: 2, waiting: 1})") == (
        "Patrol stopped: 2 track points, 1 waiting to be sent"
    )
    assert phone.errors == []
    phone.context.close()
