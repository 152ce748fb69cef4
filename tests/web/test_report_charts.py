"""The report's bar charts, drawn by Chromium in the page's font: no district's name runs
into another's, and no word of a chart reaches out of it, in Chinese and in English, on a
desktop screen and on a phone; where names are too long for their bars they are turned."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from gardencity.reports.charts import bar_chart
from gardencity.reports.html import load_labels
from tests.web.conftest import ARTIFACTS, PHONE

DESKTOP = {"width": 1366, "height": 900}

# each chart's box, and the box of every text in it (a name's lines as one text)
CHART_TEXTS = """() => [...document.querySelectorAll("svg.chart")]
  .filter((svg) => svg.getBoundingClientRect().width > 0).map((svg) => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return { x: r.x, y: r.y, w: r.width, h: r.height }; };
  const layout = svg.classList.contains("phone") ? "phone" : "screen";
  return { layout, chart: box(svg), texts: [...svg.querySelectorAll("text")].map((t) => ({
    text: t.textContent, name: t.classList.contains("name"), turned: t.hasAttribute("transform"),
    size: parseFloat(getComputedStyle(t).fontSize) * svg.getScreenCTM().a, ...box(t) })) };
})"""


def _overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    across = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
    down = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    return across > 0.5 and down > 0.5


def _problems(charts: list[dict[str, Any]]) -> list[str]:
    problems = []
    for chart in charts:
        box = chart["chart"]
        for t in chart["texts"]:
            if t["x"] < box["x"] - 0.5 or t["x"] + t["w"] > box["x"] + box["w"] + 0.5:
                problems.append(f"{t['text']!r} reaches out of its chart")
        names = [t for t in chart["texts"] if t["name"]]
        if not any(t["turned"] for t in names):  # a turned name's box is upright: it may
            problems += [  # meet its neighbour's
                f"{a['text']!r} runs into {b['text']!r}"
                for a, b in itertools.pairwise(names)
                if _overlaps(a, b)
            ]
    return problems


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_no_name_of_the_reports_charts_runs_into_another(
    demo_assessment, demo_report, browser, lang: str, screen: str
) -> None:  # type: ignore[no-untyped-def]
    path = demo_report(lang)
    page = browser.new_page(viewport=DESKTOP if screen == "desktop" else PHONE)
    try:
        page.goto(path.as_uri())
        charts = page.evaluate(CHART_TEXTS)
        layout = "screen" if screen == "desktop" else "phone"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator(f"svg.chart.{layout}").first.screenshot(
            path=str(ARTIFACTS / f"chart-{lang}-{screen}.png")
        )
    finally:
        page.close()
    assert len(charts) >= 5 and {c["layout"] for c in charts} == {layout}
    # a phone's chart is laid out for it: its words are drawn at least 10 px high
    assert min(t["size"] for c in charts for t in c["texts"]) >= (10 if layout == "phone" else 9)
    names = {d.label(lang).replace(" ", "") for d in demo_assessment.scorecard().districts}
    for chart in charts:  # every district named under its bar (its lines run together)
        assert names == {t["text"].replace(" ", "") for t in chart["texts"] if t["name"]}
    assert _problems(charts) == []


def test_many_long_names_are_turned_and_stay_in_their_chart(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    names = [f"Economic and Technological Development Zone {n}" for n in "ABCDEFGHIJKL"]
    svg = bar_chart(
        names, [40.0 + i for i in range(12)], 45.0, load_labels("en"), "Green space ratio", "%"
    )
    path = tmp_path / "chart.html"
    path.write_text(
        f'<!doctype html><meta charset="utf-8"><body style="width:600px">{svg}</body>',
        encoding="utf-8",
    )
    page = browser.new_page(viewport=DESKTOP)
    try:
        page.goto(path.as_uri())
        page.add_style_tag(content="svg { width: 100%; height: auto; }")
        charts = page.evaluate(CHART_TEXTS)
    finally:
        page.close()
    assert sum(t["name"] for t in charts[0]["texts"]) == len(names)
    assert _problems(charts) == []
