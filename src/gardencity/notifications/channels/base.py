"""What every channel plugin is: a settings model (what the admin page asks for) and a
``send`` that puts one message in the platform's own format and reports the provider's
answer; a refusal raises :class:`DeliveryError` with the provider's words."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field

from gardencity.messages import Catalogue
from gardencity.messages import Message as TextMessage
from gardencity.notifications.config import NotificationConfig
from gardencity.notifications.render import Message
from gardencity.vocabulary.places import place_name

__all__ = [
    "ChannelPlugin",
    "ChannelSettings",
    "DeliveryError",
    "Outgoing",
    "Photo",
    "failure",
    "post_json",
    "refuse_unless_zero",
    "truncate_bytes",
]
MESSAGES = Catalogue(__package__, "data/messages.yaml")


class DeliveryError(Exception):
    """The provider refused or could not be reached; ``retry`` says whether trying again
    later may help (rate limits, time-outs) or not (a wrong key or signature).

    Raised with a catalogue message (``error.*`` of ``data/messages.yaml``) it is kept with
    the delivery as that message (:meth:`stored`) and shown in the reader's language."""

    def __init__(self, message: str | TextMessage, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry

    def __str__(self) -> str:
        return str(self.args[0])

    def text(self, lang: str) -> str:
        first = self.args[0]
        return first.render(lang) if isinstance(first, TextMessage) else str(first)

    def stored(self) -> str:
        """The error as the delivery's ``last_error`` keeps it."""
        first = self.args[0]
        return MESSAGES.stored(first) if isinstance(first, TextMessage) else str(first)


def failure(key: str, /, *, retry: bool = True, **params: Any) -> DeliveryError:
    """A DeliveryError with the message ``error.<key>`` of the notifications' catalogue."""
    return DeliveryError(MESSAGES.message(f"error.{key}", **params), retry=retry)


def refuse_unless_zero(code: Any, detail: Any, *, what: TextMessage, retry_codes: set[int]) -> None:
    """A robot's answer code: 0 is delivered; any other is a DeliveryError naming the provider,
    the code and its words, worth trying again later only for ``retry_codes``."""
    if code != 0:
        raise failure(
            "provider_code", what=what, code=code, detail=detail, retry=code in retry_codes
        )


class ChannelSettings(BaseModel):
    """Settings every channel kind has: which events it wants (all if empty)."""

    model_config = ConfigDict(extra="forbid")

    events: list[str] = Field(default_factory=list, description="only these events (all if empty)")

    SECRETS: ClassVar[tuple[str, ...]] = ()


@dataclass
class Photo:
    label: str
    content: bytes
    media_type: str


@dataclass
class Outgoing:
    """One message on its way: the rendered message, where it goes and with what."""

    message: Message
    settings: dict[str, Any]
    config: NotificationConfig
    city_name: str
    ids: list[int]
    payloads: list[dict[str, Any]]
    now: datetime
    address: str | None = None  # e-mail address or phone number (persons and residents)
    resident: bool = False
    photos: list[Photo] = field(default_factory=list)
    city_name_en: str = ""

    def city(self, lang: str) -> str:
        """The city's name in ``lang`` (its English name, or its Chinese name in pinyin)."""
        return place_name(self.city_name, self.city_name_en, lang)


class ChannelPlugin(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def settings_model(self) -> type[ChannelSettings]: ...

    def send(self, outgoing: Outgoing, http: httpx.Client) -> str:
        """Deliver; return the provider's short answer (kept for the admin)."""
        ...


def truncate_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, on a character boundary, with "…".

    >>> truncate_bytes("园林城市", 7)
    '园…'
    """
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…"


def post_json(
    http: httpx.Client,
    url: str,
    body: dict[str, Any],
    *,
    what: TextMessage,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST ``body`` as UTF-8 JSON; the JSON answer, or a DeliveryError that says what went
    wrong (unreachable, HTTP status, not JSON)."""
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    try:
        response = http.post(
            url,
            content=content,
            headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        )
    except httpx.HTTPError as exc:
        raise failure("unreachable", what=what, detail=exc) from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise failure(
            "provider_busy", what=what, status=response.status_code, detail=response.text[:300]
        )
    if response.status_code >= 400:
        raise failure(
            "provider_refused",
            what=what,
            status=response.status_code,
            detail=response.text[:300],
            retry=False,
        )
    try:
        answer = response.json()
    except ValueError as exc:
        raise failure("provider_not_json", what=what, detail=response.text[:300]) from exc
    if not isinstance(answer, dict):
        raise failure("provider_odd_answer", what=what, detail=repr(answer)[:300])
    return answer
