"""What goes in and out of the campaign service (pydantic v2), shared by API and CLI."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from gardencity.messages import Catalogue
from gardencity.text import CleanInput

__all__ = [
    "MAX_ID",
    "ActionIn",
    "AttachmentOut",
    "CaseFilter",
    "CaseIn",
    "CaseOut",
    "CasePage",
    "DbId",
    "EventOut",
    "GeoJSONGeometry",
    "Priority",
    "Source",
    "parse_bbox",
]
MESSAGES = Catalogue(__package__)

Source = Literal[
    "self_check",
    "joint_inspection",
    "grid_patrol",
    "resident",
    "indicator_gap",
    "expert",
    "maintenance_inspection",
]
Priority = Literal["urgent", "high", "normal", "low"]
MAX_ID = 2_147_483_647


def _not_a_boolean(value: object) -> object:
    if isinstance(value, bool):
        # one of pydantic's details (which speak English), under the translated message
        raise ValueError("an id is a whole number, not true or false")
    return value


DbId = Annotated[int, BeforeValidator(_not_a_boolean), Field(ge=1, le=MAX_ID)]


class GeoJSONGeometry(BaseModel):
    """A GeoJSON Point or Polygon in WGS 84 longitude/latitude."""

    type: Literal["Point", "Polygon", "MultiPolygon"]
    coordinates: list[Any]


class CaseIn(CleanInput):
    """A new case. Give ``lon``/``lat`` or a ``geometry`` (point or polygon)."""

    model_config = ConfigDict(extra="forbid")

    category: str = Field(min_length=1, max_length=64, examples=["dead_or_missing_tree"])
    title: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=5000)
    source: Source = "self_check"
    priority: Priority = "normal"
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    geometry: GeoJSONGeometry | None = None
    address: str | None = Field(default=None, max_length=300)
    unit_id: DbId | None = Field(default=None, description="override the automatic routing")
    site_kind: Literal["park", "road", "compound", "unit", "other"] | None = None
    site_ref: str | None = Field(default=None, max_length=200)
    indicator_id: str | None = Field(default=None, max_length=64)
    action_code: str | None = Field(default=None, max_length=64)
    reporter_name: str | None = Field(default=None, max_length=200)
    reporter_email: str | None = Field(default=None, max_length=200)
    reporter_phone: str | None = Field(default=None, max_length=40)
    patrol: UUID | None = Field(
        default=None, description="the patrol (its uuid) during which the case was filed"
    )


class ActionIn(CleanInput):
    """A workflow action on a case; ``version`` is the version the client last saw."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    reason: str | None = Field(default=None, max_length=5000)
    unit_id: DbId | None = Field(default=None, description="dispatch / reassign to this unit")
    attachment_ids: list[DbId] = Field(default_factory=list, max_length=20)
    public: bool = Field(
        default=False,
        description="the reason is a reply to the reporter: shown on the public timeline and "
        "in Open311 status_notes (otherwise reasons and comments are internal)",
    )


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sha256: str
    media_type: str
    size: int
    role: str
    public: bool = Field(description="shown with the public view of the case")
    public_id: str = Field(description="its anonymous address: /open311/v2/media/{public_id}")
    created_at: datetime


_ROLE_SUFFIX = re.compile(r" \((?:admin|coordinator|officer|inspector|leader|resident)\)$")


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str = Field(validation_alias="actor_label")
    action: str
    from_status: str | None
    to_status: str
    reason: str | None
    data: dict[str, Any]
    public: bool = Field(description="the reason is a reply to the reporter, shown publicly")

    @field_validator("actor")
    @classmethod
    def _without_role_code(cls, actor: str) -> str:
        """Events stored before the timeline named people only carry "name (role)"."""
        return _ROLE_SUFFIX.sub("", actor)


class CaseOut(BaseModel):
    """A case as staff see it (residents' and the public's views drop personal data)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    version: int
    source: str
    category: str
    category_label: str = ""
    title: str
    description: str
    status: str
    status_label: str = ""
    priority: str
    lon: float
    lat: float
    address: str | None
    grid_code: str | None
    unit_id: int | None
    leader_id: int | None
    routing_reason: str | None
    site_kind: str | None
    site_ref: str | None
    indicator_id: str | None
    action_code: str | None
    duplicate_of_id: int | None
    escalation_level: int
    sent_back_count: int
    deadline_at: datetime | None
    overdue: bool = False
    dispatched_at: datetime | None
    submitted_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    reporter_name: str | None = None
    allowed_actions: list[str] = Field(default_factory=list)
    events: list[EventOut] | None = None
    attachments: list[AttachmentOut] | None = None


class CasePage(BaseModel):
    items: list[CaseOut]
    total: int
    page: int
    per_page: int


class CaseFilter(CleanInput):
    """Filters of the case list; every field is optional and they combine with AND."""

    model_config = ConfigDict(extra="forbid")

    status: list[str] | None = None
    unit_id: DbId | None = None
    category: str | None = None
    source: str | None = None
    overdue: bool | None = None
    grid_code: str | None = None
    action_code: str | None = Field(default=None, max_length=64)
    bbox: tuple[float, float, float, float] | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = Field(default=None, max_length=100)
    page: int = Field(default=1, ge=1)
    per_page: int = Field(default=50, ge=1, le=500)

    @field_validator("bbox")
    @classmethod
    def _bbox_order(
        cls, value: tuple[float, float, float, float] | None
    ) -> tuple[float, float, float, float] | None:
        if value is not None and (value[0] > value[2] or value[1] > value[3]):
            raise ValueError("bbox must be minlon,minlat,maxlon,maxlat with min <= max")
        return value


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``"minlon,minlat,maxlon,maxlat"`` → a tuple, or InvalidRequestError saying the format."""
    if not text:
        return None
    from gardencity.errors import InvalidRequestError

    try:
        parts = tuple(float(v) for v in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4:
        raise InvalidRequestError(MESSAGES.message("errors.bbox_four_numbers"))
    minx, miny, maxx, maxy = parts
    if minx > maxx or miny > maxy:
        raise InvalidRequestError(MESSAGES.message("errors.bbox_order"))
    return minx, miny, maxx, maxy
