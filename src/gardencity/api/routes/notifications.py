"""Notifications: every user's inbox, the admin's channels and deliveries, and residents'
opt-in to hear about their report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from gardencity.api.deps import Ctx, CurrentUser, DbSession, Lang, PathId, client_address
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.auth.permissions import authorize
from gardencity.campaign.schemas import DbId
from gardencity.notifications import admin, inbox, residents
from gardencity.notifications.config import NotificationConfig
from gardencity.settings import Settings
from gardencity.text import CleanInput

router = APIRouter(prefix="/api/v1", tags=["notifications"], responses=ERROR_RESPONSES)


def _config(request: Request) -> NotificationConfig:
    config: NotificationConfig = request.app.state.notifications.notifier.config
    return config


class UnreadOut(BaseModel):
    unread: int


class CountOut(BaseModel):
    unread: int
    poll_seconds: float = Field(description="ask again after this many seconds")


class InboxOut(BaseModel):
    unread: int
    items: list[inbox.InboxItem]
    next_before: int | None = Field(description="pass as ?before= for the next (older) page")
    poll_seconds: float


class WorkList(BaseModel):
    total: int
    items: list[inbox.WorkCase]


class WorkOut(BaseModel):
    action: WorkList
    due_soon: WorkList


class ReadIn(CleanInput):
    model_config = ConfigDict(extra="forbid")

    ids: list[DbId] | None = Field(default=None, max_length=500, description="all if omitted")


class SubscribeIn(CleanInput):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=1, max_length=32)
    token: str = Field(min_length=1, max_length=64, description="the token given when filing")
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)


class SubscribeOut(BaseModel):
    reference: str
    channels: list[str]


@router.get("/inbox", operation_id="inbox")
def get_inbox(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    lang: Lang,
    before: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
) -> InboxOut:
    """The user's notifications, newest first, and the unread count."""
    config = _config(request)
    items = inbox.inbox_items(session, user, config, lang, before=before, limit=limit)
    return InboxOut(
        unread=inbox.unread_count(session, user),
        items=items,
        next_before=items[-1].id if len(items) == limit else None,
        poll_seconds=config.inbox_poll_seconds,
    )


@router.get("/inbox/count", operation_id="inbox_count")
def get_unread(request: Request, session: DbSession, user: CurrentUser) -> CountOut:
    """How many of the user's notifications are unread (the navigation's badge)."""
    return CountOut(
        unread=inbox.unread_count(session, user),
        poll_seconds=_config(request).inbox_poll_seconds,
    )


@router.get("/inbox/work", operation_id="inbox_work")
def get_work(session: DbSession, ctx: Ctx, user: CurrentUser, lang: Lang) -> WorkOut:
    """Cases waiting for the user's action, and the user's deadlines of the next 24 hours."""
    found = inbox.my_work(session, ctx, user, lang)
    return WorkOut.model_validate(found)


@router.post("/inbox/read", operation_id="inbox_mark_read")
def post_read(session: DbSession, ctx: Ctx, user: CurrentUser, body: ReadIn) -> UnreadOut:
    """Mark notifications read (all of the user's if ``ids`` is omitted)."""
    unread = inbox.mark_read(session, ctx, user, body.ids)
    session.commit()
    return UnreadOut(unread=unread)


@router.get("/notifications/channels", operation_id="list_notification_channels")
def get_channels(session: DbSession, user: CurrentUser, lang: Lang) -> list[admin.ChannelOut]:
    """Every configured channel (secrets shown by their last four characters)."""
    return admin.list_channels(session, user, lang)


@router.post("/notifications/channels", operation_id="create_notification_channel", status_code=201)
def post_channel(
    session: DbSession, ctx: Ctx, user: CurrentUser, lang: Lang, body: admin.ChannelIn
) -> admin.ChannelOut:
    """Add a channel for a unit, a named group or a person."""
    out = admin.create_channel(session, ctx, user, body, lang)
    session.commit()
    return out


@router.patch("/notifications/channels/{channel_id}", operation_id="update_notification_channel")
def patch_channel(
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    lang: Lang,
    channel_id: PathId,
    body: admin.ChannelPatch,
) -> admin.ChannelOut:
    """Rename, switch on or off, or change settings (secrets left out are kept)."""
    out = admin.update_channel(session, ctx, user, channel_id, body, lang)
    session.commit()
    return out


@router.delete(
    "/notifications/channels/{channel_id}",
    operation_id="delete_notification_channel",
    status_code=204,
)
def delete_channel(session: DbSession, ctx: Ctx, user: CurrentUser, channel_id: PathId) -> None:
    """Remove a channel; its undelivered messages are failed with that reason."""
    admin.delete_channel(session, ctx, user, channel_id)
    session.commit()


@router.post("/notifications/channels/{channel_id}/test", operation_id="test_notification_channel")
def post_test(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    channel_id: PathId,
    lang: Lang,
) -> admin.TestResult:
    """Send a test message now; the provider's answer, or its refusal (in the request's
    language where the platform words it, else in the provider's own words)."""
    settings: Settings = request.app.state.settings
    result = admin.send_test(
        session,
        ctx,
        user,
        channel_id,
        _config(request),
        city_name=settings.city_name,
        city_name_en=settings.city_name_en,
        shown_in=lang,
    )
    session.commit()
    return result


@router.get("/notifications/deliveries", operation_id="list_notification_deliveries")
def get_deliveries(
    session: DbSession,
    user: CurrentUser,
    lang: Lang,
    status: Annotated[
        str, Query(pattern="^(problems|all|pending|sending|sent|failed|stopped)$")
    ] = "problems",
) -> list[admin.DeliveryOut]:
    """Deliveries; by default the failed ones and those waiting for a retry after an error."""
    return admin.deliveries(session, user, lang, status=status)


@router.post(
    "/notifications/deliveries/{delivery_id}/retry", operation_id="retry_notification_delivery"
)
def post_retry(
    request: Request, session: DbSession, ctx: Ctx, user: CurrentUser, delivery_id: PathId
) -> dict[str, Any]:
    """Send a failed delivery again now."""
    admin.retry_delivery(session, ctx, user, delivery_id)
    session.commit()
    request.app.state.notifications.wake()
    return {"id": delivery_id, "status": "pending"}


@router.get("/notifications/rules", operation_id="notification_rules")
def get_rules(request: Request, user: CurrentUser, lang: Lang) -> dict[str, Any]:
    """The rules in force (from campaign.yaml), in words."""
    authorize(user, "notification.manage")
    return admin.rules_view(_config(request), lang)


@router.post(
    "/public/notifications/subscribe",
    operation_id="public_subscribe",
    status_code=201,
    tags=["public"],
)
def subscribe(
    request: Request, session: DbSession, ctx: Ctx, lang: Lang, body: SubscribeIn
) -> SubscribeOut:
    """A reporter asks to hear (by SMS or e-mail) when their report is accepted, sent back or
    closed; the token given when filing proves the report is theirs."""
    settings: Settings = request.app.state.settings
    request.app.state.limiter.check(
        "public-write", client_address(request), settings.public_writes_per_minute
    )
    done = residents.subscribe(
        session,
        ctx,
        reference=body.reference,
        token=body.token,
        email=body.email,
        phone=body.phone,
        lang=lang,
    )
    session.commit()
    return SubscribeOut(reference=done.reference, channels=done.channels)
