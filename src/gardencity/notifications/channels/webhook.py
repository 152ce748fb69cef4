"""A signed webhook for the city's own systems (数字城管 platform, 12345 hotline …).

POST a JSON body — the event, the case snapshot and the message text, with ``sent_at`` and
``timestamp`` inside it — with the headers

* ``X-Signature``: hex HMAC-SHA256 of the exact body bytes, keyed with the shared secret;
* ``X-Gardencity-Timestamp``: the same Unix seconds as the body's ``timestamp`` (a receiver
  refuses stale ones);
* ``X-Gardencity-Event`` and ``X-Gardencity-Delivery`` (the notification id: the same id on a
  retry, so a receiver can drop a duplicate).

Any 2xx answer is success; other answers are retried with back-off (4xx other than 408/429
are not: the receiver refuses the message itself).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, ClassVar

import httpx
from pydantic import Field

from gardencity.notifications.channels.base import (
    ChannelSettings,
    Outgoing,
    failure,
)
from gardencity.notifications.render import plain_text

__all__ = ["SignedWebhook", "webhook_signature"]


def webhook_signature(secret: str, body: bytes) -> str:
    """``X-Signature`` of ``body``.

    >>> webhook_signature("s3cret", b'{"event":"dispatched"}')[:16]
    'f1579d767b62e6b1'
    """
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookSettings(ChannelSettings):
    url: str = Field(pattern=r"^https?://", description="the receiving system's address")
    secret: str = Field(min_length=16, description="shared secret of the HMAC signature")

    SECRETS: ClassVar[tuple[str, ...]] = ("secret",)


class SignedWebhook:
    kind = "webhook"
    settings_model = WebhookSettings

    def body(self, outgoing: Outgoing) -> dict[str, Any]:
        payload = outgoing.payloads[0] if outgoing.payloads else {}
        return {
            "id": outgoing.ids[0] if outgoing.ids else None,
            "event": outgoing.message.event,
            "sent_at": outgoing.now.isoformat(),
            "timestamp": int(outgoing.now.timestamp()),
            "case": payload.get("case"),
            "detail": payload.get("detail"),
            "message": {"title": outgoing.message.title, "text": plain_text(outgoing.message)},
        }

    def send(self, outgoing: Outgoing, http: httpx.Client) -> str:
        settings = WebhookSettings.model_validate(outgoing.settings)
        body = self.body(outgoing)
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Signature": webhook_signature(settings.secret, content),
            "X-Gardencity-Timestamp": str(body["timestamp"]),
            "X-Gardencity-Event": str(body["event"]),
            "X-Gardencity-Delivery": str(body["id"]),
        }
        try:
            response = http.post(settings.url, content=content, headers=headers)
        except httpx.HTTPError as exc:
            raise failure("webhook_unreachable", url=settings.url, detail=exc) from exc
        if response.is_success:
            return f"HTTP {response.status_code}"
        retry = response.status_code >= 500 or response.status_code in {408, 429}
        raise failure(
            "webhook_http", status=response.status_code, detail=response.text[:300], retry=retry
        )
