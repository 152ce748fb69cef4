"""Notifications in real Chromium: a case dispatched in the browser raises the unit officer's
inbox count without a reload; the inbox on a phone; the admin's channels with a test button
against a local robot; a resident's opt-in and stop page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.notifications._receivers import platforms
from tests.web.conftest import PHONE, LiveServer, login

pytestmark = pytest.mark.slow

AXE = """async () => await axe.run(document, {runOnly: {type: 'rule', values: ['label',
  'color-contrast', 'button-name', 'link-name', 'select-name', 'html-has-lang',
  'document-title', 'aria-allowed-attr', 'duplicate-id-aria']}})"""


def _axe(page: Any) -> list[str]:
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    result = page.evaluate(AXE)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:5]}" for v in result["violations"]]


def test_a_dispatch_in_the_browser_raises_the_officers_count_without_reload(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    lon, lat = live_server.district_points[0]
    case = live_server.api(
        "POST", "/api/v1/cases", "patrol1", json={"category": "weeds", "lon": lon, "lat": lat}
    )
    officer = login(browser, live_server, "officer11")
    officer.wait_for_function(
        "() => document.getElementById('inbox-link').dataset.unread !== undefined"
    )
    before = int(officer.locator("#inbox-link").get_attribute("data-unread"))
    officer.evaluate("window.__stillThisPage = true")

    coordinator = login(browser, live_server, "coord1")
    coordinator.goto(f"/cases/{case['id']}")
    coordinator.wait_for_selector("button[data-action=dispatch]")
    coordinator.select_option("#action-unit", str(live_server.units["d1s1"]))
    coordinator.click("button[data-action=dispatch]")
    coordinator.wait_for_selector("#case-title .st-dispatched")

    officer.wait_for_function(
        f"() => Number(document.getElementById('inbox-link').dataset.unread) > {before}",
        timeout=10000,
    )
    assert officer.evaluate("window.__stillThisPage") is True  # no reload
    badge = officer.locator("#inbox-count")
    assert badge.is_visible() and int(badge.inner_text()) == before + 1
    # its name is the text it shows and the count in words (no label that hides the text)
    link = officer.locator("#inbox-link")
    assert link.get_attribute("aria-label") is None
    name = officer.evaluate(
        "() => [...document.getElementById('inbox-link').childNodes]"
        ".filter((n) => !(n.getAttribute && n.getAttribute('aria-hidden')))"
        ".map((n) => n.textContent).join('')"
    )
    assert name.endswith(f" {before + 1} 条未读"), name
    assert officer.errors == [] and coordinator.errors == []
    coordinator.context.close()

    # the inbox on a phone: the new notification on top, the case waiting for the officer
    phone = login(
        browser,
        live_server,
        "officer11",
        viewport=PHONE,
        is_mobile=True,
        timezone_id="Asia/Shanghai",
    )
    phone.goto("/inbox")
    phone.wait_for_selector("#notes li.unread")
    first = phone.locator("#notes li").first.inner_text()
    assert "案卷已派遣，请及时处置" in first and case["reference"] in first
    expect(phone.locator("#work-list")).to_contain_text(case["reference"])  # once loaded
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing wider than the phone
    assert _axe(phone) == []
    shot(phone, "inbox-phone")
    # opening it marks it read, and the count falls
    phone.locator("#notes li.unread a").first.click()
    phone.wait_for_url(f"**/cases/{case['id']}")
    phone.wait_for_function(
        f"() => Number(document.getElementById('inbox-link').dataset.unread) === {before}"
    )
    phone.context.close()
    officer.context.close()


def test_the_admin_adds_a_robot_and_tests_it(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    with platforms() as robots:
        page = login(browser, live_server, "admin")
        page.goto("/notifications")
        page.wait_for_selector("#rules-table tbody tr")
        assert "未配置邮件服务器" in page.locator("#config-warnings").inner_text()
        page.click("#add-channel")
        page.select_option("#c-kind", "wecom")
        page.fill("#c-name", "鼓楼区第1街道工作群")
        page.select_option("#c-unit", str(live_server.units["d1s1"]))
        page.fill("#s-webhook_url", f"{robots.url}/wecom?key=robot-key-1")
        page.click("#channel-form button[type=submit]")
        row = page.locator("#channel-table tr", has_text="鼓楼区第1街道工作群")
        row.wait_for()
        assert "robot-key-1" not in row.inner_text()  # the key is a secret
        row.locator("button[data-op=test]").click()
        row.locator(".test-result.verdict-pass").wait_for()
        assert "测试消息已发送" in row.inner_text()
        body = robots.received("/wecom")[0].json
        assert body["markdown"]["content"].startswith('<font color="info">**通知渠道测试**')
        assert _axe(page) == []
        rules = page.locator("main").inner_text()
        assert "清理过期消息 每天 03:30" in rules and "北京时间" in rules  # in words
        shot(page, "notification-settings")
        page.goto("/notifications?lang=en")
        page.wait_for_selector("#channel-table tbody tr[data-kind=wecom]")
        text = page.locator("main").inner_text()
        assert "Channels" in text and "WeCom group robot" in text and "通知" not in text
        assert "Housekeeping daily at 03:30" in text and "China Standard Time" in text
        assert not set("、，：（）；") & set(text), [c for c in text if c in "、，：（）；"] + [
            text[max(0, text.find(c) - 40) : text.find(c) + 5] for c in "、，：（）；" if c in text
        ]
        shot(page, "notification-settings-en")
        page.context.close()


def test_a_resident_opts_in_and_stops(
    browser: Any, live_server: LiveServer, shot: Any, tmp_path: Path
) -> None:
    ctx = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True)
    page = ctx.new_page()
    page.goto("/public")
    lon, lat = live_server.district_points[1]
    page.fill("#r-lon", f"{lon:.6f}")
    page.fill("#r-lat", f"{lat:.6f}")
    page.fill("#r-phone", "13800000000")
    page.check("#r-notify")
    page.fill("#r-email", "resident@example.cn")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#optin-result")
    assert "已开启进展通知" in page.locator("#optin-result").inner_text()
    shot(page, "public-optin")
    from sqlalchemy import select

    from gardencity.db.engine import open_database
    from gardencity.notifications.models import ResidentSubscription
    from gardencity.settings import Settings

    db = open_database(Settings.for_workspace(live_server.workspace).database_url, migrate=False)
    with db.session() as session:
        token = session.scalars(
            select(ResidentSubscription.stop_token)
            .where(ResidentSubscription.address == "resident@example.cn")
            .order_by(ResidentSubscription.id.desc())
        ).first()
    db.dispose()
    page.goto(f"/n/stop/{token}")
    page.click("form button[type=submit]")
    page.wait_for_selector("#stop-result")
    assert "已退订" in page.locator("#stop-result").inner_text()
    shot(page, "stop-messages")
    ctx.close()
