"""企业微信 (WeCom) group robot: POST ``{"msgtype": "markdown", "markdown": {"content": …}}``
to the robot's webhook URL (its ``key`` in the query is the secret; there is no signing).

The robot answers ``{"errcode": 0, "errmsg": "ok"}``; markdown content is at most 4096 bytes
(UTF-8); a robot takes about 20 messages a minute (errcode 45009 when exceeded).
"""

from __future__ import annotations

from typing import ClassVar

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
from gardencity.notifications.render import markdown

__all__ = ["WeComRobot"]

# rate limits and temporary failures: worth trying again later
RETRY_CODES = {-1, 45009, 45033}
COLOURS = {"danger": "warning", "warning": "warning", "info": "info"}


class WeComSettings(ChannelSettings):
    webhook_url: str = Field(
        pattern=r"^https?://",
        description="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
    )

    SECRETS: ClassVar[tuple[str, ...]] = ("webhook_url",)


class WeComRobot:
    kind = "wecom"
    settings_model = WeComSettings

    def body(self, outgoing: Outgoing) -> dict[str, object]:
        message = outgoing.message
        colour = COLOURS[message.severity]
        content = markdown(message, heading=f'<font color="{colour}">**{{}}**</font>')
        return {"msgtype": "markdown", "markdown": {"content": truncate_bytes(content, 4096)}}

    def send(self, outgoing: Outgoing, http: httpx.Client) -> str:
        settings = WeComSettings.model_validate(outgoing.settings)
        answer = post_json(
            http, settings.webhook_url, self.body(outgoing), what=MESSAGES.message("channel.wecom")
        )
        refuse_unless_zero(
            answer.get("errcode"),
            answer.get("errmsg", ""),
            what=MESSAGES.message("channel.wecom"),
            retry_codes=RETRY_CODES,
        )
        return "errcode 0"
