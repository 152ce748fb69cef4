"""Channel plugins by kind. Each lays a message out in its platform's own format and sends
it: WeCom, DingTalk and Feishu group robots, e-mail, SMS and a signed webhook."""

from __future__ import annotations

from gardencity.notifications.channels.base import (
    ChannelPlugin,
    ChannelSettings,
    DeliveryError,
    Outgoing,
    Photo,
)
from gardencity.notifications.channels.dingtalk import DingTalkRobot
from gardencity.notifications.channels.email import EmailChannel
from gardencity.notifications.channels.feishu import FeishuBot
from gardencity.notifications.channels.sms import SmsChannel
from gardencity.notifications.channels.webhook import SignedWebhook
from gardencity.notifications.channels.wecom import WeComRobot

__all__ = ["PLUGINS", "ChannelPlugin", "ChannelSettings", "DeliveryError", "Outgoing", "Photo"]

PLUGINS: dict[str, ChannelPlugin] = {
    plugin.kind: plugin
    for plugin in (
        WeComRobot(),
        DingTalkRobot(),
        FeishuBot(),
        EmailChannel(),
        SmsChannel(),
        SignedWebhook(),
    )
}
