"""The web's defences in real Chromium and on the live server: cross-site requests (from a
page on another port of the same host, and from another site) are refused while the app's
own pages work; every page carries a Content-Security-Policy without inline script and the
other security headers; page data is escaped so that no display name can break a page."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests._campaign import PASSWORD
from tests.web.conftest import LiveServer, jpeg, login, watch_errors

pytestmark = pytest.mark.slow

HOSTILE_NAME = "<!--<script>张三</script><script>alert(1)</script>\u2028&amp;"
PAGE_DATA = re.compile(r'<script id="page-data" type="application/json">(.*?)</script>', re.S)


class _Attacker:
    """Another web server on this host: its pages are same-site with the app when loaded as
    http://127.0.0.1:<port>/… and cross-site as http://localhost:<port>/…"""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.split("?")[0], "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def same_site(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def cross_site(self, path: str) -> str:
        return f"http://localhost:{self.port}{path}"


@pytest.fixture
def attacker() -> Iterator[_Attacker]:
    server = _Attacker()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _count(server: LiveServer, sql: str) -> int:
    database = server.workspace / "campaign" / "campaign.db"
    with sqlite3.connect(database) as connection:
        return int(connection.execute(sql).fetchone()[0])


def _state(server: LiveServer, case_id: int) -> tuple[int, int, int]:
    return (
        _count(server, "SELECT count(*) FROM auth_tokens WHERE kind = 'api'"),
        _count(server, f"SELECT count(*) FROM attachments WHERE case_id = {case_id}"),
        _count(server, "SELECT count(*) FROM audit_log WHERE action = 'ranking.compute'"),
    )


def _forging_page(target: str, case_id: int) -> str:
    """Mints an API token, uploads a photo and computes the rankings with the visitor's
    cookie (no-cors requests: the browser sends them without asking the app), posts the
    log-out form, and tries to frame the app."""
    photo = base64.b64encode(jpeg((200, 30, 30))).decode()
    return f"""<!doctype html><meta charset="utf-8"><title>forging</title>
<iframe id="frame" src="{target}/login"></iframe>
<form id="logout" method="post" action="{target}/logout"></form>
<script>
(async () => {{
  const send = (path, body) => fetch("{target}" + path,
    {{method: "POST", mode: "no-cors", credentials: "include", body}}).catch(() => null);
  await send("/api/v1/auth/tokens");
  const bytes = Uint8Array.from(atob("{photo}"), (c) => c.charCodeAt(0));
  const form = new FormData();
  form.append("file", new Blob([bytes], {{type: "image/jpeg"}}), "forged.jpg");
  await send("/api/v1/cases/{case_id}/attachments", form);
  await send("/api/v1/rankings/compute");
  document.title = "sent";
}})();
</script>"""


def _logged_in(page: Any, server: LiveServer) -> bool:
    page.goto(f"{server.url}/account")
    return "/login" not in page.url


@pytest.mark.parametrize("origin", ["same_site", "cross_site"])
def test_forged_requests_from_another_page_fail(
    browser: Any, live_server: LiveServer, attacker: _Attacker, shot: Any, origin: str
) -> None:
    case = live_server.api(
        "POST",
        "/api/v1/cases",
        "admin",
        json={
            "category": "weeds",
            "lon": live_server.district_points[0][0],
            "lat": live_server.district_points[0][1],
        },
    )
    attacker.pages["/forge.html"] = _forging_page(live_server.url, case["id"])
    page = login(browser, live_server, "admin")
    before = _state(live_server, case["id"])
    page.goto(getattr(attacker, origin)("/forge.html"), wait_until="load")
    page.wait_for_function("() => document.title === 'sent'", timeout=20_000)
    assert _state(live_server, case["id"]) == before  # no token, no photo, no ranking
    with page.expect_navigation():
        page.evaluate("document.getElementById('logout').submit()")
    assert page.locator("h1").inner_text() == "请求被拒绝"  # the refusal page
    shot(page, f"forged-{origin}")
    assert _logged_in(page, live_server)  # the forged log-out did not log the user out

    # the app's own pages still change things: a token made on the account page
    page.fill("#token-name", f"本页创建 {origin}")
    page.click("#token-form button[type=submit]")
    page.locator("#new-token").wait_for(state="visible")
    page.locator("#token-table tr", has_text=f"本页创建 {origin}").wait_for()
    tokens = _state(live_server, case["id"])[0]
    assert tokens == before[0] + 1

    page.goto(getattr(attacker, origin)("/forge.html"), wait_until="load")
    framed = page.frame_locator("#frame").locator("#username")
    assert framed.count() == 0  # frame-ancestors 'none': the log-in page is not shown inside
    # the only complaint: Chromium refusing to frame the app in the forging page
    assert [e for e in page.errors if "frame-ancestors 'none'" not in e] == []
    page.context.close()


def test_the_account_page_revokes_tokens_and_changes_the_password(
    browser: Any, live_server: LiveServer, shot: Any
) -> None:
    """The place in the UI for tokens and Open311 keys; the password form says why a
    password is refused."""
    page = login(browser, live_server, "admin")
    page.goto("/account")
    page.fill("#key-name", "市民App")
    page.click("#key-form button[type=submit]")
    page.locator("#new-key").wait_for(state="visible")
    row = page.locator("#key-table tr", has_text="市民App")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=re.compile("作废")).click()
    page.locator("#key-table tr", has_text="市民App").get_by_text("已作废").wait_for()

    page.fill("#current-password", PASSWORD)
    page.fill("#new-password", "woaini1314")
    page.click("#password-form button[type=submit]")
    error = page.locator("#password-error")
    error.wait_for(state="visible")
    assert "国内常用的密码" in error.inner_text()
    assert "password" not in error.inner_text()  # the page's language only
    shot(page, "account-admin")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "account-admin-phone")
    assert page.errors == []
    page.context.close()


def _session_cookie(server: LiveServer, username: str, password: str = PASSWORD) -> str:
    response = httpx.post(
        f"{server.url}/api/v1/auth/login", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture(scope="module")
def hostile_user(live_server: LiveServer) -> str:
    """A leader whose display name tries to end the page-data script."""
    live_server.api(
        "POST",
        "/api/v1/users",
        "admin",
        json={
            "username": "hostile",
            "display_name": HOSTILE_NAME,
            "password": "gold-canal-ferry-9",
            "role": "leader",
        },
    )
    return "hostile"


PAGES = ["/map", "/cockpit", "/cases", "/rankings", "/targets", "/runs", "/ledger",
         "/survey-results", "/spot-checks", "/benchmark", "/public", "/account"]  # fmt: skip


def test_every_page_escapes_its_data_and_sends_the_security_headers(
    live_server: LiveServer, hostile_user: str
) -> None:
    cookie = _session_cookie(live_server, hostile_user, "gold-canal-ferry-9")
    for path in [*PAGES, "/login", "/survey"]:
        response = httpx.get(f"{live_server.url}{path}", cookies={"gc_session": cookie})
        assert response.status_code == 200, path
        html = response.text
        match = PAGE_DATA.search(html)
        assert match, path
        embedded = match.group(1)
        for character in "<>&\u2028\u2029":
            assert character not in embedded, (path, character)
        data = json.loads(embedded)
        if path not in ("/login",):
            assert data["user"]["display_name"] == HOSTILE_NAME, path
        # no inline script: every <script> has a src, except the JSON page data
        scripts = re.findall(r"<script\b([^>]*)>", html)
        assert all("src=" in attrs or "application/json" in attrs for attrs in scripts), path
        assert not re.search(r"\son[a-z]+\s*=", html), path  # no inline event handlers
        headers = response.headers
        policy = headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'", policy
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
        permissions = headers["permissions-policy"]
        assert "camera=(self)" in permissions and "geolocation=(self)" in permissions
        assert "microphone=()" in permissions
        assert headers["x-content-type-options"] == "nosniff"
    api = httpx.get(f"{live_server.url}/api/v1/health")
    assert api.headers["content-security-policy"].startswith("default-src 'none'")


def test_a_hostile_display_name_breaks_no_page(
    browser: Any, live_server: LiveServer, hostile_user: str
) -> None:
    ctx = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = ctx.new_page()
    errors = watch_errors(page)
    page.goto("/login")
    page.fill("#username", hostile_user)
    page.fill("#password", "gold-canal-ferry-9")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    for path in ("/cockpit", "/cases", "/account"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert "<!--<script>张三</script>" in page.locator(".who").inner_text(), path
        assert page.evaluate("window.gc.PAGE.user.display_name") == HOSTILE_NAME, path
        allowed = page.evaluate(
            "['camera', 'geolocation', 'microphone'].map("
            "(f) => document.featurePolicy.allowsFeature(f))"
        )
        assert allowed == [True, True, False], path
    assert errors == []
    ctx.close()
