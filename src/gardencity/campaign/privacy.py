"""What of a case the public may see: which events, which notes, how much of the address.

* **Events.** Every status change is public (the reporter follows the case: reported,
  dispatched, in progress, closed …), but *without* its reason. A reason or comment is
  internal unless staff deliberately reply to the reporter (``CaseEvent.public``); then it
  is shown with the event. Internal comments and escalations do not appear at all.
* **Address.** A resident's address text may name their door (``幸福小区3号楼2单元501室``);
  the public sees it generalised to the community or road (``幸福小区``), staff the exact one.

Examples
--------
>>> public_address("鼓楼区中山北路88号")
'鼓楼区中山北路'
>>> public_address("幸福小区3号楼2单元501室门口")
'幸福小区'
>>> public_address("彭城路与淮海路交叉口东南角")
'彭城路与淮海路交叉口东南角'
>>> public_address("12 Quiet Lane, Flat 3") is None, public_address("88号") is None
(False, True)
>>> public_address("12 Quiet Lane, Flat 3")
'Quiet Lane'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Protocol

from gardencity.vocabulary import vocabulary

__all__ = [
    "is_public_event",
    "public_actor",
    "public_address",
    "public_events",
    "public_note",
]

# the first house, building, unit, floor or room number ends the public part of an address
_NUMBER = re.compile(
    r"[0-9０-９#＃]"
    r"|[一二三四五六七八九十百千零〇两甲乙丙丁]+\s*(?:号|栋|幢|座|单元|室|层|楼|户|弄|排|组)"
    r"|\b(?:flat|apt|apartment|unit|room|no|building|bldg|floor)\b",
    re.IGNORECASE,
)
_LEADING_NUMBER = re.compile(r"^\s*(?:no\.?\s*)?[0-9０-９]+[a-zA-Z]?[\s,，-]+", re.IGNORECASE)
_TRAILING = " \t,，;；、.。-—:：(（"


class _Event(Protocol):
    action: str
    from_status: str | None
    to_status: str
    public: bool
    reason: str | None


def is_public_event(event: _Event) -> bool:
    """Whether the public timeline shows ``event``: a status change, the filing, or a
    deliberate reply to the reporter."""
    return bool(event.public or event.action == "file" or event.from_status != event.to_status)


def public_note(event: _Event) -> str | None:
    """The event's reason if it is a reply to the reporter, else nothing."""
    return event.reason if event.public and event.reason else None


def public_actor(role: str | None, lang: str = "zh") -> str:
    """The public label of an actor with ``role`` (None: the system), in ``lang``."""
    roles = vocabulary().public_roles
    key = "system" if role is None else role if role in roles else "staff"
    return vocabulary().label("public_roles", key, lang)


def public_events(events: Iterable[Any]) -> list[Any]:
    """The events of a case the public timeline shows, in their order."""
    return [e for e in events if is_public_event(e)]


def public_address(address: str | None) -> str | None:
    """``address`` without house, building, unit or room numbers (the community or road);
    None when nothing general is left."""
    if not address:
        return None
    text = _LEADING_NUMBER.sub("", address.strip(), count=1)
    match = _NUMBER.search(text)
    if match is not None:
        text = text[: match.start()]
    text = text.rstrip(_TRAILING)
    return text or None
