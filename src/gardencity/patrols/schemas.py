"""What goes in and out of the patrols' service (pydantic v2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from gardencity.campaign.schemas import DbId, GeoJSONGeometry
from gardencity.text import CleanInput

__all__ = [
    "KeySiteIn",
    "KeySiteOut",
    "PatrolIn",
    "PatrolOut",
    "PointIn",
    "PointsIn",
    "PointsOut",
    "StopIn",
    "TeamIn",
    "TeamOut",
    "ZoneIn",
    "ZoneOut",
]
MAX_POINTS = 1000


class TeamIn(CleanInput):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    leader_id: DbId
    member_ids: list[DbId] = Field(default_factory=list, max_length=200)
    unit_id: DbId | None = None


class ZoneIn(CleanInput):
    """分片: grid cells (by code) a team patrols from ``start_date`` to ``end_date``."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="", max_length=200)
    grid_codes: list[str] = Field(min_length=1, max_length=2000)
    start_date: date
    end_date: date

    @model_validator(mode="after")
    def _ordered(self) -> ZoneIn:
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date: give the days in order")
        if (self.end_date - self.start_date).days > 366:
            raise ValueError("a zone is assigned for at most a year (366 days)")
        return self


class ZoneOut(BaseModel):
    id: int
    team_id: int
    name: str = Field(description="as it was given (may be empty)")
    display_name: str = Field(
        description="its name, else one made from its district (鼓楼区第2片区), never codes"
    )
    grid_codes: list[str]
    start_date: date
    end_date: date


class TeamOut(BaseModel):
    id: int
    name: str
    unit_id: int | None
    unit_name: str | None
    leader_id: int
    leader_name: str
    members: list[dict[str, int | str]]
    zones: list[ZoneOut]


class KeySiteIn(CleanInput):
    """A key site: a geometry (WGS 84), a grid cell's code, or both; and who watches it."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["section", "unit"]
    watcher_id: DbId
    geometry: GeoJSONGeometry | None = None
    grid_code: str | None = Field(default=None, max_length=64)
    unit_id: DbId | None = None
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _placed(self) -> KeySiteIn:
        if self.geometry is None and not self.grid_code:
            raise ValueError("say where the site is: a geometry, a grid_code, or both")
        return self


class KeySiteOut(BaseModel):
    id: int
    name: str
    kind: str
    kind_label: str
    watcher_id: int
    watcher_name: str
    grid_code: str | None
    unit_id: int | None
    note: str | None
    geometry: dict[str, object] | None


class PatrolIn(CleanInput):
    """Start a patrol: the phone makes its ``uuid`` (a repeat of the start finds it)."""

    model_config = ConfigDict(extra="forbid")
    uuid: UUID
    started_at: AwareDatetime
    team_id: DbId | None = None


class StopIn(CleanInput):
    model_config = ConfigDict(extra="forbid")
    ended_at: AwareDatetime


class PointIn(CleanInput):
    model_config = ConfigDict(extra="forbid")
    seq: int = Field(ge=0, le=10_000_000)
    at: AwareDatetime
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    accuracy: float = Field(gt=0, le=100_000, description="metres")


class PointsIn(CleanInput):
    model_config = ConfigDict(extra="forbid")
    points: list[PointIn] = Field(min_length=1, max_length=MAX_POINTS)

    @model_validator(mode="after")
    def _distinct(self) -> PointsIn:
        seqs = [p.seq for p in self.points]
        if len(set(seqs)) != len(seqs):
            repeated = sorted({s for s in seqs if seqs.count(s) > 1})[:10]
            raise ValueError(f"points numbered twice in one batch (seq {repeated})")
        return self


class PointsOut(BaseModel):
    stored: int = Field(description="points new to the server")
    repeated: int = Field(description="points it had already (a batch sent again)")
    total: int
    coverage_pending: bool = Field(
        default=False,
        description="the batch came after later ones: the patrol's coverage of the day is "
        "computed again from all its points, shortly after this answer",
    )


class PatrolOut(BaseModel):
    id: int
    uuid: str
    user_id: int
    user_name: str
    team_id: int | None
    started_at: datetime
    ended_at: datetime | None
    points: int
    length_m: float | None
    case_ids: list[int]


class CasePatrolOut(BaseModel):
    """The patrol a case was filed in (for the case page)."""

    uuid: str
    team_name: str | None = Field(description="None: the patroller was in no team")
    user_name: str
    started_at: datetime
    started_text: str = Field(description="in the page's language: 2026年5月4日 09:00")
    day: date = Field(description="the city's day it started (for its track on the map)")
    track_url: str = Field(description="the page that shows its track on the map")
