"""The notification rules as data: who hears of which event through which channel, quiet
hours, batching, retries, the schedule, the SMTP server and the SMS provider's template.

Our defaults are ``notifications/data/notifications.yaml``; the ``notifications:`` section of
a city's ``campaign.yaml`` overrides them (mappings merged key by key, a rule given for an
event replaces ours for that event). Every problem in the file is reported at once.

Examples
--------
>>> config = load_notification_config()
>>> [send.via for send in config.rules["dispatched"]][0][:2]
('inbox', 'wecom')
>>> config.quiet_hours.holds("sms", "dispatched", 23 * 60)
True
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from croniter import croniter
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from gardencity.errors import InvalidRequestError
from gardencity.messages import Catalogue, Listing, load_yaml
from gardencity.notifications.events import AUDIENCES, EVENTS
from gardencity.vocabulary.dates import known_time_zone

__all__ = ["NotificationConfig", "Send", "SmsProvider", "SmtpServer", "load_notification_config"]
MESSAGES = Catalogue(__package__, "data/messages.yaml")

DEFAULTS = Path(__file__).with_name("data") / "notifications.yaml"
ChannelKind = Literal["inbox", "wecom", "dingtalk", "feishu", "email", "sms", "webhook"]


def _known_event(value: str) -> str:
    if value not in EVENTS:
        raise ValueError(f"unknown event '{value}'; known: {sorted(EVENTS)}")
    return value


EventName = Annotated[str, AfterValidator(_known_event)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _minutes(text: str) -> int:
    try:
        parsed = time.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a time of day; write it as HH:MM, e.g. 22:00") from exc
    return parsed.hour * 60 + parsed.minute


class GroupName(_Strict):
    """A named group's name, as the pages show it (the rules use its code)."""

    zh: str = Field(min_length=1, max_length=100)
    en: str = Field(min_length=1, max_length=100)


class QuietHours(_Strict):
    start: str = "22:00"
    end: str = "07:30"
    channels: tuple[ChannelKind, ...] = ()
    except_events: tuple[str, ...] = ()

    @field_validator("start", "end")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        _minutes(value)
        return value

    def holds(self, channel: str, event: str, minute_of_day: int) -> bool:
        """Whether a message on ``channel`` about ``event`` waits at ``minute_of_day``."""
        if channel not in self.channels or event in self.except_events:
            return False
        start, end = _minutes(self.start), _minutes(self.end)
        if start == end:
            return False
        if start < end:
            return start <= minute_of_day < end
        return minute_of_day >= start or minute_of_day < end

    def minutes_left(self, minute_of_day: int) -> int:
        """Minutes from ``minute_of_day`` (inside the quiet hours) to their end."""
        return (_minutes(self.end) - minute_of_day) % (24 * 60)


class Batching(_Strict):
    window_seconds: float = Field(default=60, ge=0, le=3600)
    max_items: int = Field(default=10, ge=1, le=50)
    channels: tuple[ChannelKind, ...] = ()


class Delivery(_Strict):
    max_attempts: int = Field(default=8, ge=1, le=50)
    first_retry_seconds: float = Field(default=30, gt=0)
    max_retry_seconds: float = Field(default=3600, gt=0)
    lease_seconds: float = Field(default=120, gt=0)
    poll_seconds: float = Field(default=2, gt=0, le=300)
    timeout_seconds: float = Field(default=10, gt=0, le=120)

    def retry_after(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failure (doubling, capped)."""
        return float(
            min(self.first_retry_seconds * 2 ** max(attempts - 1, 0), self.max_retry_seconds)
        )


class Schedule(_Strict):
    escalation: str | None = "5 * * * *"
    reminders: str | None = "*/15 * * * *"
    digest: str | None = "0 8 * * *"
    flags: str | None = "0 9 * * 1"
    housekeeping: str | None = "30 3 * * *"
    catch_up_hours: float = Field(default=12, ge=0)
    tick_seconds: float = Field(default=30, gt=0, le=3600)

    @field_validator("escalation", "reminders", "digest", "flags", "housekeeping")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and not croniter.is_valid(value):
            raise ValueError(
                f"'{value}' is not a cron expression (minute hour day month weekday), "
                "e.g. '0 8 * * *' for 08:00 every day"
            )
        return value

    def jobs(self) -> dict[str, str]:
        """The jobs that are on, with their cron expressions."""
        table = {
            "escalation": self.escalation,
            "reminders": self.reminders,
            "digest": self.digest,
            "flags": self.flags,
            "housekeeping": self.housekeeping,
        }
        return {name: cron for name, cron in table.items() if cron}


class SmtpServer(_Strict):
    host: str = Field(min_length=1)
    port: int = Field(default=465, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "ssl"
    username: str | None = None
    password_env: str | None = Field(
        default=None, description="the environment variable that holds the password"
    )
    sender: str = Field(min_length=3, description="From: address, e.g. 创园办 <cy@example.cn>")
    ca_file: str | None = Field(
        default=None, description="CA certificates to trust (a city CA); the system's if empty"
    )


class SmsTemplate(_Strict):
    id: str = Field(min_length=1)
    params: dict[str, str] = Field(default_factory=dict)


class SmsProvider(_Strict):
    """An SMS gateway reached by one HTTP request per message (see docs/notifications.md)."""

    url: str = Field(pattern=r"^https?://")
    method: Literal["POST", "GET"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Any] = Field(default_factory=dict)
    sign_name: str = ""
    templates: dict[str, SmsTemplate] = Field(default_factory=dict)
    success_field: str = "code"
    success_values: tuple[str, ...] = ("0", "OK", "ok", "success")
    error_field: str = "message"


class Send(_Strict):
    to: tuple[str, ...] = Field(min_length=1)
    via: tuple[ChannelKind, ...] = Field(min_length=1)

    @field_validator("to")
    @classmethod
    def _known_audiences(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [
            a for a in value if a not in AUDIENCES and not re.match(r"^group:[A-Za-z0-9_.\-]+$", a)
        ]
        if unknown:
            raise ValueError(
                f"unknown recipients {unknown}; use {sorted(AUDIENCES)} or group:<code>"
            )
        return value


class NotificationConfig(_Strict):
    language: Literal["zh", "en"] = "zh"
    timezone: str = "Asia/Shanghai"
    base_url: str | None = Field(default=None, pattern=r"^https?://")
    inbox_poll_seconds: float = Field(default=15, ge=1, le=600)
    due_soon_hours: float = Field(default=24, gt=0, le=24 * 14)
    digest_cases: int = Field(default=5, ge=0, le=20)
    retention_days: float = Field(
        default=365, ge=7, description="delivered messages and read inbox entries kept this long"
    )
    quiet_hours: QuietHours = QuietHours()
    batching: Batching = Batching()
    delivery: Delivery = Delivery()
    schedule: Schedule = Schedule()
    smtp: SmtpServer | None = None
    sms: SmsProvider | None = None
    rules: dict[EventName, tuple[Send, ...]] = Field(default_factory=dict)
    groups: dict[str, GroupName] = Field(
        default_factory=dict, description="the named groups' names (group:<code>), zh and en"
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return known_time_zone(value)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def link(self, path: str) -> str | None:
        """The absolute address of ``path`` on this server, or None without ``base_url``."""
        if not self.base_url:
            return None
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if key == "rules" and isinstance(value, dict):
            merged[key] = {**base.get(key, {}), **value}  # an event's rule replaces ours
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _deep_merge(base[key], value)
        else:
            merged[key] = value
    return merged


def load_notification_config(city_file: Path | None = None) -> NotificationConfig:
    """Our defaults, overridden by the ``notifications:`` section of ``city_file``."""
    raw = load_yaml(DEFAULTS.read_text(encoding="utf-8"))
    source = DEFAULTS
    if city_file is not None:
        source = Path(city_file)
        try:
            city = load_yaml(source.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidRequestError(
                MESSAGES.message("error.config_unreadable", path=source, detail=exc)
            ) from exc
        section = city.get("notifications", {}) if isinstance(city, dict) else {}
        if not isinstance(section, dict):
            raise InvalidRequestError(MESSAGES.message("error.config_not_a_mapping", path=source))
        raw = _deep_merge(raw, section)
    try:
        return NotificationConfig.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"notifications.{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            + (f" (got {error['input']!r})" if isinstance(error["input"], str | int) else "")
            for error in exc.errors()
        ]
        listed = Listing(tuple(problems), ("\n- ", "\n- "))
        raise InvalidRequestError(
            MESSAGES.message("error.config_invalid", path=source, problems=listed)
        ) from exc
