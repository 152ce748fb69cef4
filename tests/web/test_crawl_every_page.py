"""Every page and state, per role, in both languages, speaks the page's language: real Chromium
opens each page the role's navigation offers (and the account and inbox pages), and the states
behind them — a case's details, the target report dialog, a computed what-if and the siting
suggestions, the computed rankings, a map feature's details, a refused form — at desktop
(1440×900) and phone (390×844) size, keeps a screenshot of each under ``test-artifacts/crawl``,
and fails on a raw code (snake_case identifiers, code words), an ISO UTC timestamp, an ASCII
``>=`` or a word of the other language beyond a short list of names (the city's, its units' and
its people's names, which are data)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gardencity.vocabulary import vocabulary
from gardencity.web.pages import NAV
from tests.web.conftest import ARTIFACTS, PHONE, LiveServer, login, watch_errors
from tests.web.test_map_tiles import click_a_feature

pytestmark = pytest.mark.slow

SHOTS = ARTIFACTS.parent / "crawl"
DESKTOP = {"width": 1440, "height": 900}
# the seed's users (campaign/seed.py): the campaign office, the city's inspector, a leader, a
# district's coordinator, a street's officer, a district's patrol; None: a resident, not logged in
ROLES = {
    "admin": "admin",
    "inspector": "inspector",
    "leader": "leader",
    "coordinator": "coord1",
    "officer": "officer11",
    "patrol": "patrol1",
    "public": None,
}
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
CODES = r"(?:normal|urgent|high|low|month|week|true|false|null|None|undefined|NaN)"
CODE_WORDS = re.compile(rf"\bfile filed\b|\b{CODES}\b")
# in English these are words too: a code is one standing alone (a cell, a value)
CODE_CELLS = re.compile(rf"(?m)(?:^|: )\s*({CODES})\s*$")
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d|\d\d:\d\d(?::\d\d)?(?:\.\d+)?(?:Z|\+00:?00)\b")
ASCII_COMPARISON = re.compile(r">=|<=")
FILE_NAME = re.compile(r"[\w./-]+\.(?:json|gpkg|html|pdf|docx|xlsx|csv|jpg|png|md|txt)\b")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")
HAN = re.compile(r"[\u3400-\u9fff]+")
# names and formats that stay as they are in a Chinese page
LATIN_NAMES = {
    "English",
    "Leaflet",
    "GeoPackage",
    "Open311",
    "API",
    "Excel",
    "CSV",
    "PDF",
    "Word",
    "GeoJSON",
    "WGS",
}
# names that stay as they are in an English page: the language switch and the demo's data
# (the city's name, its units' names and its people's names are added from the seed)
HAN_NAMES = {"中文", "示范市", "请尽快处理", "口袋公园建设", "绿化资金预算表", "市民上报页面"}


@pytest.fixture(scope="module")
def crawl(live_server: LiveServer) -> Iterator[dict[str, Any]]:
    """What the pages show: a dispatched, commented case in the officer's street, computed
    rankings, a target to report on, a missing ledger document and the case it filed (the
    ledger cases are discarded afterwards: a later file's coordinator files its own)."""
    server = live_server
    lon, lat = server.district_points[0]
    body = {"category": "weeds", "lon": lon, "lat": lat, "source": "grid_patrol"}
    case = server.api("POST", "/api/v1/cases", "admin", json=body | {"priority": "urgent"})
    actions = f"/api/v1/cases/{case['id']}/actions"
    case = server.api(
        "POST",
        f"{actions}/dispatch",
        "admin",
        json={"version": case["version"], "unit_id": server.units["d1s1"]},
    )
    server.api(
        "POST",
        f"{actions}/comment",
        "admin",
        json={"version": case["version"], "reason": "请尽快处理"},
    )
    server.api("POST", "/api/v1/rankings/compute", "admin")
    # a what-if (a park of about 200 m × 200 m) computed while the other pages are read: the
    # runs page shows the latest what-if's result
    d = 0.001
    park = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    edits = {"parks": [{"type": "Polygon", "coordinates": [[*park, park[0]]]}]}
    server.api("POST", "/api/v1/runs", "admin", json={"edits": edits | {"shaded_roads": []}})
    target = {
        "unit_id": server.units["d1"],
        "action_code": "plan_pocket_parks",
        "action_name": "口袋公园建设",
        "metric": "new_green_area_ha",
        "target_value": 5,
        "year": 2026,
    }
    listed = server.api("GET", "/api/v1/targets", "admin")["targets"]
    if not any(t["action_code"] == target["action_code"] for t in listed):  # a shared server
        server.api("POST", "/api/v1/targets", "admin", json=target)
    items = server.api("GET", "/api/v1/ledger/completeness", "admin")["items"]
    server.api(
        "POST",
        "/api/v1/ledger",
        "admin",
        json={
            "item_id": items[-1]["item_id"],
            "title": "绿化资金预算表",
            "kind": "plan",
            "owner_unit_id": server.units["d1"],
            "status": "missing",
        },
    )
    ledger_cases = server.api("POST", "/api/v1/ledger/missing-cases", "admin", json={})
    units = server.api("GET", "/api/v1/units", "admin")
    users = server.api("GET", "/api/v1/users", "admin")
    # data the office entered: other cities' figures, the titles of ledger documents
    peers = server.api("GET", "/api/v1/benchmark/figures", "admin")
    documents = server.api("GET", "/api/v1/ledger", "admin")
    names = (
        {u["name"] for u in units}
        | {u["display_name"] for u in users}
        | {str(f[k]) for f in peers for k in ("city", "province", "source") if f[k]}
        | {d["title"] for d in documents if d["kind"] != "generated"}
        | HAN_NAMES
    )
    yield {
        "case": case,
        "usernames": [u["username"] for u in users],
        "names": sorted(names, key=len, reverse=True),
        "districts": {u["code"]: u["name"] for u in units if u["kind"] == "district"},
    }
    _discard(server, ledger_cases)


def _discard(server: LiveServer, cases: list[dict[str, Any]]) -> None:
    """Discard the cases (still filed) on the server the other test files share."""
    for filed in cases:
        version = server.api("GET", f"/api/v1/cases/{filed['id']}", "admin")["version"]
        server.api(
            "POST",
            f"/api/v1/cases/{filed['id']}/actions/discard",
            "admin",
            json={"version": version, "reason": "测试结束"},
        )


def problems(text: str, lang: str, names: list[str]) -> list[str]:
    """What a reader of ``lang`` should not meet in ``text``."""
    text = FILE_NAME.sub(" ", text)  # a file's name is data
    for name in names:
        text = text.replace(name, " ")
    text = re.sub(r"\bGC\d+\b", " ", text)  # case references
    found = [f"code {m}" for m in SNAKE_CASE.findall(text)]
    found += [f"code {w}" for w in (CODE_WORDS if lang == "zh" else CODE_CELLS).findall(text)]
    found += [f"UTC time {m}" for m in ISO_UTC.findall(text)]
    found += [f"ASCII {m}" for m in ASCII_COMPARISON.findall(text)]
    if lang == "zh":
        found += [f"English {w}" for w in LATIN_WORD.findall(text) if w not in LATIN_NAMES]
    else:
        found += [f"Chinese {w}" for w in HAN.findall(text)]
    return found


SHOWN = """() => [document.title, document.body.innerText,
    ...[...document.querySelectorAll('option')].map((o) => o.textContent),
    ...[...document.querySelectorAll('[title]')].map((e) => e.title),
    ...[...document.querySelectorAll('[placeholder]')].map((e) => e.placeholder),
    ...[...document.querySelectorAll('[aria-label]')].map((e) => e.getAttribute('aria-label')),
    ...[...document.querySelectorAll('img[alt]')].map((e) => e.alt),
    ...[...document.querySelectorAll('.leaflet-popup-content')].map((e) => e.innerText)
    ].join('\\n')"""


QUIET_MS, STEP_MS = 250, 25  # no request under way for this long: settled


class Crawler:
    """One role's browser context in one language: visit, read, photograph."""

    def __init__(self, page: Any, role: str, lang: str, names: list[str]) -> None:
        self.page, self.role, self.lang, self.names = page, role, lang, names
        self.found: dict[str, list[str]] = {}
        self.seen: list[str] = []
        # the page's requests under way, and how many were made: a page has settled once
        # none has been under way for QUIET_MS (Playwright's "networkidle" waits 500 ms
        # after every page load, the larger part of the crawl's time)
        self.pending: set[Any] = set()
        self.made = self.settled_at = 0
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, request: Any) -> None:
        self.pending.add(request)
        self.made += 1

    def _ended(self, request: Any) -> None:
        self.pending.discard(request)

    def settle(self) -> None:
        if self.pending or self.made != self.settled_at:  # something asked since it settled
            quiet_for, deadline = 0, time.monotonic() + 30
            while quiet_for < QUIET_MS:
                assert time.monotonic() < deadline, f"requests still under way: {self.pending}"
                self.page.wait_for_timeout(STEP_MS)
                quiet_for = 0 if self.pending else quiet_for + STEP_MS
            self.settled_at = self.made
        self.page.wait_for_function(
            "() => !document.body.innerText.includes('加载中') &&"
            " !document.body.innerText.includes('Loading…')",
            timeout=30_000,
        )

    def check(self, state: str, names: list[str] | None = None) -> None:
        """Read what the page shows now and keep a screenshot at desktop and phone size."""
        self.settle()
        shown = str(self.page.evaluate(SHOWN))
        found = problems(shown, self.lang, sorted([*self.names, *(names or [])], key=len)[::-1])
        if found:
            self.found[state] = sorted(set(found))
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            self.page.set_viewport_size(viewport)
            path = SHOTS / f"{self.role}-{self.lang}-{state}-{size}.png"
            # the whole page at desktop size; a phone's first screens (a table's page on a
            # phone runs to metres)
            self.page.screenshot(path=str(path), full_page=size == "desktop")
        self.page.set_viewport_size(DESKTOP)
        self.seen.append(state)

    def visit(
        self,
        state: str,
        path: str,
        then: Callable[[Any], None] | None = None,
        names: list[str] | None = None,
    ) -> None:
        self.page.goto(path)
        self.settle()
        if then is not None:
            then(self.page)
        self.check(state, names)


def _open_case(case: dict[str, Any]) -> Callable[[Any], None]:
    def ready(page: Any) -> None:
        page.wait_for_selector("#timeline li", timeout=30_000)

    return ready


def _report_dialog(page: Any) -> None:
    if page.locator("#report-dialog").count() == 0:  # a role that does not report progress
        return
    page.wait_for_selector("#target-table button.report", timeout=30_000)
    page.locator("#target-table button.report").first.click()
    page.wait_for_selector("#report-dialog[open]")


def _map_feature(page: Any) -> list[str]:
    """A green space's details; its name is data, in the city's language."""
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    page.check("#layer-green_spaces")
    page.wait_for_selector("#count-green_spaces[data-count]")
    click_a_feature(page, "green_spaces", "/api/v1/map/layers/green_spaces.geojson")
    page.wait_for_selector("#details dt")
    return list(
        page.evaluate(
            """(labels) => [...document.querySelectorAll('#details dt')]
            .filter((dt) => labels.includes(dt.innerText))
            .map((dt) => dt.nextElementSibling.innerText)""",
            list(vocabulary().pair("fields", "name")),
        )
    )


def _whatif_result(page: Any) -> None:
    """The siting suggestions drawn, and the result of the what-if the fixture started."""
    if page.locator("#suggest-sites").count() == 0:  # a role without the what-if mode
        return
    page.wait_for_selector("#run-table tr[data-status='succeeded']", timeout=30_000)
    page.click("#suggest-sites")
    page.wait_for_selector("#suggest-result li, #suggest-result p", timeout=60_000)
    # the page follows the running what-if and shows its result when it is done
    page.wait_for_selector("#whatif-table", timeout=300_000)


def _refused_spot_check(page: Any) -> None:
    """More problem sites than sites: the server refuses it and says why."""
    page.fill("#s-population", "10")
    page.fill("#s-problems", "20")
    page.click("#spot-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('toast').innerText.trim() !== ''")


STATES: dict[str, Callable[[Any], list[str] | None]] = {
    "targets": _report_dialog,
    "map": _map_feature,
    "runs": _whatif_result,
    "spot-checks": _refused_spot_check,
}


@pytest.fixture
def crawler(
    browser: Any, live_server: LiveServer, crawl: dict[str, Any], request: pytest.FixtureRequest
) -> Iterator[Crawler]:
    role, lang = request.param
    username = ROLES[role]
    if username is None:
        context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        page = context.new_page()
        watch_errors(page)
    else:
        page = login(browser, live_server, username)
    page.set_viewport_size(DESKTOP)
    page.goto(f"/{'public' if username is None else 'account'}?lang={lang}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    # titles people typed on cases filed so far (other test files share the server): data
    filed = live_server.api("GET", "/api/v1/cases?per_page=500", "admin")["items"]
    typed = {c["title"] for c in filed if c["source"] != "indicator_gap" and c["title"]}
    names = sorted({*crawl["names"], *typed}, key=len, reverse=True)
    yield Crawler(page, role, lang, names)
    page.context.close()


# the role each crawled user holds (auth/roles.py): the pages its navigation must offer
ROLE_CODES = dict(zip(ROLES, ["admin", "inspector", "leader", "coordinator", "officer",
                              "inspector", None], strict=True))  # fmt: skip


def cases(lang: str) -> list[Any]:
    """Every role in ``lang``, the campaign office last (its what-if is computed meanwhile);
    English is crawled by test_crawl_every_page_en.py, so that two workers share the work."""
    order = [*list(ROLES)[1:], "admin"]
    return [pytest.param((role, lang), id=f"{role}-{lang}") for role in order]


def crawl_every_page(crawler: Crawler, crawl: dict[str, Any]) -> None:
    page = crawler.page
    nav = page.locator("header nav a").evaluate_all("(links) => links.map((a) => a.pathname)")
    extra = ["/account", "/inbox"] if crawler.role != "public" else ["/login"]
    for path in [*nav, *extra]:
        name = path.strip("/") or "home"
        # the account page shows one's own login name
        crawler.visit(name, path, names=crawl["usernames"] if name == "account" else None)
        if name in STATES:
            crawler.check(f"{name}-state", STATES[name](page))
    if crawler.role != "public":
        case = crawl["case"]
        crawler.visit("case", f"/cases/{case['id']}", _open_case(case))
        crawler.visit("case-search", f"/cases?q={case['reference']}")
    offered = {n for n, (_, roles) in NAV.items() if ROLE_CODES[crawler.role] in roles}
    assert offered <= set(crawler.seen), "a page of the role's navigation was not crawled"
    print(f"\n{crawler.role} {crawler.lang}: {len(crawler.seen)} states, screenshots in {SHOTS}")
    assert crawler.found == {}, "\n" + "\n".join(f"{k}: {v}" for k, v in crawler.found.items())
    assert page.errors == []


@pytest.mark.parametrize("crawler", cases("zh"), indirect=True)
def test_every_page_and_state_speaks_chinese(crawler: Crawler, crawl: dict[str, Any]) -> None:
    crawl_every_page(crawler, crawl)


def test_the_problems_found_are_the_ones_a_reader_would_see() -> None:
    """The checks themselves: each kind of problem is found, a name is not."""
    names = ["鼓楼区", "示范市"]
    assert problems("状态 pass_unverified: 6", "zh", names) == [
        "code pass_unverified",
        "English pass",
        "English unverified",
    ]
    assert problems("优先级 urgent", "zh", names) == ["code urgent", "English urgent"]
    assert problems("2026-03-01T08:00:00Z", "en", names) == ["UTC time 2026-03-01T08:00"]
    assert problems("coverage >= 80 %", "en", names) == ["ASCII >="]
    assert problems("Gulou 鼓楼区 · 示范市 Park", "en", names) == []
    assert problems("Every week\nPriority: urgent", "en", names) == ["code urgent"]
    assert problems("District 玄武区", "en", names) == ["Chinese 玄武区"]
    assert problems("鼓楼区人均公园绿地 4.6 m²/人，低于 5.5（PDF）", "zh", names) == []
    assert Path(SHOTS).name == "crawl"
