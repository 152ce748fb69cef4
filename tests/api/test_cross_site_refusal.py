"""Why a cross-site API request was refused is said in the request's language: the browser's
Sec-Fetch-Site value, the foreign Origin or Referer, or that the request does not say."""

from __future__ import annotations

import re

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from gardencity.api.deps import SESSION_COOKIE
from gardencity.api.lang import LANG_COOKIE
from gardencity.api.security import CrossSiteGuard

HAN = re.compile(r"[\u3400-\u9fff]")


def _app() -> CrossSiteGuard:
    async def done(request: object) -> Response:
        return JSONResponse({"done": True})

    inner = Starlette(routes=[Route("/api/v1/cases", done, methods=["POST"])])
    return CrossSiteGuard(inner, lambda lang: Response("refused", status_code=403))


CASES = [
    ({"Sec-Fetch-Site": "cross-site"}, "其他网站", "another site"),
    ({"Sec-Fetch-Site": "none"}, "地址栏或书签", "the address bar or a bookmark"),
    ({"Origin": "http://evil.example"}, "请求来源为 http://evil.example", "comes from http://evil"),
    ({"Referer": "http://evil.example/a"}, "http://evil.example 的页面", "a page of http://evil"),
    ({}, "请求未标明来源", "does not say where it comes from"),
]


@pytest.mark.parametrize(("headers", "chinese", "english"), CASES)
def test_a_refused_request_says_why_in_its_language(
    headers: dict[str, str], chinese: str, english: str
) -> None:
    client = TestClient(_app())
    for lang, expected in (("zh", chinese), ("en", english)):
        client.cookies.set(SESSION_COOKIE, "s")
        client.cookies.set(LANG_COOKIE, lang)
        response = client.post("/api/v1/cases", headers=headers)
        assert response.status_code == 403
        error = response.json()["error"]
        message = str(error["message"])
        assert error["code"] == "cross_site_request" and expected in message, message
        if lang == "zh":  # Chinese but for the header a script must send and a foreign address
            rest = message.replace("Authorization: Bearer", "").replace("http://evil.example", "")
            assert not re.search(r"[A-Za-z]{2,}", rest), message
        else:
            assert not HAN.search(message), message


def test_the_apps_own_page_is_let_through() -> None:
    client = TestClient(_app())
    client.cookies.set(SESSION_COOKIE, "s")
    response = client.post("/api/v1/cases", headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200 and response.json() == {"done": True}
