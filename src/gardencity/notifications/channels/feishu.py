"""飞书 (Feishu) custom bot: POST an interactive card — a header with the title and a
``markdown`` element, and a button to the case — to the bot's webhook URL
(``https://open.feishu.cn/open-apis/bot/v2/hook/…``).

With 签名校验 on, the body carries ``timestamp`` (seconds, as a string) and ``sign`` = base64
of HMAC-SHA256 keyed with ``timestamp + "\\n" + secret`` over an empty message. The bot
answers ``{"code": 0, "msg": "success"}``; 19021 is a signature refusal (or a timestamp more
than an hour off), 9499 a malformed body, 11232 a rate limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any, ClassVar

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

__all__ = ["FeishuBot", "feishu_sign"]

RETRY_CODES = {11232, 230020}
TEMPLATES = {"danger": "red", "warning": "orange", "info": "blue"}


def feishu_sign(timestamp_s: str, secret: str) -> str:
    """The body's ``sign`` for ``timestamp_s``.

    >>> feishu_sign("1700000000", "secret")
    'fiWS2+gh28DOydAv7hzONH/mDn9+b1Y4Y5ivXWXy8vA='
    """
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class FeishuSettings(ChannelSettings):
    webhook_url: str = Field(
        pattern=r"^https?://",
        description="https://open.feishu.cn/open-apis/bot/v2/hook/…",
    )
    secret: str | None = Field(default=None, description="签名校验 secret, if signing is on")
    keyword: str | None = Field(default=None, description="the bot's 自定义关键词, if set")

    SECRETS: ClassVar[tuple[str, ...]] = ("webhook_url", "secret")


class FeishuBot:
    kind = "feishu"
    settings_model = FeishuSettings

    def body(self, outgoing: Outgoing, settings: FeishuSettings) -> dict[str, Any]:
        message = outgoing.message
        content = markdown(message, heading="")
        content = content.split("\n", 1)[1] if "\n" in content else ""  # the title is the header
        if settings.keyword and settings.keyword not in content + message.title:
            content += f"\n{safe(settings.keyword)}"
        elements: list[dict[str, Any]] = [
            {"tag": "markdown", "content": truncate_bytes(content or message.title, 18000)}
        ]
        if message.link and not message.items:
            elements.append(
                {
                    "tag": "action",
                    "actions": [
                        {
                            "tag": "button",
                            "text": {"tag": "plain_text", "content": message.link_label},
                            "type": "primary",
                            "url": message.link,
                        }
                    ],
                }
            )
        body: dict[str, Any] = {
            "msg_type": "interactive",
            "card": {
                "config": {"wide_screen_mode": True},
                "header": {
                    "title": {"tag": "plain_text", "content": message.title},
                    "template": TEMPLATES[message.severity],
                },
                "elements": elements,
            },
        }
        if settings.secret:
            timestamp = str(int(time.time()))
            body = {"timestamp": timestamp, "sign": feishu_sign(timestamp, settings.secret)} | body
        return body

    def send(self, outgoing: Outgoing, http: httpx.Client) -> str:
        settings = FeishuSettings.model_validate(outgoing.settings)
        answer = post_json(
            http,
            settings.webhook_url,
            self.body(outgoing, settings),
            what=MESSAGES.message("channel.feishu"),
        )
        refuse_unless_zero(
            answer.get("code", answer.get("StatusCode")),
            answer.get("msg", answer.get("StatusMessage", "")),
            what=MESSAGES.message("channel.feishu"),
            retry_codes=RETRY_CODES,
        )
        return "code 0"
