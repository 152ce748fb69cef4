"""axe-core (WCAG 2 A and AA rules) finds nothing on any page, each as the role that uses it
(real Chromium, S demo city)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import LiveServer, login

pytestmark = pytest.mark.slow

PAGES = {
    "/cockpit": "admin",
    "/brief": "leader",
    "/map": "admin",
    "/cases": "coord1",
    "/patrol": "patrol1",
    "/patrol-teams": "admin",
    "/rankings": "admin",
    "/targets": "admin",
    "/runs": "admin",
    "/ledger": "admin",
    "/inbox": "coord1",
    "/account": "coord1",
    "/notifications": "admin",
    "/public": None,
    "/survey": None,
    "/login": None,
}
AXE = """async () => (await axe.run(document, {runOnly: {type: 'tag',
    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations.map(
    (v) => `${v.id}: ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ')}`)"""


def test_no_page_has_an_accessibility_violation(browser: Any, live_server: LiveServer) -> None:
    found: dict[str, list[str]] = {}
    pages: dict[str | None, Any] = {}
    for path, role in PAGES.items():
        if role not in pages:
            pages[role] = (
                login(browser, live_server, role)
                if role
                else browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
            )
        page = pages[role]
        page.goto(path)
        page.wait_for_load_state("networkidle")
        page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
        violations = page.evaluate(AXE)
        if violations:
            found[path] = violations
    for page in pages.values():
        page.context.close()
    assert found == {}
