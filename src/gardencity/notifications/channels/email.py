"""E-mail over SMTP (STARTTLS on 587, implicit TLS on 465, or plain on a trusted network).

The server is the city's (``notifications.smtp`` in campaign.yaml: host, port, security,
username, ``password_env`` — the environment variable holding the password — and sender).
Each message has a plain-text and an HTML part; a leader's digest carries the photos of the
most overdue cases inline. A resident's message has ``List-Unsubscribe`` (with one-click
``List-Unsubscribe-Post``, RFC 8058) pointing at their stop link.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import ClassVar

import httpx
from pydantic import Field

from gardencity.notifications.channels.base import (
    ChannelSettings,
    Outgoing,
    failure,
)
from gardencity.notifications.config import SmtpServer
from gardencity.notifications.render import html, plain_text

__all__ = ["EmailChannel", "build_email"]


class EmailSettings(ChannelSettings):
    addresses: list[str] = Field(
        default_factory=list,
        description="recipients; a person's channel may leave it empty (their own e-mail)",
    )

    SECRETS: ClassVar[tuple[str, ...]] = ()


def _subject(outgoing: Outgoing) -> str:
    lang = outgoing.message.lang
    city = outgoing.city(lang)
    prefix = f"【{city}】" if lang == "zh" else f"[{city}] "
    message = outgoing.message
    reference = f"（{message.reference}）" if message.reference and not outgoing.resident else ""
    return f"{prefix}{message.title}{reference}"


def build_email(outgoing: Outgoing, sender: str, recipients: list[str]) -> EmailMessage:
    """The e-mail for ``outgoing`` (text and HTML parts, inline photos)."""
    mail = EmailMessage()
    mail["Subject"] = _subject(outgoing)
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = formatdate(outgoing.now.timestamp(), localtime=False)
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "gardencity.local"
    mail["Message-ID"] = make_msgid("gc" + "-".join(str(i) for i in outgoing.ids[:5]), domain)
    if outgoing.resident and outgoing.message.footer:
        stop = outgoing.payloads[0].get("stop_url") if outgoing.payloads else None
        if stop:
            mail["List-Unsubscribe"] = f"<{stop}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(plain_text(outgoing.message))
    cids = {photo.label: make_msgid("photo", domain) for photo in outgoing.photos}
    mail.add_alternative(
        html(outgoing.message, {label: cid[1:-1] for label, cid in cids.items()}), subtype="html"
    )
    if outgoing.photos:
        html_part = mail.get_body(("html",))
        assert isinstance(html_part, EmailMessage)
        for photo in outgoing.photos:
            maintype, subtype = photo.media_type.split("/", 1)
            html_part.add_related(photo.content, maintype, subtype, cid=cids[photo.label])
    return mail


def _connect(server: SmtpServer, timeout: float) -> smtplib.SMTP:
    context = (
        ssl.create_default_context(cafile=server.ca_file) if server.security != "none" else None
    )
    if server.security == "ssl":
        assert context is not None
        return smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    connection = smtplib.SMTP(server.host, server.port, timeout=timeout)
    if server.security == "starttls":
        connection.ehlo()
        connection.starttls(context=context)
        connection.ehlo()
    return connection


class EmailChannel:
    kind = "email"
    settings_model = EmailSettings

    def send(self, outgoing: Outgoing, http: httpx.Client) -> str:
        del http
        server = outgoing.config.smtp
        if server is None:
            raise failure("no_smtp", retry=False)
        settings = EmailSettings.model_validate(outgoing.settings)
        recipients = settings.addresses or ([outgoing.address] if outgoing.address else [])
        if not recipients:
            raise failure("no_email", retry=False)
        mail = build_email(outgoing, server.sender, recipients)
        password = os.environ.get(server.password_env) if server.password_env else None
        if server.password_env and password is None:
            raise failure("smtp_password_missing", name=server.password_env, retry=False)
        try:
            with _connect(server, outgoing.config.delivery.timeout_seconds) as smtp:
                if server.username:
                    smtp.login(server.username, password or "")
                refused = smtp.send_message(
                    mail, from_addr=_bare(server.sender), to_addrs=recipients
                )
        except smtplib.SMTPResponseException as exc:
            detail = (
                exc.smtp_error.decode("utf-8", "replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            raise failure(
                "smtp_answer", code=exc.smtp_code, detail=detail, retry=exc.smtp_code < 500
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise failure("smtp_refused", addresses=sorted(exc.recipients), retry=False) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise failure("smtp_failed", server=f"{server.host}:{server.port}", detail=exc) from exc
        if refused:
            raise failure("smtp_refused", addresses=sorted(refused), retry=False)
        return f"250 {mail['Message-ID']}"


def _bare(sender: str) -> str:
    """The address of a From: value like ``创园办 <cy@example.cn>``."""
    if "<" in sender:
        return sender.split("<", 1)[1].split(">", 1)[0].strip()
    return str(Address(addr_spec=sender.strip()).addr_spec)
