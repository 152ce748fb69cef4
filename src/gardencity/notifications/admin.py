"""The admin's side: channels per unit, group and person (create, change, switch off, test),
the deliveries that failed or wait with the provider's words, and the rules in force.

Secrets (a robot's webhook key, a signing secret) are write-only: answers show their last
four characters; a change that leaves a secret out keeps the stored one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.models import Unit, User
from gardencity.auth.permissions import authorize
from gardencity.auth.unit_names import unit_labels
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.models import Case
from gardencity.campaign.organisation import audit
from gardencity.campaign.schemas import DbId
from gardencity.errors import InvalidRequestError, NotFoundError
from gardencity.messages import Catalogue, Listing
from gardencity.messages import Message as TextMessage
from gardencity.notifications.channels import PLUGINS, DeliveryError, Outgoing
from gardencity.notifications.config import NotificationConfig
from gardencity.notifications.events import GROUP_KINDS, PERSON_KINDS, text
from gardencity.notifications.models import Notification, NotificationChannel, ResidentSubscription
from gardencity.notifications.render import Message
from gardencity.notifications.residents import mask_address
from gardencity.text import CleanInput

__all__ = [
    "ChannelIn",
    "ChannelOut",
    "ChannelPatch",
    "DeliveryOut",
    "TestResult",
    "create_channel",
    "delete_channel",
    "deliveries",
    "list_channels",
    "mask_secret",
    "retry_delivery",
    "rules_view",
    "send_test",
    "update_channel",
]
MESSAGES = Catalogue(__package__, "data/messages.yaml")

Kind = Literal["wecom", "dingtalk", "feishu", "email", "sms", "webhook"]


class ChannelIn(CleanInput):
    """A new channel, owned by exactly one of a unit, a named group or a person."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    name: str = Field(min_length=1, max_length=200)
    unit_id: DbId | None = None
    group_code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    user_id: DbId | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    is_active: bool = True


class ChannelPatch(CleanInput):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: dict[str, Any] | None = None
    is_active: bool | None = None


class ChannelOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    name: str
    owner: str
    owner_label: str
    unit_id: int | None
    group_code: str | None
    user_id: int | None
    settings: dict[str, Any]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class TestResult(BaseModel):
    ok: bool
    answer: str | None = None
    error: str | None = None


class DeliveryOut(BaseModel):
    id: int
    event: str
    event_label: str
    channel: str
    channel_label: str
    channel_name: str | None
    recipient: str
    status: str
    status_label: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    reference: str | None


def mask_secret(value: object) -> str:
    """A secret as answers show it: its last four characters (a URL keeps its host).

    >>> mask_secret("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-aaaa")
    'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=••••aaaa'
    >>> mask_secret("SEC0123456789abcdef")
    '••••cdef'
    """
    text_value = str(value)
    if text_value.startswith(("http://", "https://")):
        parts = urlsplit(text_value)
        query = "&".join(f"{k}=••••{v[-4:]}" for k, v in parse_qsl(parts.query))
        head, _, last = parts.path.rpartition("/")
        path = f"{head}/••••{last[-4:]}" if len(last) >= 12 else parts.path
        return urlunsplit((parts.scheme, parts.netloc, path, query, ""))
    return "••••" + text_value[-4:]


def _validated(kind: str, settings: dict[str, Any]) -> dict[str, Any]:
    model = PLUGINS[kind].settings_model
    try:
        return model.model_validate(settings).model_dump(exclude_none=True)
    except PydanticValidationError as exc:
        problems = [
            f"settings.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        ]
        listed = Listing(tuple(problems), ("；", "; "))
        kind_name = MESSAGES.message(f"channel.{kind}")
        raise InvalidRequestError(
            MESSAGES.message("error.channel_settings_invalid", kind=kind_name, problems=listed)
        ) from exc


def _kind_names(kinds: Iterable[str]) -> list[TextMessage]:
    return [MESSAGES.message(f"channel.{kind}") for kind in kinds]


def _owner_check(session: Session, data: ChannelIn) -> None:
    owners = [x for x in (data.unit_id, data.group_code, data.user_id) if x is not None]
    if len(owners) != 1:
        raise InvalidRequestError(MESSAGES.message("error.one_owner"))
    if data.user_id is not None:
        if session.get(User, data.user_id) is None:
            raise InvalidRequestError(MESSAGES.message("error.user_missing", user_id=data.user_id))
        if data.kind not in PERSON_KINDS:
            raise InvalidRequestError(
                MESSAGES.message("error.person_kinds", kinds=_kind_names(PERSON_KINDS))
            )
    elif data.kind not in GROUP_KINDS:
        raise InvalidRequestError(
            MESSAGES.message("error.group_kinds", kinds=_kind_names(GROUP_KINDS))
        )
    if data.unit_id is not None and session.get(Unit, data.unit_id) is None:
        raise InvalidRequestError(MESSAGES.message("error.unit_missing", unit_id=data.unit_id))


def _out(channel: NotificationChannel, names: dict[str, dict[int, str]], lang: str) -> ChannelOut:
    secrets = PLUGINS[channel.kind].settings_model.SECRETS
    settings = {
        k: (mask_secret(v) if k in secrets and v else v)
        for k, v in (channel.settings or {}).items()
    }
    if channel.unit_id is not None:
        owner, label = "unit", names["unit"].get(channel.unit_id, str(channel.unit_id))
    elif channel.user_id is not None:
        owner, label = "user", names["user"].get(channel.user_id, str(channel.user_id))
    else:
        owner, label = "group", str(channel.group_code)
    return ChannelOut(
        id=channel.id,
        kind=channel.kind,
        kind_label=text(f"channel.{channel.kind}", lang),
        name=channel.name,
        owner=owner,
        owner_label=label,
        unit_id=channel.unit_id,
        group_code=channel.group_code,
        user_id=channel.user_id,
        settings=settings,
        is_active=channel.is_active,
        created_at=channel.created_at,
        updated_at=channel.updated_at,
    )


def _names(session: Session, lang: str) -> dict[str, dict[int, str]]:
    return {
        "unit": unit_labels(session, lang),
        "user": dict(session.execute(select(User.id, User.display_name)).all()),
    }


def list_channels(session: Session, actor: User, lang: str) -> list[ChannelOut]:
    authorize(actor, "notification.manage")
    names = _names(session, lang)
    rows = session.scalars(select(NotificationChannel).order_by(NotificationChannel.id)).all()
    return [_out(c, names, lang) for c in rows]


def _channel(session: Session, channel_id: int) -> NotificationChannel:
    found = session.get(NotificationChannel, channel_id)
    if found is None:
        raise NotFoundError(MESSAGES.message("error.channel_not_found", channel_id=channel_id))
    return found


def create_channel(
    session: Session, ctx: ServiceContext, actor: User, data: ChannelIn, lang: str
) -> ChannelOut:
    authorize(actor, "notification.manage")
    _owner_check(session, data)
    now = ctx.now()
    channel = NotificationChannel(
        kind=data.kind,
        name=data.name,
        unit_id=data.unit_id,
        group_code=data.group_code,
        user_id=data.user_id,
        settings=_validated(data.kind, data.settings),
        is_active=data.is_active,
        created_at=now,
        updated_at=now,
    )
    session.add(channel)
    session.flush()
    audit(session, ctx, actor, "notification.channel.create", channel, {"kind": data.kind})
    return _out(channel, _names(session, lang), lang)


def update_channel(
    session: Session,
    ctx: ServiceContext,
    actor: User,
    channel_id: int,
    data: ChannelPatch,
    lang: str,
) -> ChannelOut:
    authorize(actor, "notification.manage")
    channel = _channel(session, channel_id)
    if data.name is not None:
        channel.name = data.name
    if data.is_active is not None:
        channel.is_active = data.is_active
    if data.settings is not None:
        old = channel.settings or {}
        secrets = PLUGINS[channel.kind].settings_model.SECRETS
        changed = {  # a secret sent back as it was shown (masked) is left as it is
            k: v
            for k, v in data.settings.items()
            if not (k in secrets and k in old and v == mask_secret(old[k]))
        }
        merged = {**old, **changed}
        channel.settings = _validated(
            channel.kind, {k: v for k, v in merged.items() if v is not None}
        )
    channel.updated_at = ctx.now()
    session.flush()
    audit(
        session,
        ctx,
        actor,
        "notification.channel.update",
        channel,
        {"fields": sorted(data.model_fields_set)},
    )
    return _out(channel, _names(session, lang), lang)


def delete_channel(session: Session, ctx: ServiceContext, actor: User, channel_id: int) -> None:
    authorize(actor, "notification.manage")
    channel = _channel(session, channel_id)
    audit(session, ctx, actor, "notification.channel.delete", channel, {"kind": channel.kind})
    session.query(Notification).filter(Notification.channel_id == channel.id).update(
        {"channel_id": None}
    )
    session.delete(channel)
    session.flush()


def send_test(
    session: Session,
    ctx: ServiceContext,
    actor: User,
    channel_id: int,
    config: NotificationConfig,
    *,
    city_name: str,
    city_name_en: str = "",
    http: httpx.Client | None = None,
    shown_in: str | None = None,
) -> TestResult:
    """Send a test message through the channel now; the provider's answer or refusal."""
    authorize(actor, "notification.manage")
    channel = _channel(session, channel_id)
    address = None
    if channel.user_id is not None:
        user = session.get(User, channel.user_id)
        if user is not None:
            address = user.email if channel.kind == "email" else user.phone
    lang = config.language
    outgoing = Outgoing(
        message=Message(
            "test", text("title.test", lang), paragraph=text("test.body", lang), lang=lang
        ),
        settings=dict(channel.settings or {}),
        config=config,
        city_name=city_name,
        city_name_en=city_name_en,
        ids=[0],
        payloads=[{"event": "test"}],
        now=ctx.now(),
        address=address,
    )
    client = http or httpx.Client(timeout=config.delivery.timeout_seconds)
    try:
        answer = PLUGINS[channel.kind].send(outgoing, client)
        result = TestResult(ok=True, answer=answer)
    except DeliveryError as exc:
        result = TestResult(ok=False, error=exc.text(shown_in or lang))
    finally:
        if http is None:
            client.close()
    audit(session, ctx, actor, "notification.channel.test", channel, result.model_dump())
    return result


def deliveries(
    session: Session, actor: User, lang: str, *, status: str = "problems", limit: int = 100
) -> list[DeliveryOut]:
    """Deliveries by status; ``problems`` = failed, or waiting for a retry after an error."""
    authorize(actor, "notification.manage")
    query = (
        select(Notification, NotificationChannel.name, Case.reference, ResidentSubscription.address)
        .outerjoin(NotificationChannel, NotificationChannel.id == Notification.channel_id)
        .outerjoin(Case, Case.id == Notification.case_id)
        .outerjoin(ResidentSubscription, ResidentSubscription.id == Notification.subscription_id)
        .where(Notification.channel != "inbox")
    )
    if status == "problems":
        query = query.where(
            (Notification.status == "failed") | Notification.last_error.is_not(None)
        )
    elif status != "all":
        query = query.where(Notification.status == status)
    rows = session.execute(query.order_by(Notification.id.desc()).limit(limit)).all()
    names = _names(session, lang)
    out = []
    for row, channel_name, reference, address in rows:
        if row.subscription_id is not None:
            recipient = f"{text('audience.reporter', lang)} {mask_address(address)}"
        elif row.user_id is not None:
            recipient = names["user"].get(row.user_id, str(row.user_id))
        else:
            recipient = names["unit"].get(row.unit_id, "") if row.unit_id else (channel_name or "—")
        out.append(
            DeliveryOut(
                id=row.id,
                event=row.event,
                event_label=text(f"event.{row.event}", lang),
                channel=row.channel,
                channel_label=text(f"channel.{row.channel}", lang),
                channel_name=channel_name,
                recipient=recipient,
                status=row.status,
                status_label=text(f"status.{row.status}", lang),
                attempts=row.attempts,
                last_error=MESSAGES.shown(row.last_error, lang),
                next_attempt_at=row.next_attempt_at,
                created_at=row.created_at,
                sent_at=row.sent_at,
                reference=reference,
            )
        )
    return out


def retry_delivery(session: Session, ctx: ServiceContext, actor: User, delivery_id: int) -> None:
    """Send a failed (or waiting) delivery again now, with a fresh count of attempts."""
    authorize(actor, "notification.manage")
    row = session.get(Notification, delivery_id)
    if row is None or row.channel == "inbox":
        raise NotFoundError(MESSAGES.message("error.delivery_not_found", delivery_id=delivery_id))
    if row.status not in {"failed", "pending"}:
        status = MESSAGES.message(f"status.{row.status}")
        raise InvalidRequestError(
            MESSAGES.message("error.nothing_to_retry", delivery_id=delivery_id, status=status)
        )
    row.status, row.attempts, row.next_attempt_at = "pending", 0, ctx.now()
    session.flush()
    audit(session, ctx, actor, "notification.retry", row, {})


def schedule_in_words(cron: str, lang: str) -> str:
    """A job's cron expression as an office says it (the common forms; others as given).

    >>> schedule_in_words("30 3 * * *", "zh"), schedule_in_words("0 9 * * 1,5", "en")
    ('每天 03:30', 'Mondays, Fridays at 09:00')
    >>> schedule_in_words("*/15 * * * *", "zh"), schedule_in_words("5 * * * *", "zh")
    ('每 15 分钟', '每小时第 5 分')
    >>> schedule_in_words("*/1 * * * *", "en"), schedule_in_words("*/5 * * * *", "en")
    ('every 1 minute', 'every 5 minutes')
    """
    fields = cron.split()
    if len(fields) != 5 or fields[2:4] != ["*", "*"]:
        return text("schedule.other", lang).format(cron=cron)
    minute, hour, _, _, weekdays = fields
    if hour == "*" and weekdays == "*":
        if minute.startswith("*/") and minute[2:].isdigit():
            return MESSAGES.text("schedule.every_minutes", lang, n=int(minute[2:]))
        if minute.isdigit():
            return text("schedule.hourly", lang).format(minute=int(minute))
    if not (minute.isdigit() and hour.isdigit()):
        return text("schedule.other", lang).format(cron=cron)
    time = f"{int(hour):02d}:{int(minute):02d}"
    if weekdays == "*":
        return text("schedule.daily", lang).format(time=time)
    days = weekdays.split(",")
    if not all(d.isdigit() and int(d) <= 7 for d in days):
        return text("schedule.other", lang).format(cron=cron)
    names = [text(f"schedule.weekday_{int(d) % 7}", lang) for d in days]
    return text("schedule.weekly", lang).format(
        days=text("schedule.day_separator", lang).join(names), time=time
    )


def rules_view(config: NotificationConfig, lang: str) -> dict[str, Any]:
    """The rules in force, in words (the admin page shows them; campaign.yaml changes them)."""

    def audience(name: str) -> str:
        if name.startswith("group:"):
            code = name.split(":", 1)[1]
            named = config.groups.get(code)
            shown = (named.en if lang == "en" else named.zh) if named else code
            return f"{text('audience.group', lang)} {shown}"
        return text(f"audience.{name}", lang)

    return {
        "rules": [
            {
                "event": event,
                "event_label": text(f"event.{event}", lang),
                "sends": [
                    {
                        "to": [audience(a) for a in send.to],
                        "via": [text(f"channel.{k}", lang) for k in send.via],
                    }
                    for send in sends
                ],
            }
            for event, sends in config.rules.items()
        ],
        "quiet_hours": config.quiet_hours.model_dump(),
        "batching": config.batching.model_dump(),
        "schedule": config.schedule.jobs(),
        "schedule_words": {
            job: schedule_in_words(cron, lang) for job, cron in config.schedule.jobs().items()
        },
        "timezone": config.timezone,
        "timezone_label": (
            text("schedule.beijing_time", lang)
            if config.timezone in ("Asia/Shanghai", "Asia/Chongqing", "PRC")
            else config.timezone
        ),
        "base_url": config.base_url,
        "smtp": config.smtp is not None,
        "sms": config.sms is not None,
    }
