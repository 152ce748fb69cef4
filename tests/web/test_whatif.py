"""The what-if mode of the assessment-runs page in real Chromium: draw a new park, or mark
unshaded road segments as shaded, with the mouse; run the variant and read the indicators it
reports beside the baseline, which stays as it was."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from shapely.geometry import shape

from tests.web.conftest import LiveServer, login

pytestmark = pytest.mark.slow

MARKED = 12  # road segments to mark: enough length to move the city-wide percentage
MARKED_LAYERS = (
    "() => { let n = 0; gc.whatifMap.eachLayer((l) => { if (l.marked) n += 1; }); return n; }"
)


def _layer(server: LiveServer, name: str) -> list[dict[str, Any]]:
    url = f"{server.url}/api/v1/runs/{server.run_id}/layers/{name}.geojson"
    features = httpx.get(url, headers=server.headers("admin"), timeout=60).json()["features"]
    return list(features)


def _open_whatif(browser: Any, server: LiveServer) -> Any:
    page = login(browser, server, "admin")
    page.goto("/runs")
    page.wait_for_selector(f"tr[data-run='{server.run_id}'][data-status='succeeded']")
    page.wait_for_selector("#whatif-map[data-layers='ready']")
    return page


def _run_whatif(page: Any, server: LiveServer) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Run the drawn what-if; the baseline's scorecard values and the result table's rows
    (baseline, what-if, change, status) by indicator id."""
    page.click("#run-whatif")
    page.wait_for_selector("#whatif-table", timeout=300_000)
    baseline = json.loads(_scorecard(server))
    rows = {
        str(row.get_attribute("data-indicator")): row.locator("td").all_inner_texts()
        for row in page.locator("#whatif-table tbody tr").all()
    }
    return {i["id"]: i["value"] for i in baseline["indicators"]}, rows


def _scorecard(server: LiveServer) -> str:
    return (server.workspace / "runs" / str(server.run_id) / "scorecard.json").read_text()


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_what_if_a_drawn_park_changes_the_indicators(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    uncovered = _layer(live_server, "uncovered_residential")
    biggest = max(uncovered, key=lambda f: f["properties"]["area_m2"])
    lon, lat = shape(biggest["geometry"]).representative_point().coords[0]
    baseline = _scorecard(live_server)
    page = _open_whatif(browser, live_server)
    # a park of about 500 m × 500 m over the largest piece of uncovered residential land,
    # drawn corner by corner with the mouse
    page.click("#draw-park")
    corners = page.evaluate(
        """([lon, lat]) => {
        const map = gc.whatifMap;
        map.setView([lat, lon], 15, { animate: false });
        const dLat = 250 / 111320, dLon = 250 / (111320 * Math.cos(lat * Math.PI / 180));
        return [[-1, -1], [1, -1], [1, 1], [-1, 1]].map(([x, y]) => {
            const p = map.latLngToContainerPoint([lat + y * dLat, lon + x * dLon]);
            return [p.x, p.y];
        });
    }""",
        [lon, lat],
    )
    for x, y in corners:
        page.locator("#whatif-map").click(position={"x": x, "y": y})
    page.click("#finish-park")
    assert "1 个公园" in page.locator("#edit-count").inner_text()
    shot(page, "whatif-drawn")
    before, rows = _run_whatif(page, live_server)
    cells = rows["park_area_per_capita"]
    assert _number(cells[0]) == pytest.approx(before["park_area_per_capita"], 0.01)
    assert _number(cells[1]) > _number(cells[0])
    assert cells[2].startswith("+")
    coverage = rows["park_service_coverage"]
    # the park lies on land no park served: more residential land is covered
    assert _number(coverage[1]) > _number(coverage[0])
    # the what-if run is listed beside the real assessment, which stays as it was
    page.wait_for_selector("tr[data-status='succeeded']:has-text('情景推演')")
    result = page.locator("#whatif-result").inner_text()
    assert "人均公园绿地面积" in result and "park_area_per_capita" not in result  # names, not ids
    assert "并非现状评估结果" in result
    assert _scorecard(live_server) == baseline
    shot(page, "whatif-result")
    assert page.errors == []
    page.context.close()


def test_what_if_shaded_roads_raise_the_shaded_road_coverage(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    segments = _layer(live_server, "unshaded_road_segments")
    assert len(segments) >= MARKED, "the demo city has too few unshaded road segments"
    longest = sorted(segments, key=lambda f: -f["properties"]["length_m"])[:MARKED]
    middles = [shape(f["geometry"]).interpolate(0.5, normalized=True) for f in longest]
    page = _open_whatif(browser, live_server)
    page.click("#mark-road")
    assert page.locator("#mark-road").get_attribute("aria-pressed") == "true"
    for marked, point in enumerate(middles, start=1):
        x, y = page.evaluate(
            """([lon, lat]) => {
            const map = gc.whatifMap;
            map.setView([lat, lon], 17, { animate: false });
            const p = map.latLngToContainerPoint([lat, lon]);
            return [p.x, p.y];
        }""",
            [point.x, point.y],
        )
        page.locator("#whatif-map").click(position={"x": x, "y": y})
        drawn = page.locator("#edit-count").inner_text()
        found = re.search(r"0 个公园.*\b(\d+) 条林荫路段", drawn)
        assert found and int(found.group(1)) <= marked, drawn  # a segment counts once
    distinct = page.evaluate(MARKED_LAYERS)
    assert distinct >= MARKED // 2 and f"{distinct} 条林荫路段" in drawn
    shot(page, "whatif-roads-marked")
    before, rows = _run_whatif(page, live_server)
    base, variant, change = (_number(v) for v in rows["shaded_road_coverage"][:3])
    assert base == pytest.approx(before["shaded_road_coverage"], abs=0.01)
    # the marked segments now carry tree canopy: more of the roads' length is shaded
    assert variant > base and change > 0
    assert change == pytest.approx(variant - base, abs=0.02)
    # no park was drawn: the park indicators stay as they were
    assert rows["park_area_per_capita"][2] in {"0.00", "+0.00", "-0.00", "—"}
    shot(page, "whatif-roads-result")
    assert page.errors == []
    page.context.close()


def test_suggested_sites_are_drawn_with_their_gains_and_become_edits(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    suggested = live_server.api("GET", f"/api/v1/runs/{live_server.run_id}/suggestions", "admin")
    sites = suggested["parks"]["sites"]["features"]
    segments = suggested["roads"]["segments"]["features"]
    assert sites and segments and suggested["parks"]["reached"]
    page = _open_whatif(browser, live_server)
    page.click("#suggest-sites")
    page.wait_for_selector("#suggest-result li")
    summary = page.locator("#suggest-result").inner_text()
    assert f"建议新增口袋公园 {len(sites)} 处" in summary and "建议优先绿化林荫路" in summary
    drawn = page.locator("#edit-count").inner_text()
    assert re.search(rf"\b{len(sites)} 个公园.*\b{len(segments)} 条林荫路段", drawn), drawn
    shot(page, "whatif-suggested")
    assert page.errors == []
    page.context.close()


def test_roads_in_a_dragged_rectangle_are_marked_shaded(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    page = _open_whatif(browser, live_server)
    box = page.locator("#whatif-map").bounding_box()
    assert box is not None
    page.click("#select-roads")  # a rectangle over the middle of the city, click-click
    page.locator("#whatif-map").click(position={"x": box["width"] * 0.4, "y": box["height"] * 0.4})
    page.locator("#whatif-map").click(position={"x": box["width"] * 0.6, "y": box["height"] * 0.6})
    page.wait_for_function(
        "() => /[1-9]\\d* 条林荫路段/.test(document.querySelector('#edit-count').textContent)"
    )
    marked = int(re.search(r"(\d+) 条林荫路段", page.locator("#edit-count").inner_text()).group(1))
    expected = page.evaluate(MARKED_LAYERS)
    assert marked == expected > 0
    shot(page, "whatif-roads-in-rectangle")
    assert page.errors == []
    page.context.close()
