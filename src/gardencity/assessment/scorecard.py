"""The scorecard (``scorecard.json``) as one typed model: what an assessment wrote, read back.

:meth:`Assessment.scorecard() <gardencity.assessment.results.Assessment.scorecard>` builds it,
:meth:`Scorecard.write` writes it (atomically) and :meth:`Scorecard.read` reads it; every
reader — the report, the batch table, the runs, the cockpit, the inspection, the CLI — uses
this model instead of a raw dictionary. Fields this version does not know (written by a newer
one) are kept as they are, so a scorecard read and written again is unchanged.

>>> card = Scorecard.model_validate(
...     {"city": {"name": "示范市"}, "standard": {"id": "s", "name_zh": "标准", "name_en": "S"},
...      "indicators": [{"id": "a", "name_zh": "甲", "name_en": "A", "unit": "%",
...                      "value": 41.2, "status": "fail_unverified"}]})
>>> card.indicator("a").status is Status.FAIL_UNVERIFIED, card.indicator("a").failing
(True, True)
"""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gardencity.errors import WorkspaceError
from gardencity.messages import Catalogue
from gardencity.vocabulary.places import place_name

__all__ = [
    "SCORECARD_FILE",
    "DistrictRef",
    "Gap",
    "IndicatorCard",
    "Method",
    "Scorecard",
    "Status",
    "ThresholdCard",
]
MESSAGES = Catalogue(__package__)

SCORECARD_FILE = "scorecard.json"


class Status(StrEnum):
    """An indicator's status; a pass or fail against a secondary or unverified threshold is
    ``*_unverified``, never a plain pass."""

    PASS = "pass"
    FAIL = "fail"
    PASS_UNVERIFIED = "pass_unverified"
    FAIL_UNVERIFIED = "fail_unverified"
    NO_THRESHOLD = "no_threshold"
    NOT_ASSESSED = "not_assessed"
    INSUFFICIENT_DATA = "insufficient_data"
    ERROR = "error"

    @property
    def failing(self) -> bool:
        return self in (Status.FAIL, Status.FAIL_UNVERIFIED)


class _Part(BaseModel):
    # unknown fields are kept (a newer writer's), so reading and writing changes nothing
    model_config = ConfigDict(extra="allow")


class ThresholdCard(_Part):
    """The threshold an indicator was judged against, with how sure we are of it."""

    op: str = ">="
    value: float | None = None
    confidence: str = "unverified"
    source: str = ""
    source_title: str = ""
    clause: str = ""
    note: str = ""


class Gap(_Part):
    """How far an indicator is from its threshold, in words and as an amount."""

    amount: float | None = None
    unit: str = ""
    text_zh: str = ""
    text_en: str = ""
    by_district: dict[str, float | None] = Field(default_factory=dict)


class Method(_Part):
    """Which measure computed the value, with its parameters and its description."""

    measure: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    text_zh: str = ""
    text_en: str = ""
    notes: str = ""


class IndicatorCard(_Part):
    """One indicator's result: the city value, the districts', status and shortfall."""

    id: str
    name_zh: str
    name_en: str
    unit: str = ""
    direction: str = "higher_is_better"
    scope: str = "built_up_area"
    aspect: str = ""
    informative: bool = False
    value: float | None = None
    by_district: dict[str, float | None] = Field(default_factory=dict)
    threshold: ThresholdCard | None = None
    status: Status
    district_status: dict[str, Status] = Field(default_factory=dict)
    gap: Gap | None = None
    method: Method = Field(default_factory=Method)
    inputs: dict[str, int] = Field(default_factory=dict)
    note: str = ""
    note_zh: str = ""
    # data completeness (gardencity.assessment.completeness): the limiting share of what the
    # measure needs, per zone, and every part; ``partial`` holds the figures withheld when
    # the data were insufficient
    completeness: dict[str, Any] | None = None
    partial: dict[str, Any] | None = None
    min_district: str | None = None
    seconds: float = 0.0

    @property
    def failing(self) -> bool:
        return self.status.failing

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def note_in(self, lang: str) -> str:
        """The note in ``lang`` (the Chinese note where there is one)."""
        return (self.note_zh or self.note) if lang == "zh" else self.note


class DistrictRef(_Part):
    id: str
    name: str
    name_en: str | None = None
    population: float | None = None

    def label(self, lang: str) -> str:
        """The district's name in ``lang`` (its English name, or its name in pinyin)."""
        return place_name(self.name, self.name_en, lang)


class CityInfo(_Part):
    name: str
    name_en: str | None = None
    population: float | None = None
    data_source: str | None = None

    def label(self, lang: str) -> str:
        """The city's name in ``lang`` (its English name, or its name in pinyin)."""
        return place_name(self.name, self.name_en, lang)


class StandardRef(_Part):
    id: str
    name_zh: str
    name_en: str
    catalogue_version: str = ""
    document: str | None = None


class Scorecard(_Part):
    """The whole of ``scorecard.json``."""

    city: CityInfo
    standard: StandardRef
    generated_at: str = ""
    gardencity_version: str = ""
    summary: dict[Status, int] = Field(default_factory=dict)
    districts: list[DistrictRef] = Field(default_factory=list)
    indicators: list[IndicatorCard] = Field(default_factory=list)
    validation: list[dict[str, Any]] = Field(default_factory=list)
    timings_s: dict[str, float] = Field(default_factory=dict)

    def indicator(self, indicator_id: str) -> IndicatorCard:
        """The result of ``indicator_id`` (KeyError if the scorecard has none)."""
        for card in self.indicators:
            if card.id == indicator_id:
                return card
        raise KeyError(indicator_id)

    def by_id(self) -> dict[str, IndicatorCard]:
        return {card.id: card for card in self.indicators}

    @property
    def from_openstreetmap(self) -> bool:
        """Whether the city's data came from OpenStreetMap (its outputs then carry the ODbL
        attribution)."""
        return self.city.data_source == "OpenStreetMap"

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON form (what ``scorecard.json`` holds)."""
        out: dict[str, Any] = self.model_dump(mode="json", exclude_unset=True)
        return out

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write ``scorecard.json`` atomically (a reader never sees half a file)."""
        target = Path(path)
        tmp = target.with_name(f".{target.name}.tmp")
        text = json.dumps(self.to_json_dict(), ensure_ascii=False, indent=2)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        return target

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Scorecard:
        """Read a ``scorecard.json``; a missing, unreadable or malformed file is a
        :class:`~gardencity.errors.WorkspaceError` that says how to get a good one."""
        source = Path(path)
        try:
            return cls.model_validate_json(source.read_bytes())
        except FileNotFoundError as exc:
            raise WorkspaceError(MESSAGES.message("no_scorecard", source=source)) from exc
        except (OSError, ValidationError) as exc:
            reason = str(exc).splitlines()[0]
            raise WorkspaceError(
                MESSAGES.message("scorecard_unreadable", source=source, reason=reason)
            ) from exc
