"""The cockpit's indicator chart: its labels never overlap, in English and in Chinese, on a
desktop screen and on a phone; a label shortened to fit shows its whole name on hover."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import ARTIFACTS, PHONE, LiveServer, login

DESKTOP = {"width": 1366, "height": 900}

# every text the chart drew (axis labels and their lines), with its box on the page
TEXT_BOXES = """(id) => {
  const el = document.getElementById(id);
  const chart = echarts.getInstanceByDom(el);
  const out = [];
  for (const item of chart.getZr().storage.getDisplayList(true)) {
    if (item.type !== "tspan" && item.type !== "text") continue;
    if (item.invisible || item.ignore || !item.style || !item.style.text) continue;
    const r = item.getBoundingRect().clone();
    item.updateTransform();
    if (item.transform) r.applyTransform(item.transform);
    out.push({ text: String(item.style.text), x: r.x, y: r.y, w: r.width, h: r.height });
  }
  return { boxes: out, width: el.clientWidth, height: el.clientHeight };
}"""


def _overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    """Two boxes overlap by more than half a pixel both across and down."""
    across = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
    down = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    return across > 0.5 and down > 0.5


def _clashes(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The texts of every two of ``boxes`` that overlap."""
    return [
        (a["text"], b["text"])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if _overlaps(a, b)
    ]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_the_indicator_chart_labels_do_not_overlap(
    browser: Any, live_server: LiveServer, shot: Any, lang: str, screen: str
) -> None:
    size = DESKTOP if screen == "desktop" else PHONE
    page = login(browser, live_server, "coord1", viewport=size, is_mobile=screen == "phone")
    page.goto(f"/cockpit?lang={lang}")
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => !!echarts.getInstanceByDom(document.getElementById('chart-indicators'))"
    )
    drawn = page.evaluate(TEXT_BOXES, "chart-indicators")
    shot(page, f"cockpit-labels-{lang}-{screen}")
    boxes = drawn["boxes"]
    assert len(boxes) > 10  # the indicators' names and the axis's figures
    assert not _clashes(boxes), _clashes(boxes)
    page.context.close()


def test_the_cockpit_names_responsible_units_in_the_pages_language(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    lon, lat = live_server.district_points[0]
    body = {"category": "bare_soil", "lon": lon + 0.0006, "lat": lat + 0.0004}
    case = live_server.api("POST", "/api/v1/cases", "admin", json=body)
    park = live_server.units["d1park"]
    dispatch = {"version": case["version"], "unit_id": park, "reason": "派遣"}
    live_server.api("POST", f"/api/v1/cases/{case['id']}/actions/dispatch", "coord1", json=dispatch)
    names = {
        lang: next(
            u
            for u in live_server.api("GET", f"/api/v1/units?lang={lang}", "admin")
            if u["id"] == park
        )
        for lang in ("en", "zh")
    }
    assert names["en"]["label"].endswith("Central Park Management Office")
    assert names["zh"]["label"] == names["zh"]["name"] and names["zh"]["name"].endswith(
        "公园管理处"
    )
    for lang, other in (("en", "zh"), ("zh", "en")):
        page = login(browser, live_server, "coord1", viewport=PHONE, is_mobile=True)
        page.goto(f"/cockpit?lang={lang}")
        page.wait_for_selector("#unit-stats tbody tr")
        table = page.locator("#unit-stats").inner_text()
        assert names[lang]["label"] in table and names[other]["label"] not in table
        page.wait_for_function(
            "() => !!echarts.getInstanceByDom(document.getElementById('chart-units'))"
        )
        boxes = page.evaluate(TEXT_BOXES, "chart-units")["boxes"]
        shot(page, f"cockpit-units-{lang}-phone")
        page.locator("#chart-units").screenshot(
            path=str(ARTIFACTS / f"chart-units-{lang}-phone.png")
        )
        drawn = " ".join(b["text"] for b in boxes)
        assert names[lang]["label"].split()[0] in drawn
        assert not _clashes(boxes), _clashes(boxes)
        page.context.close()
