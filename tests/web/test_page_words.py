"""The pages speak one language: the case desk, a case's page, the cockpit, the rankings and
the runs, in Chinese and in English, in real Chromium, show every code (a case's source,
priority, events and states, a unit's level, a ranking's period, a run's statuses, a district)
by its label and no word of the other language beyond a short list of names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from gardencity.vocabulary import vocabulary
from tests.web.conftest import PHONE, LiveServer, login
from tests.web.test_map_tiles import click_a_feature

pytestmark = pytest.mark.slow

DESKTOP = {"width": 1440, "height": 900}
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")
CODE_WORDS = re.compile(
    r"\bfile filed\b|\b(?:normal|urgent|high|low|month|(?<!this )week)\b"
)  # "this week": words
HAN = re.compile(r"[\u3400-\u9fff]+")
# names and formats that stay as they are in either language
LATIN_NAMES = {"English", "Leaflet", "GeoPackage", "Open311", "API", "Excel", "CSV", "PDF"}
READY = {
    "cases": "#case-table tbody tr[data-reference]",
    "case": "#timeline li",
    "cockpit": "#case-kpis .kpi",
    "rankings": "#ranking-table tbody tr[data-flag]",
    "runs": "#run-table tbody tr[data-status='succeeded']",
}


def _crawlable_case(server: LiveServer) -> dict[str, Any]:
    """An urgent case from the grid patrol, dispatched and commented: every kind of word."""
    lon, lat = server.district_points[0]
    body = {"category": "weeds", "lon": lon, "lat": lat, "source": "grid_patrol"}
    case = server.api("POST", "/api/v1/cases", "admin", json=body | {"priority": "urgent"})
    path = f"/api/v1/cases/{case['id']}/actions"
    unit = server.units["d1s1"]
    case = server.api(
        "POST", f"{path}/dispatch", "admin", json={"version": case["version"], "unit_id": unit}
    )
    server.api(
        "POST",
        f"{path}/comment",
        "admin",
        json={"version": case["version"], "reason": "请尽快处理"},
    )
    server.api("POST", "/api/v1/rankings/compute", "admin")
    return dict(case)


def _shown_text(page: Any) -> str:
    """What a reader meets: the text, the options of the lists and the tooltips."""
    return str(
        page.evaluate(
            """() => [document.title, document.body.innerText,
                ...[...document.querySelectorAll('option')].map((o) => o.textContent),
                ...[...document.querySelectorAll('[title]')].map((e) => e.title)].join('\\n')"""
        )
    )


def _proper_names(server: LiveServer) -> list[str]:
    """Names that are data, not words of the page: the units' and the city's names, the
    standard's and the indicators' Chinese titles are not translated (the case's comment)."""
    units = server.api("GET", "/api/v1/units", "admin")
    names = {u["name"] for u in units} | {"示范市", "请尽快处理", "中文", "admin", "创园办管理员"}
    targets = server.api("GET", "/api/v1/targets", "admin")["targets"]
    names |= {t["action_name"] for t in targets}  # the office's names of its own actions
    sites = server.api("GET", "/api/v1/maintenance/sites", "admin")
    names |= {s["name"] for s in sites}  # maintained sites other tests of the server added
    return sorted(names, key=len, reverse=True)


def _problems(text: str, lang: str, names: list[str], districts: dict[str, str]) -> list[str]:
    for name in names:
        text = text.replace(name, " ")
    text = re.sub(r"\bGC\d+\b", " ", text)  # case references
    found = [f"code {m}" for m in SNAKE_CASE.findall(text)]
    found += [f"code {w}" for w in CODE_WORDS.findall(text)]
    found += [f"district code {c}" for c in districts if c != districts[c] and c in text]
    if lang == "zh":
        found += [f"English {w}" for w in LATIN_WORD.findall(text) if w not in LATIN_NAMES]
    else:
        found += [f"Chinese {w}" for w in HAN.findall(text)]
    return found


def _visit(page: Any, shot: Any, name: str, path: str, lang: str) -> str:
    """Open a page at desktop size (and, in Chinese, phone size), keep a screenshot of each,
    and return what it shows."""
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        if size == "phone" and lang == "en":
            continue
        page.set_viewport_size(viewport)
        page.goto(path)
        page.wait_for_selector(READY[name], timeout=30_000)
        page.wait_for_load_state("networkidle")
        shot(page, f"words-{name}-{lang}-{size}")
    return _shown_text(page)


def _map_details(page: Any, shot: Any, lang: str) -> str:
    """The map's details of a piece of uncovered residential land, a green space and a case."""
    page.set_viewport_size(DESKTOP)
    page.goto("/map")
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    page.check("#layer-green_spaces")
    page.wait_for_selector("#count-green_spaces[data-count]")
    shown = []
    run = page.evaluate("gc.PAGE.run_id")
    urls = {
        "uncovered_residential": f"/api/v1/runs/{run}/layers/uncovered_residential.geojson",
        "green_spaces": "/api/v1/map/layers/green_spaces.geojson",
    }
    for layer in ("uncovered_residential", "green_spaces", "cases"):
        click_a_feature(page, layer, urls.get(layer, ""))
        shown.append(
            page.evaluate(  # a feature's name is data, in the city's language
                """(name) => [...document.querySelectorAll('#details dt')]
                    .filter((dt) => dt.innerText !== name)
                    .map((dt) => dt.innerText + ' ' + dt.nextElementSibling.innerText)
                    .join('\\n')""",
                vocabulary().label("fields", "name", lang),
            )
        )
        shot(page, f"words-map-{layer}-{lang}")
    return "\n".join(shown)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_pages_show_labels_in_the_page_language(
    browser: Any, live_server: LiveServer, shot: Any, lang: str
) -> None:
    case = _crawlable_case(live_server)
    names = _proper_names(live_server)
    scorecard = live_server.api(
        "GET", f"/api/v1/runs/{live_server.run_id}/files/scorecard.json", "admin"
    )
    districts = {d["id"]: d["name"] for d in scorecard["districts"]}
    page = login(browser, live_server, "admin")
    page.goto(f"/cases?lang={lang}")
    problems = {}
    for name, path in [
        ("cases", f"/cases?q={case['reference']}"),  # cases of other tests: data
        ("case", f"/cases/{case['id']}"),
        ("cockpit", "/cockpit"),
        ("rankings", "/rankings"),
        ("runs", "/runs"),
    ]:
        problems[name] = _problems(_visit(page, shot, name, path, lang), lang, names, districts)
    timeline = page.goto(f"/cases/{case['id']}") and page.locator(READY["case"]).first
    timeline.wait_for()
    words = vocabulary()
    assert words.label("case_events", "file", lang) in page.locator("#timeline").inner_text()
    props = page.locator("#case-props").inner_text()
    assert words.label("case_sources", "grid_patrol", lang) in props
    details = _map_details(page, shot, lang)
    assert words.label("fields", "area_m2", lang) in details
    problems["map"] = _problems(details, lang, names, districts)
    assert {k: sorted(set(v)) for k, v in problems.items() if v} == {}
    assert page.errors == []
    page.context.close()


def test_every_page_message_is_one_chinese_and_one_english_text() -> None:
    """An unquoted comma in a YAML flow list cuts a text in two ("File (photo", "PDF", …)."""
    import yaml

    from gardencity.web import i18n

    path = Path(i18n.__file__).parent / "i18n" / "messages.yaml"
    raw = yaml.safe_load(path.read_text("utf-8"))
    assert [k for k, pair in raw.items() if not isinstance(pair, list) or len(pair) != 2] == []
    english = i18n.messages("en")
    assert english["ledger_file"] == "File (photo, PDF, Word, Excel)"
    assert english["filed"] == "Filed, reference"
