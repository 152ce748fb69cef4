"""钉钉 (DingTalk) custom robot: POST ``{"msgtype": "markdown", "markdown": {"title", "text"},
"at": {"atMobiles": […], "isAtAll": false}}`` to the webhook URL (``access_token`` in it).

With 加签 (signing) on, ``timestamp`` (milliseconds) and ``sign`` — the URL-encoded base64 of
HMAC-SHA256 with the secret as key over ``timestamp + "\\n" + secret`` — are appended to the
URL; the robot refuses a timestamp more than an hour from its clock, so the wall clock signs.
The robot answers ``{"errcode": 0, "errmsg": "ok"}``; 310000 is a signature or keyword
refusal, 130101 "send too fast".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import ClassVar
from urllib.parse import quote_plus

import httpx
from pydantic import Field

from gardencity.notifications.channels.base import (
    MESSAGES,
    ChannelSettings,
    Outgoing,
    post_json,
    refuse_unless_zero,
    truncate_bytes,
)
from gardencity.notifications.render import markdown, safe

__all__ = ["DingTalkRobot", "dingtalk_sign"]

RETRY_CODES = {-1, 130101, 660026}


def dingtalk_sign(timestamp_ms: str, secret: str) -> str:
    """The ``sign`` query value for ``timestamp_ms`` (URL-encoded base64 HMAC-SHA256).

    >>> dingtalk_sign("1700000000000", "SECabc")
    'jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM%3D'
    """
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return quote_plus(base64.b64encode(digest))


class DingTalkSettings(ChannelSettings):
    webhook_url: str = Field(
        pattern=r"^https?://",
        description="https://oapi.dingtalk.com/robot/send?access_token=…",
    )
    secret: str | None = Field(default=None, description="加签 secret (SEC…), if signing is on")
    keyword: str | None = Field(default=None, description="the robot's 自定义关键词, if set")
    at_mobiles: list[str] = Field(default_factory=list, description="phones to @ in the group")

    SECRETS: ClassVar[tuple[str, ...]] = ("webhook_url", "secret")


class DingTalkRobot:
    kind = "dingtalk"
    settings_model = DingTalkSettings

    def body(self, outgoing: Outgoing, settings: DingTalkSettings) -> dict[str, object]:
        message = outgoing.message
        text = markdown(message, heading="#### {}")
        if settings.keyword and settings.keyword not in text:
            text += f"\n\n{safe(settings.keyword)}"
        if settings.at_mobiles:
            text += "\n\n" + " ".join(f"@{m}" for m in settings.at_mobiles)
        return {
            "msgtype": "markdown",
            "markdown": {"title": message.title[:64], "text": truncate_bytes(text, 5000)},
            "at": {"atMobiles": list(settings.at_mobiles), "isAtAll": False},
        }

    def url(self, settings: DingTalkSettings) -> str:
        if not settings.secret:
            return settings.webhook_url
        timestamp = str(int(time.time() * 1000))
        joiner = "&" if "?" in settings.webhook_url else "?"
        sign = dingtalk_sign(timestamp, settings.secret)
        return f"{settings.webhook_url}{joiner}timestamp={timestamp}&sign={sign}"

    def send(self, outgoing: Outgoing, http: httpx.Client) -> str:
        settings = DingTalkSettings.model_validate(outgoing.settings)
        answer = post_json(
            http,
            self.url(settings),
            self.body(outgoing, settings),
            what=MESSAGES.message("channel.dingtalk"),
        )
        refuse_unless_zero(
            answer.get("errcode"),
            answer.get("errmsg", ""),
            what=MESSAGES.message("channel.dingtalk"),
            retry_codes=RETRY_CODES,
        )
        return "errcode 0"
