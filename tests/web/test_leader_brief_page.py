"""The leaders' brief in real Chromium on the S demo city: a leader lands on it; it names the
district short of the standard, by how much and who answers for it, in Chinese; English mode
is English but for proper names; it prints as one A4 document in the official house style."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest

from tests.web.conftest import ARTIFACTS, PHONE, LiveServer, login

pytestmark = pytest.mark.slow

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_a_leader_lands_on_the_brief_and_can_print_it(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    page = login(browser, live_server, "leader")
    assert page.url.endswith("/brief")
    shortfalls = page.locator("#shortfall-list").inner_text()
    # the demo city's 鼓楼区 has too little park per resident: said in words, with the unit
    assert re.search(
        r"鼓楼区：人均公园绿地面积 [\d.]+ m²/人，低于 [\d.]+ m²/人，需新增公园绿地约", shortfalls
    )
    assert "责任单位：鼓楼区" in shortfalls
    assert page.locator("#first-list li").count() >= 1
    assert page.locator("h2").first.inner_text().startswith("一、")
    shot(page, "brief-zh")
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.locator("#brief-print").is_hidden()
    pdf = ARTIFACTS / "brief-zh.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "A4" in pages.stdout
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(ARTIFACTS / "brief")],
        check=True,
    )
    assert page.errors == []
    page.context.close()


def test_the_brief_in_english_and_on_a_phone(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    page = login(browser, live_server, "admin", viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/brief?lang=en")
    text = page.locator("#brief").inner_text()
    names = [u["name"] for u in live_server.api("GET", "/api/v1/units", "admin")]
    names += [u["display_name"] for u in live_server.api("GET", "/api/v1/users", "admin")]
    targets = live_server.api("GET", "/api/v1/targets", "admin")["targets"]
    names += [t["action_name"] for t in targets if t["action_name"]]  # names the office gave
    for name in sorted(names, key=len, reverse=True):  # proper names stay as they are
        text = text.replace(name, "")
    assert not HAN.search(text), HAN.findall(text)[:20]
    assert "m²/person" in text and "What to do first" in text
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing runs off a phone's screen
    shot(page, "brief-en-phone")
    assert page.errors == []
    page.context.close()
