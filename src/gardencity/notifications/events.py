"""The notifications' vocabulary: events, recipients, channel kinds and their words.

Case actions map onto notification events (``dispatch`` and ``reassign`` both *dispatch* a
case to a unit); the scheduler adds ``due_soon``, ``overdue`` and ``digest``, the ranking
``flags_computed``. Every word a message or page shows is in ``data/messages.yaml``
(``key: [中文, English]``).

Examples
--------
>>> ACTION_EVENTS["verify"], ACTION_EVENTS["reassign"]
('closed', 'dispatched')
>>> text("event.sent_back", "en")
'Sent back'
>>> text("field.deadline", "zh")
'处置时限'
"""

from __future__ import annotations

from functools import cache

from gardencity.messages import Catalogue

__all__ = [
    "ACTION_EVENTS",
    "AUDIENCES",
    "CHANNEL_KINDS",
    "EVENTS",
    "GROUP_KINDS",
    "PERSON_KINDS",
    "RESIDENT_EVENTS",
    "text",
    "texts",
]

EVENTS = (
    "filed",
    "dispatched",
    "accepted",
    "due_soon",
    "overdue",
    "escalated",
    "submitted",
    "sent_back",
    "closed",
    "reopened",
    "discarded",
    "commented",
    "flags_computed",
    "digest",
    "patrol_gap",
)
ACTION_EVENTS = {
    "file": "filed",
    "dispatch": "dispatched",
    "reassign": "dispatched",
    "accept": "accepted",
    "submit": "submitted",
    "verify": "closed",
    "send_back": "sent_back",
    "reopen": "reopened",
    "discard": "discarded",
    "escalate": "escalated",
    "comment": "commented",
}
# what a resident who opted in may hear about (in plain words, see messages.yaml "resident.*")
RESIDENT_EVENTS = ("accepted", "sent_back", "closed", "discarded")
AUDIENCES = (
    "unit",
    "district",
    "leader",
    "inspector",
    "reporter",
    "escalation_unit",
    "office",
    "every_unit",
)
CHANNEL_KINDS = ("inbox", "wecom", "dingtalk", "feishu", "email", "sms", "webhook")
# kinds a unit or a named group can own (group chats, a unit mailbox, a city system)
GROUP_KINDS = ("wecom", "dingtalk", "feishu", "email", "webhook")
# kinds a person can own (their own address, number or robot)
PERSON_KINDS = ("email", "sms", "wecom", "dingtalk", "feishu")


_CATALOGUE = Catalogue(__package__, "data/messages.yaml")


def _table() -> dict[str, tuple[str, str]]:
    return _CATALOGUE.pairs()


def text(key: str, lang: str) -> str:
    """The words for ``key`` (``group.name``) in ``lang`` (zh or en)."""
    pair = _table()[key]
    return pair[1] if lang == "en" else pair[0]


@cache
def texts(lang: str) -> dict[str, str]:
    """Every notification word in ``lang``, for the pages."""
    return {key: (pair[1] if lang == "en" else pair[0]) for key, pair in _table().items()}
