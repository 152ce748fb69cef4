"""A field the browser refuses is told in the page's language, not the phone's: Chromium
draws "Please fill out this field" in its own language, whatever the page's; app.js gives
each refused field the page's words instead, and clears them once the field changes."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import PHONE, LiveServer, login, watch_errors

MESSAGE = "(e) => e.validationMessage"


def test_a_refused_field_is_told_in_the_chinese_pages_words_on_an_english_phone(
    browser: Any, live_server: LiveServer
) -> None:
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport=PHONE)
    page = context.new_page()
    watch_errors(page)
    page.goto("/login")
    page.click("button[type=submit]")
    assert page.eval_on_selector("#username", MESSAGE) == "请填写此项"
    assert page.url.endswith("/login")  # nothing sent
    page.locator("#username").press_sequentially("patrol1")
    assert page.eval_on_selector("#username", MESSAGE) == ""  # cleared as it is typed
    page.click("button[type=submit]")
    assert page.eval_on_selector("#password", MESSAGE) == "请填写此项"

    page.goto("/public")
    page.locator("#r-email").press_sequentially("not-an-address")
    page.click("#report-form button[type=submit]")
    assert page.eval_on_selector("#r-email", MESSAGE) == (
        "请输入有效的电子邮件地址，如 name@example.com"
    )
    page.locator("#r-email").fill("name@example.com")
    assert page.eval_on_selector("#r-email", MESSAGE) == ""
    assert page.errors == []
    context.close()


def test_a_refused_field_is_told_in_the_english_pages_words_on_a_chinese_phone(
    browser: Any, live_server: LiveServer
) -> None:
    page = login(browser, live_server, "patrol1", viewport=PHONE)  # a zh-CN browser
    page.goto("/account?lang=en")
    page.locator("#new-password").press_sequentially("abc")
    page.click("#password-form button[type=submit]")
    assert page.eval_on_selector("#current-password", MESSAGE) == "Fill in this field"
    assert page.eval_on_selector("#new-password", MESSAGE) == "Use at least 8 characters (now 3)"
    page.locator("#new-password").press_sequentially("defgh")
    assert page.eval_on_selector("#new-password", MESSAGE) == ""
    one = page.evaluate("() => tf('v_too_short', {min: 1, n: 0})")
    assert one == "Use at least 1 character (now 0)"
    assert page.errors == []
    page.context.close()
