"""Residents who asked to hear about their report: the opt-in, the stop link, and how a
resident's address is shown to staff (never in full).

A reporter opts in with the report's secret token (only they received it when filing), so
nobody can sign a stranger's phone up to messages about someone else's report. Every message
carries a link that stops all messages to that address.

Examples
--------
>>> mask_address("13812345678"), mask_address("wang.li@example.cn")
('138****5678', 'w***@example.cn')
>>> normalise_phone("+86 138-1234-5678")
'13812345678'
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gardencity.campaign.context import ServiceContext
from gardencity.campaign.models import Case
from gardencity.errors import InvalidRequestError, NotFoundError
from gardencity.messages import Catalogue, Listing
from gardencity.notifications.models import ResidentSubscription

__all__ = ["Subscribed", "mask_address", "normalise_phone", "stop_messages", "subscribe"]
MESSAGES = Catalogue(__package__, "data/messages.yaml")

_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")
_PHONE = re.compile(r"^1[3-9]\d{9}$")


def normalise_phone(value: str) -> str:
    """A mainland mobile number without spaces, dashes or the +86 prefix."""
    digits = re.sub(r"[\s\-()]", "", value)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
    return digits


def mask_address(address: str | None) -> str:
    """A resident's phone or e-mail as staff may see it."""
    if not address:
        return "—"
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"{address[:3]}****{address[-4:]}" if len(address) >= 8 else "****"


@dataclass(frozen=True)
class Subscribed:
    reference: str
    channels: list[str]


def subscribe(
    session: Session,
    ctx: ServiceContext,
    *,
    reference: str,
    token: str,
    email: str | None,
    phone: str | None,
    lang: str,
) -> Subscribed:
    """Record the reporter's opt-in for their report ``reference`` (proved by ``token``)."""
    case = session.scalars(select(Case).where(Case.reference == reference)).one_or_none()
    if case is None or not hmac.compare_digest(case.token.encode(), token.encode()):
        raise NotFoundError(MESSAGES.message("error.report_token_mismatch", reference=reference))
    problems = []
    wanted: dict[str, str] = {}
    if email and email.strip():
        if _EMAIL.match(email.strip()):
            wanted["email"] = email.strip()
        else:
            problems.append(MESSAGES.message("error.not_an_email", email=email))
    if phone and phone.strip():
        number = normalise_phone(phone)
        if _PHONE.match(number):
            wanted["sms"] = number
        else:
            problems.append(MESSAGES.message("error.not_a_mobile", phone=phone))
    if problems:
        listed = Listing(tuple(problems), ("；", "; "))
        raise InvalidRequestError(MESSAGES.message("error.subscription_problems", problems=listed))
    if not wanted:
        raise InvalidRequestError(MESSAGES.message("error.give_contact"))
    now = ctx.now()
    for channel, address in wanted.items():
        existing = session.scalars(
            select(ResidentSubscription).where(
                ResidentSubscription.case_id == case.id, ResidentSubscription.channel == channel
            )
        ).one_or_none()
        if existing is None:
            session.add(
                ResidentSubscription(
                    case_id=case.id,
                    channel=channel,
                    address=address,
                    stop_token=secrets.token_urlsafe(24),
                    lang="en" if lang == "en" else "zh",
                    created_at=now,
                )
            )
        else:
            existing.address, existing.stopped_at = address, None
            existing.lang = "en" if lang == "en" else "zh"
    session.flush()
    return Subscribed(case.reference, sorted(wanted))


def stop_messages(session: Session, ctx: ServiceContext, stop_token: str) -> int:
    """Stop every message to the address behind ``stop_token``, and every message about its
    report (SMS and e-mail alike); how many opt-ins it ended (0 when the link is unknown or
    was used already)."""
    found = session.scalars(
        select(ResidentSubscription).where(ResidentSubscription.stop_token == stop_token)
    ).one_or_none()
    if found is None:
        return 0
    result = session.execute(
        update(ResidentSubscription)
        .where(
            (ResidentSubscription.address == found.address)
            | (ResidentSubscription.case_id == found.case_id),
            ResidentSubscription.stopped_at.is_(None),
        )
        .values(stopped_at=ctx.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)
