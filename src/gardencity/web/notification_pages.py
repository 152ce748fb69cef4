"""The notification pages: every user's inbox, the admin's notification settings, and the
residents' "stop messages" page (no log-in: the link's secret is the proof)."""

from __future__ import annotations

from typing import Any, get_args, get_origin

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gardencity.api.lang import request_lang
from gardencity.auth.permissions import PERMISSIONS
from gardencity.campaign.context import ServiceContext
from gardencity.db.engine import Database
from gardencity.notifications.channels import PLUGINS
from gardencity.notifications.events import EVENTS, texts
from gardencity.notifications.residents import stop_messages
from gardencity.web.pages import login_redirect, page_user, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _fields(kind: str) -> list[dict[str, Any]]:
    """The settings form of a channel kind, from its settings model."""
    model = PLUGINS[kind].settings_model
    fields = []
    for name, info in model.model_fields.items():
        if name == "events":
            continue
        annotation = info.annotation
        is_list = get_origin(annotation) is list or any(
            get_origin(a) is list for a in get_args(annotation)
        )
        fields.append(
            {
                "name": name,
                "secret": name in model.SECRETS,
                "list": is_list,
                "required": info.is_required(),
            }
        )
    return fields


@router.get("/inbox")
def inbox_page(request: Request) -> Response:
    user = page_user(request)
    if user is None:
        return login_redirect(request)
    return render(request, "inbox", user)


@router.get("/notifications")
def notifications_page(request: Request) -> Response:
    user = page_user(request)
    if user is None:
        return login_redirect(request)
    if user.role not in {str(r) for r in PERMISSIONS["notification.manage"]}:
        return RedirectResponse("/", status_code=303)
    words = texts(request_lang(request))
    kinds = [k for k in PLUGINS]
    return render(
        request,
        "notifications",
        user,
        data={
            "kinds": {k: words[f"channel.{k}"] for k in kinds},
            "fields": {k: _fields(k) for k in kinds},
            "events": {e: words[f"event.{e}"] for e in EVENTS},
            "person_kinds": ["email", "sms", "wecom", "dingtalk", "feishu"],
        },
    )


@router.get("/n/stop/{token}")
def stop_page(request: Request, token: str) -> Response:
    return render(request, "notification-stop", page_user(request), token=token[:100])


@router.post("/n/stop/{token}")
def stop_submit(request: Request, token: str) -> Response:
    """Stop messages (the page's button, or a mail client's one-click unsubscribe)."""
    db: Database = request.app.state.db
    ctx: ServiceContext = request.app.state.ctx
    with db.session() as session:
        stopped = stop_messages(session, ctx, token[:100])
    page = render(request, "notification-stop", page_user(request), token=None, stopped=stopped)
    if not stopped:
        page.status_code = 404
    return page
