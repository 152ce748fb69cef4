"""The map page's legend, its layers' styles and the status badges use the vocabulary."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gardencity.vocabulary import vocabulary
from tests.web.conftest import LiveServer, login

# the style a layer is drawn with: its first feature's Leaflet options (GeoJSON), or the
# style its vector tiles are painted with (a fill, then its outline)
DRAWN_STYLE = """() => {
    const layer = gc.mapLoaded.uncovered_residential;
    if (!layer.tiled) return layer.getLayers()[0].options;
    const style = layer.style;
    return { fillColor: style.fill, color: style.stroke, fillOpacity: style.fill_opacity };
}"""


def _capital(label: str) -> str:
    return label[:1].upper() + label[1:]


def _rgb(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_the_vocabulary_is_served_in_the_asked_language(live_server: LiveServer) -> None:
    for lang in ("zh", "en"):
        served = httpx.get(f"{live_server.url}/api/v1/vocabulary?lang={lang}").json()
        assert served["lang"] == lang
        words = vocabulary()
        assert served["statuses"]["insufficient_data"]["label"] == words.label(
            "statuses", "insufficient_data", lang
        )
        assert served["layers"]["road_shade_segments"]["style"]["stroke"] == (
            words.style("layers", "road_shade_segments").stroke
        )
    header = httpx.get(f"{live_server.url}/api/v1/vocabulary", headers={"Accept-Language": "en"})
    assert header.json()["units"]["m2"]["label"] == "m²"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_map_legend_and_badges_use_the_vocabulary(
    browser: Any, live_server: LiveServer, shot: Any, lang: str
) -> None:
    words = vocabulary()
    page = login(browser, live_server, "admin")
    page.goto(f"/map?lang={lang}")
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    rows = page.evaluate(
        """() => [...document.querySelectorAll('.layer-row')].map((row) => ({
            name: row.querySelector('input').id.slice(6),
            label: row.querySelector('label').innerText,
            colour: getComputedStyle(row.querySelector('.swatch')).backgroundColor }))"""
    )
    assert len(rows) >= 10
    for row in rows:
        style = words.style("layers", row["name"])
        assert row["label"] == words.label("layers", row["name"], lang)
        line = row["name"] in ("built_up_area", "districts", "grids") or style.fill is None
        assert row["colour"] == _rgb((style.stroke if line else style.fill) or ""), row
    # the green-space classes' legend: the vocabulary's colours and labels, one language
    classes = page.evaluate(
        """() => [...document.querySelector('#layer-green_spaces').closest('div').parentElement
            .querySelectorAll('.legend-sub span')].map((s) => [s.innerText,
            getComputedStyle(s.querySelector('.swatch')).backgroundColor])"""
    )
    expected = [  # each entry starts with a capital (in English)
        [_capital(words.label("green_classes", key, lang)), _rgb(term.style.fill or "")]
        for key, term in words.green_classes.items()
        if term.style is not None
    ]
    assert classes == expected
    # a drawn layer has the vocabulary's colours
    drawn = page.evaluate(DRAWN_STYLE)
    uncovered = words.style("layers", "uncovered_residential")
    assert (drawn["fillColor"], drawn["color"]) == (uncovered.fill, uncovered.stroke)
    assert drawn["fillOpacity"] == pytest.approx(uncovered.fill_opacity)
    # the status badges' colours come from the vocabulary's stylesheet
    badges = page.evaluate(
        """() => ['ok', 'bad', 'insufficient'].map((c) => {
            const el = document.createElement('span'); el.className = 'badge ' + c;
            document.body.appendChild(el);
            const colour = getComputedStyle(el).backgroundColor; el.remove(); return colour; })"""
    )
    statuses = ("pass", "fail", "insufficient_data")
    assert badges == [_rgb(words.style("statuses", s).fill or "") for s in statuses]
    shot(page, f"map-vocabulary-{lang}")
    assert page.errors == []
    page.context.close()
