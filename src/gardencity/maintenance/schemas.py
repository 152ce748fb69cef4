"""What goes in and out of the maintenance service (pydantic v2), shared by API and pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from gardencity.campaign.schemas import DbId, GeoJSONGeometry
from gardencity.text import CleanInput

__all__ = ["InspectionIn", "InspectionOut", "ItemResultIn", "SiteIn", "SiteOut"]

Result = Literal["pass", "fail", "na"]


class SiteIn(CleanInput):
    """A maintained site: give ``lon``/``lat`` or a ``geometry`` (point or polygon)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=1, max_length=200)
    site_type: str = Field(min_length=1, max_length=32, examples=["park"])
    unit_id: DbId | None = Field(default=None, description="the responsible unit (责任单位)")
    unit_code: str | None = Field(
        default=None, max_length=64, description="or the responsible unit's code"
    )
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    geometry: GeoJSONGeometry | None = None
    address: str | None = Field(default=None, max_length=300)


class SiteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    site_type: str
    site_type_label: str = ""
    unit_id: int
    unit_name: str = ""
    district_id: int | None
    district_name: str = ""
    lon: float
    lat: float
    address: str | None
    latest_score: float | None = Field(default=None, description="None: never inspected")
    latest_grade: str | None = None
    latest_inspected_at: datetime | None = None


class ItemResultIn(CleanInput):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    result: Result
    note: str | None = Field(default=None, max_length=2000)
    file_case: bool = Field(
        default=True, description="a failed item becomes a case for the site's responsible unit"
    )


class InspectionIn(CleanInput):
    """One inspection: a result for every item of the site type's check-list."""

    model_config = ConfigDict(extra="forbid")

    site_type: str | None = Field(
        default=None, description="the check-list the inspector used (checked against the site)"
    )
    items: list[ItemResultIn] = Field(min_length=1, max_length=100)
    note: str | None = Field(default=None, max_length=5000)
    inspected_at: AwareDatetime | None = Field(
        default=None,
        description="when the inspector filled it in on the phone (an inspection kept on the "
        "phone without signal is sent later); default: when it arrives",
    )


class InspectionOut(BaseModel):
    id: int
    site_id: int
    score: float
    grade: str
    grade_label: str
    inspected_at: datetime
    items: list[dict[str, Any]]
    case_ids: list[int]


#: the properties of an imported site's feature as a campaign office names them (Chinese or
#: English column headers), by the field they fill
SITE_PROPERTY_NAMES = {
    "code": ("code", "编号", "代码"),
    "name": ("name", "名称"),
    "site_type": ("site_type", "type", "类型"),
    "unit_code": ("unit_code", "unit", "责任单位编号", "责任单位"),
    "unit_id": ("unit_id",),
    "address": ("address", "地址"),
}


def site_properties(properties: dict[str, Any], type_names: dict[str, str]) -> dict[str, Any]:
    """A feature's properties as :class:`SiteIn` fields: headers in Chinese or English, and
    a site type by its code or its name in either language (``type_names``: name → code,
    lower-case).

    >>> site_properties({"编号": "P1", "类型": "公园", "地址": "鼓楼区"}, {"公园": "park"})
    {'code': 'P1', 'site_type': 'park', 'address': '鼓楼区'}
    """
    known = {alias: field for field, aliases in SITE_PROPERTY_NAMES.items() for alias in aliases}
    out: dict[str, Any] = {}
    for key, value in properties.items():
        field = known.get(str(key).strip().lower(), known.get(str(key).strip(), key))
        out[field] = value
    kind = out.get("site_type")
    if isinstance(kind, str):
        out["site_type"] = type_names.get(kind.strip().lower(), kind)
    return out
