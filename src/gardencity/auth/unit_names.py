"""The names of units — the city, districts, streets, departments, responsible units — as a
reader of each language sees them.

A unit has its Chinese name and, where the city gives one, an English name (``name_en``).
Chinese pages, messages and files show the Chinese name; English ones the English name, or
where there is none the Chinese name written as organisations' names are
(:func:`gardencity.vocabulary.places.romanised_unit`: 鼓楼区园林局 → Gulou District
Landscaping Bureau).

Examples
--------
>>> unit_label("鼓楼区园林局", "Gulou District Landscaping Bureau", "en")
'Gulou District Landscaping Bureau'
>>> unit_label("鼓楼区园林局", "Gulou District Landscaping Bureau", "zh")
'鼓楼区园林局'
>>> unit_label("鼓楼区", None, "en")
'Gulou District'
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.models import Unit
from gardencity.messages import Message
from gardencity.vocabulary.places import romanised_unit

__all__ = ["unit_label", "unit_labels", "unit_message"]


def unit_label(name: str, name_en: str | None, lang: str) -> str:
    """The name of a unit called ``name`` (English name ``name_en``) a reader of ``lang``
    sees.

    >>> unit_label("鼓楼区园林局", None, "en")
    'Gulou District Landscaping Bureau'
    """
    if lang == "zh" or not name:
        return name
    return name_en.strip() if name_en and name_en.strip() else romanised_unit(name)


def unit_message(name: str, name_en: str | None) -> Message:
    """The unit's name as a message parameter: rendered in the reader's language.

    >>> unit_message("鼓楼区", None).render("en")
    'Gulou District'
    """
    return Message.literal(name, unit_label(name, name_en, "en"))


def unit_labels(session: Session, lang: str, ids: Iterable[int] | None = None) -> dict[int, str]:
    """Unit id -> the unit's name in ``lang``, for every unit (or those of ``ids``, an
    iterable of unit ids)."""
    query = select(Unit.id, Unit.name, Unit.name_en)
    if ids is not None:
        query = query.where(Unit.id.in_(list(ids)))
    return {uid: unit_label(name, name_en, lang) for uid, name, name_en in session.execute(query)}
