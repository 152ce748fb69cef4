"""The report's maps, drawn by Chromium: each map shown at the page's width, the words on
it and beside it at their size on a desktop screen and on a phone, none reaching out of its
figure, and the scale bar as long on the screen as the length it names on the map."""

from __future__ import annotations

import pytest

from tests.web.conftest import ARTIFACTS, PHONE, watch_errors

DESKTOP = {"width": 1366, "height": 900}

# each map's figure: its boxes, its places' boxes and sizes, its scale bar and what it names
MAP_BOXES = """() => [...document.querySelectorAll("figure.map")].map((fig) => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return { x: r.x, y: r.y, w: r.width, h: r.height }; };
  const svg = fig.querySelector("svg.map");
  const scale = fig.querySelector(".scale");
  return { figure: box(fig), map: box(svg), viewBox: svg.viewBox.baseVal.width,
    places: [...fig.querySelectorAll(".map-name")].map((p) => ({ text: p.textContent,
      size: parseFloat(getComputedStyle(p).fontSize), ...box(p) })),
    words: [...fig.querySelectorAll(".legend li, .scale b, .north, figcaption")].map((w) => ({
      text: w.textContent, size: parseFloat(getComputedStyle(w).fontSize), ...box(w) })),
    bar: box(scale.querySelector("i")), barPercent: parseFloat(scale.style.width) };
})"""


def _problems(figures: list[dict]) -> list[str]:  # type: ignore[type-arg]
    problems = []
    for fig in figures:
        box, drawn = fig["figure"], fig["map"]
        if drawn["w"] < 100 or drawn["h"] < 50:
            problems.append(f"a map drawn {drawn['w']:.0f}×{drawn['h']:.0f} px")
        for place in fig["places"]:
            inside = drawn["x"] - 1 <= place["x"] + place["w"] / 2 <= drawn["x"] + drawn["w"] + 1
            if not inside or place["size"] < 12:
                problems.append(f"{place['text']!r} off its map or under 12 px")
        for word in fig["words"]:
            if word["x"] < box["x"] - 0.5 or word["x"] + word["w"] > box["x"] + box["w"] + 0.5:
                problems.append(f"{word['text']!r} reaches out of its figure")
            if word["size"] < 12:
                problems.append(f"{word['text']!r} under 12 px")
        # the bar's share of the map, as long on the screen as on the map (1 px of borders)
        if abs(fig["bar"]["w"] - fig["barPercent"] / 100 * box["w"]) > 1.5:
            problems.append(f"a scale bar {fig['bar']['w']:.1f} px for {fig['barPercent']} %")
    return problems


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_the_reports_maps_keep_their_words_readable_and_their_scale_true(
    demo_report, browser, lang: str, screen: str
) -> None:  # type: ignore[no-untyped-def]
    path = demo_report(lang)
    page = browser.new_page(viewport=DESKTOP if screen == "desktop" else PHONE)
    try:
        watch_errors(page)
        page.goto(path.as_uri())
        figures = page.evaluate(MAP_BOXES)
        width = page.evaluate("() => document.documentElement.clientWidth")
        # the maps' words are placed over them; nothing else of the page is moved
        placed = page.evaluate(
            """() => [...document.querySelectorAll("body *")].filter((el) =>
              getComputedStyle(el).position === "absolute" && !el.closest("figure.map")).length"""
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator("figure.map").last.screenshot(path=str(ARTIFACTS / f"map-{lang}-{screen}.png"))
        errors = page.errors
    finally:
        page.close()
    assert len(figures) >= 6 and not errors and placed == 0
    assert sum(len(f["places"]) for f in figures) >= 6  # the choropleths' districts
    assert _problems(figures) == []
    # a phone shows each map across its screen, as large as it can
    widest = max(f["figure"]["w"] for f in figures)
    assert widest <= width and (screen == "desktop" or widest >= width - 48)


LONG_NAMES = [
    "Economic and Technological Development Zone",
    "High-tech Industrial Development Zone",
    "Tongshan District",
    "Jiawang District",
    "Yunlong Lake Scenic Area Administrative Committee",
    "Gulou District",
]
NAME_BOXES = """() => [...document.querySelectorAll("figure.map")].map((fig) => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return { x: r.x, y: r.y, w: r.width, h: r.height }; };
  return { map: box(fig.querySelector("svg.map")),
    names: [...fig.querySelectorAll(".map-name")].map((p) =>
      ({ text: p.textContent, ...box(p) })) };
})"""


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_long_district_names_wrap_inside_their_map_and_never_cover_each_other(
    demo_report, browser, screen: str
) -> None:  # type: ignore[no-untyped-def]
    """Names far longer than their districts are wide (as English names of development
    zones are): each wraps to its district's width and stays on the map."""
    import itertools

    import geopandas as gpd
    import numpy as np
    import shapely

    from gardencity.reports.html import load_labels
    from gardencity.reports.svg_maps import choropleth_svg

    zones = gpd.GeoDataFrame(
        {"name": LONG_NAMES, "value": np.arange(len(LONG_NAMES), dtype=float) + 40},
        geometry=[
            shapely.box(i % 3 * 3000, i // 3 * 3000, i % 3 * 3000 + 3000, i // 3 * 3000 + 3000)
            for i in range(len(LONG_NAMES))
        ],
        crs=4547,
    )  # fmt: skip
    figure = choropleth_svg(zones, "value", 42.0, load_labels("en"), "Long names", "%", lang="en")
    head = demo_report("en").read_text(encoding="utf-8").split("<body>")[0]
    page = browser.new_page(viewport=DESKTOP if screen == "desktop" else PHONE)
    try:
        page.set_content(f"{head}<body><main><section><div class='grid'><figure class='map'>"
                         f"{figure}</figure></div></section></main></body></html>")  # fmt: skip
        (fig,) = page.evaluate(NAME_BOXES)
        page.locator("figure.map").screenshot(path=str(ARTIFACTS / f"map-long-names-{screen}.png"))
    finally:
        page.close()
    drawn = fig["map"]
    assert len(fig["names"]) == len(LONG_NAMES)
    for name in fig["names"]:
        assert drawn["x"] - 1 <= name["x"] and name["x"] + name["w"] <= drawn["x"] + drawn["w"] + 1
    overlapping = [
        (a["text"], b["text"])
        for a, b in itertools.combinations(fig["names"], 2)
        if min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"]) > 0.5
        and min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"]) > 0.5
    ]
    assert overlapping == []
