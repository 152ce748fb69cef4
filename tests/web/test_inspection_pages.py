"""The inspection pages in real Chromium against the live server: a resident answers the
satisfaction survey on a phone and the coordinator sees the response counted; a coordinator
registers ledger documents, watches completeness change and files cases for the gaps; the
spot-check rehearsal; the office enters a peer city's figure and sees the rank; navigation
per role; accessibility (axe-core)."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from scipy.stats import hypergeom

from tests.web.conftest import PHONE, LiveServer, jpeg, login

pytestmark = pytest.mark.slow


def _results(server: LiveServer) -> dict[str, Any]:
    result: dict[str, Any] = server.api("GET", "/api/v1/survey/results", "coord1")
    return result


def test_a_resident_answers_the_survey_on_a_phone_and_the_coordinator_sees_it(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    before = _results(live_server)
    ctx = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/public")
    page.click("#survey-link")  # the residents' page leads to the survey
    page.wait_for_selector("#survey-form:not([hidden])")
    assert page.locator("h1").inner_text() == "城市园林绿化公众满意度调查"
    # nothing answered: the form says what is missing instead of sending
    page.click("#survey-form button[type=submit]")
    assert "请回答所有必答题" in page.locator("#survey-error").inner_text()
    assert page.locator("#survey-receipt").count() == 0

    stratum = page.locator("#s-stratum option").nth(1).get_attribute("value")
    assert stratum
    page.select_option("#s-stratum", stratum)
    # keyboard: arrow keys move through a rating's radio buttons and choose
    page.focus("#q-overall-0")
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.locator("#q-overall-3").is_checked()  # "4" = 比较满意
    page.locator("label[for='q-park_nearby-0']").tap()  # 是
    page.locator("label[for='q-park_quality-4']").tap()
    page.locator("label[for='q-street_shade-2']").tap()
    page.locator("label[for='q-visit_frequency-1']").tap()  # 每周
    page.fill("#q-suggestion", "希望增加林荫道")
    # phone-sized: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "survey-phone")
    page.click("#survey-form button[type=submit]")
    receipt = page.locator("#survey-receipt").inner_text(timeout=20_000)
    assert "感谢您的参与" in page.locator("#survey-thanks").inner_text()
    assert page.locator("#survey-form").is_hidden()
    shot(page, "survey-thanks")
    assert errors == []
    ctx.close()

    after = _results(live_server)
    assert after["n"] == before["n"] + 1 and int(receipt) > 0
    assert (
        after["questions"]["overall"]["n"] == before["questions"].get("overall", {}).get("n", 0) + 1
    )
    # two more residents of the same district answer: now the interval can be computed
    for score in (5, 2):
        answer = httpx.post(
            f"{live_server.url}/api/v1/public/survey/responses",
            json={
                "stratum": stratum,
                "answers": {
                    "overall": score,
                    "park_nearby": False,
                    "park_quality": 3,
                    "street_shade": 4,
                    "visit_frequency": "每月",
                },
            },
        )
        assert answer.status_code == 201, answer.text
    after = _results(live_server)

    page = login(browser, live_server, "coord1")
    assert "满意度结果" in page.locator("header nav").inner_text()
    page.goto("/survey-results")
    page.wait_for_selector("body[data-loaded='1']")
    assert int(page.locator("#n-responses").get_attribute("data-count")) == after["n"]
    row = page.locator(f"#strata-table tr[data-stratum='{stratum}'] td.responses")
    assert int(row.inner_text()) == after["responses_by_stratum"][stratum]
    requirement = after["requirement"]
    assert page.locator("#req-verdict").get_attribute("data-verdict") == requirement["verdict"]
    assert page.locator("#req-threshold").inner_text() == f"≥ {requirement['min_satisfied_pct']:g}%"
    assert "未核实" in page.locator("#req-confidence").inner_text()  # the vocabulary's confidence
    main = after["questions"]["overall"]["satisfied_pct"]
    assert page.locator("#main-pct").inner_text() == f"{main['estimate']:.1f}%"
    assert page.locator("#chart-survey canvas").count() == 1
    # the question table shows the interval for the rating questions
    overall = page.locator("#question-table tr[data-question='overall']").inner_text()
    assert main["ci_low"] is not None and main["ci_low"] < main["estimate"] < main["ci_high"]
    interval = f"{max(0, main['ci_low']):.1f} – {min(100, main['ci_high']):.1f}"  # a share
    assert interval in overall
    assert page.locator("#main-ci").inner_text().endswith(interval)
    shot(page, "survey-results")
    assert page.errors == []
    page.context.close()


def test_a_coordinator_registers_ledger_documents_and_files_the_gaps(
    browser: Any, live_server: LiveServer, shot: Any, tmp_path: Any
) -> None:
    page = login(browser, live_server, "coord1")
    assert "台账" in page.locator("header nav").inner_text()
    page.goto("/ledger")
    page.wait_for_selector("body[data-loaded]")
    items = page.locator("#l-item option")
    first, second = items.nth(0).get_attribute("value"), items.nth(1).get_attribute("value")
    overall_before = float(page.locator("#ledger-pct").get_attribute("data-pct"))
    docs_before = int(page.locator(f"#item-table tr[data-item='{first}'] td.docs").inner_text())
    # the server's assessment run registered its outputs as evidence of the measured items
    generated = page.locator(f"#item-table tr[data-item='{first}'] td.generated").inner_text()
    assert int(generated) >= 1
    district = str(live_server.units["d1"])

    def register(item: str, title: str, status: str, photo: bytes | None = None) -> None:
        loaded = page.locator("body").get_attribute("data-loaded")
        page.select_option("#l-item", item)
        page.fill("#l-title", title)
        page.select_option("#l-kind", "plan")
        page.select_option("#l-owner", district)
        page.fill("#l-due", "2026-06-30")
        page.select_option("#l-status", status)
        if photo is not None:
            page.set_input_files(
                "#l-file", {"name": "规划批复.jpg", "mimeType": "image/jpeg", "buffer": photo}
            )
        page.click("#ledger-form button[type=submit]")
        page.wait_for_function(f"() => document.body.dataset.loaded !== '{loaded}'", timeout=20_000)
        assert page.locator("#ledger-error").inner_text() == ""

    register(first, "城市绿地系统专项规划（2021—2035）", "accepted", jpeg((40, 120, 60)))
    uploaded = page.locator(f"#doc-table tr[data-item='{first}'] td.file").last.inner_text()
    assert uploaded == "规划批复.jpg"
    row = page.locator(f"#item-table tr[data-item='{first}']")
    assert int(row.locator("td.docs").inner_text()) == docs_before + 1
    if docs_before == 0:
        assert row.get_attribute("data-pct") == "100"
        assert float(page.locator("#ledger-pct").get_attribute("data-pct")) > overall_before
    register(second, "绿化资金预算表", "missing")
    second_pct = page.locator(f"#item-table tr[data-item='{second}']").get_attribute("data-pct")
    assert float(second_pct) < 100  # a missing document keeps the item incomplete
    unit_row = page.locator(f"#unit-table tr[data-unit='{district}']")
    assert unit_row.count() == 1
    api_view = live_server.api("GET", "/api/v1/ledger/completeness", "coord1")
    shown = float(page.locator("#ledger-pct").get_attribute("data-pct"))
    assert shown == api_view["completeness_pct"]
    assert page.locator("#doc-table tr[data-doc]").count() == len(
        live_server.api("GET", "/api/v1/ledger", "coord1")
    )
    shot(page, "ledger")

    # cases for the missing items; the coordinator's own district's item among them
    page.click("#file-cases")
    page.wait_for_selector("#cases-list li, #cases-none")
    filed = page.locator("#cases-list li").evaluate_all("(lis) => lis.map((li) => li.dataset.item)")
    assert second in filed
    assert "_" not in page.locator("#cases-list").inner_text()  # items by name, not by id
    case_id = page.locator("#cases-list li a").first.get_attribute("href").rsplit("/", 1)[1]
    case = live_server.api("GET", f"/api/v1/cases/{case_id}", "coord1")
    assert case["category"] == "ledger_missing"
    # a second click files nothing twice
    page.click("#file-cases")
    page.wait_for_function(
        "() => !document.querySelector('#cases-list') || ![...document.querySelectorAll("
        f"'#cases-list li')].some((li) => li.dataset.item === '{second}')"
    )

    # the missing document arrives: its status changes on the page and the item is complete
    doc = page.locator(f"#doc-table tr[data-item='{second}']").last
    doc_id = doc.get_attribute("data-doc")
    loaded = page.locator("body").get_attribute("data-loaded")
    page.select_option(f"#st-{doc_id}", "accepted")
    page.wait_for_function(f"() => document.body.dataset.loaded !== '{loaded}'")
    second_row = page.locator(f"#item-table tr[data-item='{second}']")
    assert second_row.get_attribute("data-pct") == "100"

    # the index workbook lists the registered document
    with page.expect_download() as download:
        page.click("#ledger-download")
    path = tmp_path / "index.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(io.BytesIO(path.read_bytes())).active
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
    assert "城市绿地系统专项规划（2021—2035）" in cells
    assert page.errors == []
    page.context.close()


def test_the_spot_check_rehearsal_shows_the_hit_chance(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    page = login(browser, live_server, "inspector")
    page.goto("/spot-checks?lang=en")
    page.fill("#s-population", "100")
    page.fill("#s-problems", "5")
    page.fill("#s-sample", "10")
    page.click("#spot-form button[type=submit]")
    page.wait_for_selector("#spot-chance")
    expected = 1 - hypergeom(100, 5, 10).pmf(0)
    page.wait_for_function(
        "() => Math.abs(Number(document.querySelector('#spot-chance').dataset.chance)"
        f" - {expected}) < 1e-9"
    )
    assert page.locator("#spot-chance").inner_text() == f"{expected * 100:.1f}%"
    assert "Chance of meeting a problem site" in page.locator("#spot-result").inner_text()
    shot(page, "spot-checks")
    page.context.close()


def test_the_survey_results_are_for_the_roles_allowed(
    browser: Any, live_server: LiveServer
) -> None:
    page = login(browser, live_server, "officer11")
    nav = page.locator("header nav").inner_text()
    assert "台账" in nav and "满意度结果" not in nav
    page.goto("/survey-results")
    assert not page.url.endswith("/survey-results")
    page.goto("/ledger")
    page.wait_for_selector("body[data-loaded]")
    assert page.locator("#ledger-form").count() == 0  # viewing only
    assert page.locator("#file-cases").count() == 0
    page.context.close()
    # anonymous visitors reach the survey, not the results; English on request
    assert "/login" in str(httpx.get(f"{live_server.url}/ledger").headers.get("location"))
    english = httpx.get(f"{live_server.url}/survey?lang=en").text
    assert "Satisfaction survey" in english and "Submit" in english


def test_the_office_enters_a_peer_figure_and_sees_the_rank(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    page = login(browser, live_server, "admin")
    page.goto("/benchmark")
    page.wait_for_selector("body[data-loaded]")
    loaded = page.locator("body").get_attribute("data-loaded")
    page.fill("#b-city", "标杆市")
    page.fill("#b-province", "江苏省")
    page.fill("#b-year", "2024")
    page.select_option("#b-indicator", "green_coverage_ratio")
    page.fill("#b-value", "99.5")
    page.fill("#b-source", "2024年统计公报")
    page.click("#bench-form button[type=submit]")
    page.wait_for_function(f"() => document.body.dataset.loaded !== '{loaded}'", timeout=20_000)
    assert page.locator("#bench-error").inner_text() == ""
    assert "标杆市" in page.locator("#figure-table tbody").inner_text()
    row = page.locator("#rank-table tr[data-indicator='green_coverage_ratio']")
    assert row.get_attribute("data-rank") == "2"
    assert (
        row.locator(".rank").inner_text() == "2 / 2"
        and row.locator(".leader").inner_text() == "标杆市"
    )
    shot(page, "benchmark")
    page.context.close()
    # a leader reads the table but gets no form; an officer does not see the page at all
    page = login(browser, live_server, "leader")
    page.goto("/benchmark")
    page.wait_for_selector("body[data-loaded]")
    assert page.locator("#bench-form").count() == 0
    assert page.locator("#rank-table tr[data-indicator='green_coverage_ratio']").count() == 1
    page.context.close()
    page = login(browser, live_server, "officer11")
    assert "同类城市对标" not in page.locator("header nav").inner_text()
    page.context.close()


@pytest.mark.parametrize(
    "path", ["/survey", "/survey-results", "/ledger", "/spot-checks", "/benchmark"]
)
def test_inspection_pages_accessibility(
    browser: Any, live_server: LiveServer, shot: Any, path: str
) -> None:
    """axe-core finds no missing labels, names or low contrast; every control has a label."""
    if path == "/survey":
        page = browser.new_context(base_url=live_server.url).new_page()
    else:
        page = login(browser, live_server, "admin")
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'rule', values: ['label', 'color-contrast', 'button-name',
              'link-name', 'select-name', 'html-has-lang', 'document-title', 'image-alt',
              'aria-allowed-attr', 'duplicate-id-aria', 'duplicate-id', 'list',
              'definition-list', 'th-has-data-cells']}})"""
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
