"""The crawl of test_crawl_every_page.py in English: every page and state, per role, shows
no Chinese beyond the names that are data, no code, no UTC time, no ASCII ``>=``. (A file of
its own, so that the two languages run on two workers.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.test_crawl_every_page import Crawler, cases, crawl, crawl_every_page, crawler

pytestmark = pytest.mark.slow
__all__ = ["crawl", "crawler"]  # the fixtures, shared


@pytest.mark.parametrize("crawler", cases("en"), indirect=True)
def test_every_page_and_state_speaks_english(crawler: Crawler, crawl: dict[str, Any]) -> None:
    crawl_every_page(crawler, crawl)
