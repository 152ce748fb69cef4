"""The web's defences around every route: trusted proxies, cross-site request refusal and
security headers (three small ASGI middlewares, installed by :func:`install_security`).

* **Proxies.** ``X-Forwarded-For`` / ``-Proto`` are believed only from the configured
  ``trusted_proxies`` and only when ``behind_proxy`` is set (uvicorn's own middleware, run by
  the app so that it follows the settings; ``gardencity serve`` turns uvicorn's off).
* **Cross-site requests (CSRF).** A state-changing request that carries the session cookie
  (and no Bearer token), a page form (log-in, log-out) and the log-in API must come from the
  app's own pages: ``Sec-Fetch-Site: same-origin``, or where a browser does not send it (plain
  HTTP on a LAN address), an ``Origin`` (else ``Referer``) equal to the app's own. A cookie
  request that shows neither is refused too: scripts use ``Authorization: Bearer``.
* **Headers.** Pages get a Content-Security-Policy without inline script, frame-ancestors
  'none', a Referrer-Policy and a Permissions-Policy (camera and geolocation for this origin
  only); the service worker a policy that lets it fetch from the app only; every other
  response a policy that runs nothing.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse, Response

from gardencity.api.deps import SESSION_COOKIE
from gardencity.api.lang import LANG_COOKIE, LANGS, accepted_lang
from gardencity.messages import Catalogue
from gardencity.settings import Settings

__all__ = [
    "DOCUMENT_POLICY",
    "WORKER_POLICY",
    "cross_site_problem",
    "install_security",
    "page_policy",
    "tile_source",
]
MESSAGES = Catalogue(__package__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
LOGIN_PATHS = frozenset({"/api/v1/auth/login", "/login"})
API_PREFIXES = ("/api/", "/open311/")
DOCS_PATH = "/api/docs"
DOCS_CDN = "https://cdn.jsdelivr.net"  # where FastAPI's API explorer loads Swagger UI from

# a stand-alone document served by the API (the assessment report): its own styles and
# embedded images, no script
DOCUMENT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
# JSON, photos, files: nothing in them runs, nobody frames them
RESOURCE_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# the pages' service worker (/sw.js): it runs no other script and fetches only from the app
WORKER_POLICY = "default-src 'none'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
# the map's tile decoder (a Web Worker of the map page): it loads the protobuf reader from
# the app and fetches nothing
WORKER_SCRIPTS = {
    "/static/web/tile-decoder.js": (
        "default-src 'none'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": (
        "camera=(self), geolocation=(self), microphone=(), payment=(), usb=(), serial=(), midi=()"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
}


def tile_source(tile_url: str | None) -> str | None:
    """The CSP source that allows a base-map tile URL template (``{s}`` subdomains become a
    wildcard).

    >>> tile_source("https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}")
    'https://*.tianditu.gov.cn'
    >>> tile_source("https://tiles.example.cn/{z}/{x}/{y}.png")
    'https://tiles.example.cn'
    >>> tile_source(None) is None
    True
    """
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    labels = parts.netloc.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label for label in labels):
        return f"{parts.scheme}:"  # a placeholder CSP cannot express: the scheme only
    return f"{parts.scheme}://{'.'.join(labels)}"


def page_policy(settings: Settings) -> str:
    """The Content-Security-Policy of the HTML pages: scripts and styles from the app only
    (style attributes allowed: charts and legends colour with them), images also from the
    configured base-map tile server."""
    images = ["'self'", "data:", "blob:"]
    tiles = tile_source(settings.tile_url)
    if tiles:
        images.append(tiles)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "style-src-attr 'unsafe-inline'",
            f"img-src {' '.join(images)}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _docs_policy(body: bytes) -> str:
    """FastAPI's API explorer: Swagger UI from its CDN plus the page's own inline script,
    allowed by its hash (no 'unsafe-inline')."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in re.findall(rb"<script>(.*?)</script>", body, flags=re.DOTALL)
    ]
    return (
        f"default-src 'self'; script-src 'self' {DOCS_CDN} {' '.join(hashes)}; "
        f"style-src 'self' {DOCS_CDN}; img-src 'self' data: https:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def cross_site_problem(
    scope: Scope, headers: Headers, *, cookie_auth: bool
) -> tuple[str, dict[str, str]] | None:
    """Why this state-changing request does not come from the app's own pages, as a message
    key of ``cross_site`` and its values (None: it does). ``cookie_auth``: it carries the
    session cookie, so it must prove where it comes from; otherwise only a browser's own
    report of another origin refuses it."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return None if site == "same-origin" else ("site", {"site": site[:40]})
    own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}".lower()
    origin = headers.get("origin")
    if origin is not None:
        return None if origin.lower() == own else ("origin", {"origin": origin[:100]})
    referer = headers.get("referer")
    if referer is not None:
        source = _origin(referer)
        return None if source == own else ("referer", {"origin": str(source)[:100]})
    return ("unsaid", {}) if cookie_auth else None


SITES_NAMED = ("cross-site", "same-site", "none")  # the values of Sec-Fetch-Site said in words


def _reason(problem: tuple[str, dict[str, str]], lang: str) -> str:
    key, values = problem
    if key == "site" and values["site"] in SITES_NAMED:
        values = {"site": MESSAGES.text(f"cross_site.site_{values['site']}", lang)}
    return MESSAGES.text(f"cross_site.{key}", lang, **values)


def _refusal(
    path: str,
    problem: tuple[str, dict[str, str]],
    headers: Headers,
    page_refusal: Callable[[str], Response],
) -> Response:
    if path.startswith(API_PREFIXES):
        asked = cookie_parser(headers.get("cookie", "")).get(LANG_COOKIE)
        lang = asked if asked in LANGS else accepted_lang(headers.get("accept-language"))
        message = MESSAGES.text("cross_site_refused", lang, problem=_reason(problem, lang))
        body = {"error": {"code": "cross_site_request", "message": message, "details": []}}
        return JSONResponse(body, status_code=403)
    lang = cookie_parser(headers.get("cookie", "")).get(LANG_COOKIE, "zh")
    return page_refusal(lang)


class CrossSiteGuard:
    """Refuses state-changing requests that do not come from the app's own pages (a page
    form gets ``page_refusal(lang)``, an API call the JSON error shape)."""

    def __init__(self, app: ASGIApp, page_refusal: Callable[[str], Response]) -> None:
        self.app = app
        self.page_refusal = page_refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path: str = scope["path"]
        login = path in LOGIN_PATHS  # uses no cookie, but sets one (log-in CSRF)
        bearer = headers.get("authorization", "").lower().startswith("bearer ")
        cookie = SESSION_COOKIE in cookie_parser(headers.get("cookie", ""))
        cookie_auth = cookie and not bearer and not login
        page_form = login or not path.startswith(API_PREFIXES)
        if cookie_auth or page_form:
            problem = cross_site_problem(scope, headers, cookie_auth=cookie_auth)
            if problem is not None:
                await _refusal(path, problem, headers, self.page_refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Adds the security headers to every response (a route's own CSP is kept)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.page_policy = page_policy(settings)
        self.extra = dict(COMMON_HEADERS)
        if settings.secure_cookies:  # served over HTTPS
            self.extra["Strict-Transport-Security"] = "max-age=31536000"
        self._docs_policy: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == DOCS_PATH:
            await self._docs(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                self._add(headers, WORKER_SCRIPTS.get(scope["path"]))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _add(self, headers: MutableHeaders, policy: str | None = None) -> None:
        for name, value in self.extra.items():
            headers.setdefault(name, value)
        if policy is None:
            html = headers.get("content-type", "").startswith("text/html")
            policy = self.page_policy if html else RESOURCE_POLICY
        headers.setdefault("Content-Security-Policy", policy)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def collect(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            if self._docs_policy is None:
                self._docs_policy = _docs_policy(body)
            self._add(MutableHeaders(scope=start), self._docs_policy)
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, collect)


def install_security(
    app: FastAPI, settings: Settings, *, page_refusal: Callable[[str], Response]
) -> None:
    """The three middlewares, outermost first: proxies, headers, cross-site guard
    (``page_refusal(lang)`` is the page a refused page form gets)."""
    app.add_middleware(CrossSiteGuard, page_refusal=page_refusal)
    app.add_middleware(SecurityHeaders, settings=settings)
    proxies = settings.proxy_addresses()
    if proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
