"""The web pages in real Chromium against a live server on the S demo city: log-in per role,
the map, the cockpit against scorecard.json, the case workflow from a phone, unit scope,
rankings, the residents' page, languages and accessibility basics."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
import shapely.geometry

from gardencity.vocabulary import vocabulary
from tests._campaign import PASSWORD
from tests.web.conftest import PHONE, LiveServer, jpeg, login, patrol_on_phone
from tests.web.test_map_tiles import click_map_at

pytestmark = pytest.mark.slow

ROLE_HOME = {
    "admin": "/cockpit",
    "coord1": "/cockpit",
    "officer11": "/cases",
    "inspector": "/cockpit",
    "leader": "/brief",
    "resident": "/public",
    "patrol1": "/patrol",  # a district's 巡查员 lands on 巡查上报
}


@pytest.mark.parametrize("username", list(ROLE_HOME))
def test_login_per_role_lands_on_the_role_page(
    browser: Any, live_server: LiveServer, shot: Any, username: str
) -> None:
    page = login(browser, live_server, username)
    assert page.url.endswith(ROLE_HOME[username])
    nav = page.locator("header nav").inner_text()
    if username == "resident":
        assert "驾驶舱" not in nav and "案卷" not in nav
    else:
        assert "一张图" in nav and "案卷" in nav
        assert page.locator(".who").get_attribute("data-role") != "resident"
    shot(page, f"home-{username}")
    assert page.errors == []
    page.context.close()


def test_wrong_password_is_refused_with_a_message(browser: Any, live_server: LiveServer) -> None:
    ctx = browser.new_context(base_url=live_server.url)
    page = ctx.new_page()
    page.goto("/cockpit")
    assert "/login" in page.url  # pages need a log-in
    page.fill("#username", "admin")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator("#login-error").inner_text() == "用户名或密码错误"
    ctx.close()


def test_keyboard_only_login_and_english(browser: Any, live_server: LiveServer) -> None:
    ctx = browser.new_context(base_url=live_server.url)
    page = ctx.new_page()
    page.goto("/login?lang=en")
    assert page.locator("h1").inner_text() == "Log in to the Garden City Platform"
    page.focus("#username")
    page.keyboard.type("leader")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/brief")
    # the language is remembered
    assert "Cockpit" in page.locator("header nav").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"
    ctx.close()


def test_map_shows_uncovered_residential_land(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    page = login(browser, live_server, "admin")
    page.goto("/map")
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    expected = httpx.get(
        f"{live_server.url}/api/v1/runs/{live_server.run_id}/layers/uncovered_residential.geojson",
        headers=live_server.headers("admin"),
    ).json()
    assert len(expected["features"]) > 0
    assert all(f["geometry"]["type"].endswith("Polygon") for f in expected["features"])
    count = page.locator("#count-uncovered_residential")
    assert int(count.get_attribute("data-count")) == len(expected["features"])
    assert page.locator("#layer-uncovered_residential").is_checked()
    for name in ("built_up_area", "districts"):
        assert int(page.locator(f"#count-{name}").get_attribute("data-count")) > 0
    page.goto("/map?lang=en")
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    one = page.locator("#count-built_up_area").inner_text()
    assert "1 feature" in one and "features" not in one, one  # one built-up area, singular
    canopy = page.locator("#layer-canopy").locator("xpath=../..").inner_text()
    assert canopy.splitlines()[1:] == ["Tree", "Shrub", "Grass", "Other"], canopy
    # district names keep the page's sans-serif face in English too (not a serif CJK fallback)
    label = page.locator(".district-label").first
    label_font = label.evaluate("e => getComputedStyle(e).fontFamily")
    assert label_font.startswith('"Noto Sans CJK SC"'), label_font
    page.goto("/map?lang=zh")
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    # click a feature: its details appear, in words: its district by name, its area in 公顷
    biggest = max(expected["features"], key=lambda f: f["properties"]["area_m2"])
    inside = shapely.geometry.shape(biggest["geometry"]).representative_point()
    click_map_at(page, "uncovered_residential", inside.x, inside.y)
    shown = page.locator("#details").inner_text()
    first = biggest["properties"]
    districts = live_server.api("GET", "/api/v1/map/layers/districts.geojson", "admin")
    names = {f["properties"]["district_id"]: f["properties"]["name"] for f in districts["features"]}
    assert "所在城区" in shown and names[first["zone_id"]] in shown and "zone_id" not in shown
    assert f"面积（公顷）\n{first['area_m2'] / 10_000:,.2f}" in shown, shown
    # district names on the map, a metric scale bar
    on_map = page.locator(".district-label").all_inner_texts()
    assert on_map and set(on_map) <= set(names.values())
    assert page.locator(".leaflet-control-scale-line").first.inner_text().endswith(("米", "公里"))
    # the heavy layers are one click away: switching them on loads and draws them
    for name in ("residential", "green_spaces", "uncovered_residential_walking"):
        assert not page.locator(f"#layer-{name}").is_checked()
        page.check(f"#layer-{name}")
        page.wait_for_selector(f"#count-{name}[data-count]")
        assert int(page.locator(f"#count-{name}").get_attribute("data-count")) > 0
    greens = int(page.locator("#count-green_spaces").get_attribute("data-count"))
    assert greens >= 1_000 and f"{greens:,}" in page.locator("#count-green_spaces").inner_text()
    shot(page, "map")
    assert page.errors == []
    page.context.close()


def test_map_draws_the_canopy_raster_with_its_classes(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    page = login(browser, live_server, "admin")
    page.goto("/map")
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    assert not page.locator("#layer-canopy").is_checked()
    legend = page.locator("#layer-canopy").locator("xpath=../..").inner_text()
    assert "乔木" in legend and "灌木" in legend and "草地" in legend
    page.check("#layer-canopy")
    page.wait_for_selector("#count-canopy[data-count]")
    assert "乔木" in page.locator("#count-canopy").inner_text()
    image = page.locator("img.leaflet-image-layer")
    assert image.count() == 1
    page.wait_for_function(
        "() => document.querySelector('img.leaflet-image-layer').naturalWidth > 0"
    )
    meta = live_server.api("GET", "/api/v1/map/layers/canopy.json", "admin")
    assert meta["classes"] == {"tree": 1, "shrub": 2, "grass": 3}
    assert meta["pixels"]["tree"] > 0
    # a click on a pixel of trees names its class
    tree = page.evaluate(
        """() => {
        const layer = gc.mapLoaded.canopy, map = layer._map, img = layer.getElement();
        const c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight;
        const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
        const data = ctx.getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < data.length; i += 4 * 97) {
            if (data[i + 3] && data[i] === 0 && data[i + 1] === 104) {
                const col = (i / 4) % c.width, row = Math.floor(i / 4 / c.width);
                const b = layer.getBounds(), crs = L.CRS.EPSG3857;
                const sw = crs.project(b.getSouthWest()), ne = crs.project(b.getNorthEast());
                const p = L.point(sw.x + (col + 0.5) / c.width * (ne.x - sw.x),
                                  ne.y - (row + 0.5) / c.height * (ne.y - sw.y));
                layer.fire('click', { latlng: crs.unproject(p) });
                return true;
            }
        }
        return false;
    }"""
    )
    assert tree
    assert "乔木" in page.locator("#details").inner_text()
    shot(page, "map-canopy")
    assert page.errors == []
    page.context.close()


def test_cockpit_shows_the_scorecard_values(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    scorecard = json.loads(
        (live_server.workspace / "runs" / str(live_server.run_id) / "scorecard.json").read_text()
    )
    page = login(browser, live_server, "coord1")
    page.goto("/cockpit")
    page.wait_for_load_state("networkidle")
    rows = page.locator("#indicator-table tbody tr")
    assert rows.count() == len(scorecard["indicators"])
    for item in scorecard["indicators"]:
        row = page.locator(f"#indicator-table tr[data-indicator='{item['id']}']")
        shown = row.locator("td.value")
        if item["value"] is None:
            assert shown.get_attribute("data-value") == ""
        else:
            assert float(shown.get_attribute("data-value")) == pytest.approx(item["value"])
            assert f"{item['value']:,.2f}" in shown.inner_text()
        assert row.locator(".badge").inner_text() == vocabulary().label(
            "statuses", item["status"], "zh"
        )
    unverified = [i for i in scorecard["indicators"] if i["status"] == "pass_unverified"]
    if unverified:
        assert "达标（阈值待核实）" in page.locator("#indicator-table").inner_text()
    # the charts and the case statistics rendered
    assert page.locator("#chart-indicators canvas").count() == 1
    page.wait_for_selector("#case-kpis .kpi")
    shot(page, "cockpit")
    assert page.errors == []
    page.context.close()


def _photo_file(tmp_path: Any, name: str, colour: tuple[int, int, int]) -> str:
    path = tmp_path / name
    path.write_bytes(jpeg(colour))
    return str(path)


def _officer_of(server: LiveServer, unit_id: int) -> str:
    code = server.unit_code(unit_id)
    match = re.match(r"d(\d)(s(\d)|park)", code)
    assert match, code
    return f"park{match[1]}" if match[2] == "park" else f"officer{match[1]}{match[3]}"


def test_case_from_patrol_phone_to_closed(
    browser: Any, live_server: LiveServer, shot: Any, tmp_path: Any
) -> None:
    lon, lat = live_server.district_points[0]
    # a patrol files a case with a photo on a phone, GPS from the phone
    page = patrol_on_phone(browser, live_server, lon, lat)
    page.goto("/patrol")
    page.wait_for_function("() => document.querySelector('#p-lon').value !== ''")
    assert float(page.input_value("#p-lat")) == pytest.approx(lat, abs=1e-5)
    page.set_input_files("#p-photo", _photo_file(tmp_path, "before.jpg", (120, 90, 40)))
    page.select_option("#p-category", "dead_or_missing_tree")
    page.fill("#p-description", "行道树枯死一株")
    page.click("#patrol-form button[type=submit]")
    reference = page.locator("#filed-reference").inner_text(timeout=20_000)
    case_href = page.locator("#filed-reference").get_attribute("href")
    shot(page, "patrol-phone")
    page.context.close()
    case_id = int(case_href.rsplit("/", 1)[1])
    case = live_server.api("GET", f"/api/v1/cases/{case_id}", "admin")
    assert case["reference"] == reference and case["source"] == "grid_patrol"
    assert [a["role"] for a in case["attachments"]] == ["before"]

    # the coordinator dispatches it to the routed unit
    page = login(browser, live_server, "coord1")
    page.goto(case_href)
    page.wait_for_selector("#action-buttons button")
    assert set(_actions(page)) == {"dispatch", "discard", "comment"}
    assert page.locator("#photos-before img").count() == 1
    page.click("button[data-action='dispatch']")
    page.wait_for_function("() => document.body.dataset.lastAction === 'dispatch'")
    page.context.close()
    unit_id = live_server.api("GET", f"/api/v1/cases/{case_id}", "admin")["unit_id"]
    officer = _officer_of(live_server, unit_id)

    # the unit accepts and submits its evidence (a photo after the work)
    page = login(browser, live_server, officer)
    page.goto(case_href)
    page.wait_for_selector("#action-buttons button")
    assert "verify" not in _actions(page) and "dispatch" not in _actions(page)
    page.click("button[data-action='accept']")
    page.wait_for_function("() => document.body.dataset.lastAction === 'accept'")
    page.set_input_files("#action-photo", _photo_file(tmp_path, "after.jpg", (40, 140, 60)))
    page.fill("#action-reason", "已补植")
    page.check("#action-public")  # a reply to the reporter, shown publicly
    page.check("#action-photo-public")
    page.click("button[data-action='submit']")
    page.wait_for_function("() => document.body.dataset.lastAction === 'submit'")
    assert page.locator("#photos-after img").count() == 1
    shot(page, "case-submitted")
    page.context.close()

    # the inspector verifies: closed
    page = login(browser, live_server, "inspector")
    page.goto(case_href)
    page.wait_for_selector("#action-buttons button")
    assert {"verify", "send_back"} <= set(_actions(page))
    page.click("button[data-action='verify']")
    page.wait_for_function("() => document.body.dataset.lastAction === 'verify'")
    assert "已结案" in page.locator("#case-title").inner_text() or "closed" in page.locator(
        "#case-title .badge"
    ).get_attribute("class")
    timeline = page.locator("#timeline li")
    assert timeline.count() >= 5  # filed, dispatched, accepted, submitted, verified
    shot(page, "case-closed")
    assert page.errors == []
    page.context.close()
    assert live_server.api("GET", f"/api/v1/cases/{case_id}", "admin")["status"] == "closed"
    followed = httpx.get(f"{live_server.url}/api/v1/public/cases/{reference}").json()
    assert [e["note"] for e in followed["timeline"] if e["note"]] == ["已补植"]
    assert [p["role"] for p in followed["photos"]] == ["after"]  # the patrol's photo: internal


def _actions(page: Any) -> list[str]:
    return [b.get_attribute("data-action") for b in page.locator("#action-buttons button").all()]


def test_a_unit_officer_cannot_see_another_units_cases(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    lon, lat = live_server.district_points[0]
    case = live_server.api(
        "POST",
        "/api/v1/cases",
        "admin",
        json={"category": "weeds", "lon": lon, "lat": lat, "title": "一区的案卷"},
    )
    page = login(browser, live_server, "officer21")  # a street of district 2
    page.goto("/cases")
    page.wait_for_selector("#case-count:not(:empty)")
    assert case["reference"] not in page.locator("#case-table").inner_text()
    page.goto(f"/cases/{case['id']}")
    page.wait_for_function(
        "() => document.querySelector('#case-title').textContent.includes('未找到')"
    )
    assert page.locator("#action-buttons button").count() == 0
    shot(page, "case-hidden-from-other-unit")
    page.context.close()
    # the coordinator of district 1 does see it, in the filtered list
    page = login(browser, live_server, "coord1")
    page.goto("/cases?status=filed")
    page.wait_for_selector(f"tr[data-reference='{case['reference']}']")
    shot(page, "cases")
    page.context.close()


def _seed_ranking(server: LiveServer) -> None:
    """Three cases for a street of each district; those of district 1 closed on time."""
    for district, (lon, lat) in enumerate(server.district_points[:2], start=1):
        for _ in range(3):
            case = server.api(
                "POST",
                "/api/v1/cases",
                "admin",
                json={"category": "weeds", "lon": lon, "lat": lat},
            )
            unit = server.units[f"d{district}s1"]
            case = server.api(
                "POST",
                f"/api/v1/cases/{case['id']}/actions/dispatch",
                "admin",
                json={"version": case["version"], "unit_id": unit},
            )
            if district != 1:
                continue
            officer = "officer11"
            case = server.api(
                "POST",
                f"/api/v1/cases/{case['id']}/actions/accept",
                officer,
                json={"version": case["version"]},
            )
            photo = server.api(
                "POST",
                f"/api/v1/cases/{case['id']}/attachments",
                officer,
                files={"file": ("a.jpg", jpeg((0, 128, 0)), "image/jpeg")},
                data={"role": "after"},
            )
            case = server.api(
                "POST",
                f"/api/v1/cases/{case['id']}/actions/submit",
                officer,
                json={"version": case["version"], "attachment_ids": [photo["id"]]},
            )
            server.api(
                "POST",
                f"/api/v1/cases/{case['id']}/actions/verify",
                "inspector",
                json={"version": case["version"]},
            )


def test_the_ranking_page_shows_the_flags(browser: Any, live_server: LiveServer, shot: Any) -> None:
    _seed_ranking(live_server)
    page = login(browser, live_server, "admin")
    page.goto("/rankings")
    page.click("#compute")
    page.wait_for_selector("#ranking-table .badge.flag-red")
    red = page.locator("#ranking-table tr[data-flag='red']").first.inner_text()
    black = page.locator("#ranking-table tr[data-flag='black']").first.inner_text()
    assert "红旗" in red and "第1街道" in red
    assert "黑旗" in black
    # the period in words, the same after a reload; a unit without cases has no rate
    period = page.locator("#period").inner_text()
    assert re.fullmatch(r"周期：\d{4}年\d{1,2}月(\d{1,2}日至.+日)?", period), period
    assert page.locator("#flag-notice").is_hidden()
    no_cases = page.locator("#ranking-table td[data-rate='closure']", has_text="无案卷")
    assert no_cases.count() >= 1
    shot(page, "rankings")
    page.reload()
    page.wait_for_selector("#ranking-table .badge.flag-red")
    assert page.locator("#period").inner_text() == period
    # the cockpit lists this period's flags too
    page.goto("/cockpit")
    page.wait_for_selector("#flags .flag-red")
    page.context.close()
    # a leader sees them (read only: no compute button)
    page = login(browser, live_server, "leader")
    page.goto("/rankings")
    page.wait_for_selector("#ranking-table .badge.flag-black")
    assert page.locator("#compute").count() == 0
    page.context.close()


def test_a_resident_reports_and_follows_a_case(
    browser: Any, live_server: LiveServer, shot: Any, tmp_path: Any
) -> None:
    ctx = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = ctx.new_page()
    page.goto("/public")
    page.wait_for_selector("#public-map[data-count]")
    before = int(page.locator("#public-map").get_attribute("data-count"))
    page.select_option("#r-category", "damaged_facility")
    page.fill("#r-description", "公园座椅损坏")
    page.set_input_files("#r-photo", _photo_file(tmp_path, "bench.jpg", (90, 60, 30)))
    page.wait_for_function("() => document.querySelector('#r-preview').naturalWidth > 0")
    page.fill("#r-phone", "13800000000")
    # the place: a click on the public map
    page.locator("#public-map").click(position={"x": 195, "y": 160})
    assert page.input_value("#r-lon") != ""
    # on a phone the place is picked on the map before the button that sends the report
    map_box = page.locator("#public-map").bounding_box()
    submit_box = page.locator("#report-form button[type=submit]").bounding_box()
    assert map_box and submit_box and map_box["y"] + map_box["height"] < submit_box["y"]
    page.click("#report-form button[type=submit]")
    reference = page.locator("#new-reference").inner_text(timeout=20_000)
    page.wait_for_function(
        "() => { const r = document.querySelector('#new-reference').getBoundingClientRect(); "
        "return r.top >= 0 && r.bottom <= innerHeight; }"  # the number to keep, in view
    )
    page.wait_for_selector("#follow-result .timeline li")
    assert (
        "已上报" in page.locator("#follow-result").inner_text()
        or page.locator("#follow-result .badge").count()
    )
    page.wait_for_function(
        f"() => Number(document.querySelector('#public-map').dataset.count) > {before}"
    )
    shot(page, "public-reported")
    # follow it later by its reference (a fresh visit)
    page.goto(f"/public?ref={reference}")
    page.wait_for_selector("#follow-result .badge")
    assert reference in page.locator("#follow-result").inner_text()
    page.wait_for_function(
        "() => document.querySelector('#follow-result .photos img')?.naturalWidth > 0"
    )  # the resident's own photo, served without its metadata
    shot(page, "public-follow")
    ctx.close()
    fresh = f"{live_server.url}/api/v1/public/cases.geojson?fresh={reference}"
    public = httpx.get(fresh).text  # a new query: not the answer cached before the report
    assert reference in public and "13800000000" not in public


@pytest.mark.parametrize(
    "path", ["/login", "/map", "/cockpit", "/cases", "/patrol", "/rankings", "/targets", "/runs"]
)
def test_accessibility_basics(browser: Any, live_server: LiveServer, shot: Any, path: str) -> None:
    """axe-core (from npm) finds no missing labels, names or low contrast; every form control
    has a label."""
    if path == "/login":
        ctx = browser.new_context(base_url=live_server.url)
        page = ctx.new_page()
    else:
        page = login(browser, live_server, "admin")
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'rule', values: ['label', 'color-contrast', 'button-name',
              'link-name', 'select-name', 'html-has-lang', 'document-title', 'image-alt',
              'aria-allowed-attr', 'duplicate-id-aria']},
            exclude: [['.leaflet-control-attribution']]})"""
    )
    problems = [f"{v['id']}: {[n['target'] for n in v['nodes']][:5]}" for v in result["violations"]]
    assert problems == []
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
             .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
             .map((el) => el.id || el.name)"""
    )
    assert unlabelled == []
    shot(page, f"page{path.replace('/', '-')}")
    page.context.close()


def _contrast(fg: tuple[float, ...], bg: tuple[float, ...]) -> float:
    def luminance(rgb: tuple[float, ...]) -> float:
        channels = [c / 255 for c in rgb[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_status_and_flag_colours_have_enough_contrast(
    browser: Any, live_server: LiveServer
) -> None:
    """Every status and flag badge class, measured in the browser: contrast >= 4.5 (WCAG AA)."""
    page = login(browser, live_server, "admin")
    page.goto("/cases")
    classes = [
        "ok", "ok-unverified", "bad", "bad-unverified", "neutral", "insufficient", "overdue",
        "flag-red", "priority-urgent", "priority-high",
        "flag-black", "st-filed", "st-dispatched", "st-in_progress", "st-submitted",
        "st-sent_back", "st-closed", "st-discarded",
    ]  # fmt: skip
    colours = page.evaluate(
        """(classes) => classes.map((c) => {
            const el = document.createElement('span');
            el.className = 'badge ' + c; el.textContent = 'x';
            document.body.appendChild(el);
            const s = getComputedStyle(el);
            return [c, s.color, s.backgroundColor];
        })""",
        classes,
    )
    page.context.close()

    def rgb(text: str) -> tuple[float, ...]:
        return tuple(float(v) for v in re.findall(r"[\d.]+", text)[:3])

    low = {c: _contrast(rgb(fg), rgb(bg)) for c, fg, bg in colours}
    assert all(ratio >= 4.5 for ratio in low.values()), low


def test_an_assessment_runs_as_a_job_from_the_page(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    page = login(browser, live_server, "admin")
    page.goto("/runs")
    page.wait_for_selector(f"tr[data-run='{live_server.run_id}']")
    # the next run's number: other files on this server may have started runs (what-ifs)
    new = max(r["id"] for r in live_server.api("GET", "/api/v1/runs", "admin")) + 1
    page.click("#start-run")
    page.wait_for_selector("tr[data-status='running'], tr[data-status='queued']")
    shot(page, "runs-progress")
    page.wait_for_selector(f"tr[data-run='{new}'][data-status='succeeded']", timeout=300_000)
    run = live_server.api("GET", f"/api/v1/runs/{new}", "admin")
    assert run["progress"] == 1.0 and run["values"]
    report = httpx.get(
        f"{live_server.url}/api/v1/runs/{run['id']}/files/report.html",
        headers=live_server.headers("admin"),
    )
    assert report.status_code == 200 and "<html" in report.text[:500].lower()
    # sent compressed to a client that takes gzip (as the job stored it), plain otherwise
    assert report.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in report.headers["vary"]
    plain = httpx.get(
        f"{live_server.url}/api/v1/runs/{run['id']}/files/report.html",
        headers={**live_server.headers("admin"), "Accept-Encoding": "identity"},
    )
    assert "content-encoding" not in plain.headers and plain.text == report.text
    assert int(report.headers["content-length"]) < len(plain.content) / 3
    assert plain.headers["content-security-policy"] == report.headers["content-security-policy"]
    gpkg = httpx.get(
        f"{live_server.url}/api/v1/runs/{run['id']}/files/diagnostics.gpkg",
        headers=live_server.headers("admin"),
    )
    assert gpkg.content[:16] == b"SQLite format 3\x00"
    # the job cut the map's vector tiles too
    tiles = live_server.api("GET", f"/api/v1/runs/{run['id']}/tiles/residential.json", "admin")
    assert tiles["features"] > 0
    shot(page, "runs-done")
    page.context.close()
