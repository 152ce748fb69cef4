"""Real local servers for the notification tests.

* :class:`Platforms` — one HTTP server on a free loopback port that answers as the robots'
  platforms document: ``/wecom`` (企业微信), ``/dingtalk`` (钉钉, checks 加签), ``/feishu``
  (飞书, checks 签名校验), ``/webhook`` (checks X-Signature) and ``/sms`` (a provider). Each
  check is written here from the platforms' documentation, independently of the code under
  test; a wrong body or signature gets the platform's own refusal.
* :func:`smtp_server` — aiosmtpd on a free port, plain, STARTTLS or implicit TLS, with a
  self-signed certificate made by openssl.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DINGTALK_SECRET = "SECdingtalk-test-secret-0123456789"
FEISHU_SECRET = "feishu-test-secret-0123"
WEBHOOK_SECRET = "webhook-shared-secret-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


def _wecom(request: Received) -> tuple[int, dict[str, Any]]:
    body = request.json
    if body.get("msgtype") != "markdown" or set(body) != {"msgtype", "markdown"}:
        return 200, {"errcode": 40008, "errmsg": "invalid message type"}
    content = body["markdown"].get("content", "")
    if len(content.encode("utf-8")) > 4096:
        return 200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
    if request.query.get("key") != ["robot-key-1"]:
        return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
    return 200, {"errcode": 0, "errmsg": "ok"}


def _dingtalk(request: Received) -> tuple[int, dict[str, Any]]:
    # 加签: timestamp (ms) and sign = urlencode(base64(HmacSHA256(secret, ts + "\n" + secret)))
    timestamp = request.query.get("timestamp", [""])[0]
    sign = request.query.get("sign", [""])[0]  # parse_qs has URL-decoded it
    expected = base64.b64encode(
        hmac.new(
            DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
        ).digest()
    ).decode()
    if not timestamp or abs(time.time() * 1000 - int(timestamp)) > 3600 * 1000:
        return 200, {"errcode": 310000, "errmsg": "sign not match, timestamp is invalid"}
    if not hmac.compare_digest(sign, expected):
        return 200, {"errcode": 310000, "errmsg": "sign not match"}
    body = request.json
    if body.get("msgtype") != "markdown" or not {"title", "text"} <= set(body["markdown"]):
        return 200, {"errcode": 40035, "errmsg": "缺少参数 markdown"}
    return 200, {"errcode": 0, "errmsg": "ok"}


def _feishu(request: Received) -> tuple[int, dict[str, Any]]:
    # 签名校验: sign = base64(HmacSHA256(key = timestamp + "\n" + secret, message = empty))
    body = request.json
    timestamp = str(body.get("timestamp", ""))
    expected = base64.b64encode(
        hmac.new(f"{timestamp}\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256).digest()
    ).decode()
    too_old = not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 3600
    if too_old or body.get("sign") != expected:
        return 200, {
            "code": 19021,
            "msg": "sign match fail or timestamp is not within one hour from current time",
        }
    if body.get("msg_type") != "interactive" or "card" not in body:
        return 200, {"code": 9499, "msg": "Bad Request"}
    return 200, {"code": 0, "msg": "success", "data": {}}


def _webhook(request: Received) -> tuple[int, dict[str, Any]]:
    expected = hmac.new(WEBHOOK_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("x-signature", ""), expected):
        return 401, {"error": "bad signature"}
    if request.headers.get("x-gardencity-timestamp") != str(request.json["timestamp"]):
        return 401, {"error": "timestamp header and body differ"}
    return 200, {"received": True}


def _sms(request: Received) -> tuple[int, dict[str, Any]]:
    if request.headers.get("authorization") != "Bearer sms-token-1":
        return 401, {"code": "Unauthorized", "message": "bad token"}
    body = request.json
    if not str(body.get("mobile", "")).isdigit():
        return 200, {"code": "isv.MOBILE_NUMBER_ILLEGAL", "message": "手机号码格式错误"}
    return 200, {"code": "OK", "message": "OK", "biz_id": "sms-1"}


CHECKS: dict[str, Callable[[Received], tuple[int, dict[str, Any]]]] = {
    "/wecom": _wecom,
    "/dingtalk": _dingtalk,
    "/feishu": _feishu,
    "/webhook": _webhook,
    "/sms": _sms,
}


@dataclass
class Platforms:
    """The local stand-in for the platforms; ``requests`` lists what each path received."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    # path -> answers to give first (status, body), before the platform's own check
    scripted: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.received(path)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{path}: {len(self.received(path))} requests, wanted {count}")

    def answer(self, request: Received) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append(request)
            queue = self.scripted.get(request.path)
            if queue:
                return queue.pop(0)
        return CHECKS[request.path](request)


@contextmanager
def platforms() -> Iterator[Platforms]:
    state = Platforms()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length", 0))
            request = Received(
                parts.path,
                parse_qs(parts.query),
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
            )
            status, body = state.answer(request)
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 / localhost and its key (openssl)."""
    cert, key = folder / "smtp.pem", folder / "smtp.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class Mailbox:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    def wait_for(self, count: int = 1, timeout: float = 30) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, f"{len(self.messages)} e-mails, wanted {count}"
        return self.messages


@contextmanager
def smtp_server(security: str, folder: Path) -> Iterator[Mailbox]:
    """aiosmtpd: ``none``, ``starttls`` (STARTTLS required) or ``ssl`` (implicit TLS)."""
    import ssl

    from aiosmtpd.controller import Controller

    mailbox = Mailbox(free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            mailbox.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            mailbox.messages.append(
                message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[arg-type]
            )
            return "250 Message accepted for delivery"

    kwargs: dict[str, Any] = {}
    if security != "none":
        cert, key = self_signed(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        if security == "ssl":
            kwargs["ssl_context"] = context
        else:
            kwargs |= {"tls_context": context, "require_starttls": True}
    controller = Controller(Handler(), hostname="127.0.0.1", port=mailbox.port, **kwargs)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
