"""Results of an assessment and their JSON form (scorecard.json)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd

from gardencity.assessment.scorecard import Scorecard
from gardencity.toolkit import RunContext

__all__ = ["Assessment", "IndicatorResult", "json_safe"]


def json_safe(value: Any) -> Any:
    """Replace NaN/inf by None and numpy scalars by Python numbers, recursively."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass
class IndicatorResult:
    id: str
    name_zh: str
    name_en: str
    unit: str
    direction: str
    scope: str
    aspect: str
    informative: bool
    value: float | None
    by_district: dict[str, float | None]
    threshold: dict[str, Any] | None
    status: str
    district_status: dict[str, str]
    gap: dict[str, Any] | None
    method: dict[str, Any]
    inputs: dict[str, int]
    note: str = ""
    min_district: str | None = None
    seconds: float = 0.0
    note_zh: str = ""
    # data completeness: the limiting share (0–1) of what the measure needs, per zone, parts
    completeness: dict[str, Any] | None = None
    # figures withheld for insufficient data (for reference only, no verdict)
    partial: dict[str, Any] | None = None
    # parts for reconciling district values with the city's (e.g. credited regional green)
    details: dict[str, Any] = field(default_factory=dict)

    def note_in(self, lang: str) -> str:
        return self.note_zh or self.note if lang == "zh" else self.note

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = json_safe(self.__dict__.copy())
        return out


@dataclass
class Assessment:
    city: dict[str, Any]
    standard: dict[str, Any]
    generated_at: str
    gardencity_version: str
    indicators: list[IndicatorResult]
    zones: gpd.GeoDataFrame
    validation: list[dict[str, Any]] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    diagnostics: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    run: RunContext | None = field(default=None, repr=False, compare=False)
    """The run's context (its prepared inputs and shared intermediates) while the assessment is
    held in memory: the what-if engine starts from it. Not part of the scorecard."""
    inputs: Any = field(default=None, repr=False, compare=False)
    """The run's prepared inputs (``AssessmentInputs``) while the assessment is held in memory:
    the what-if engine builds on them instead of reading and preparing the layers again."""

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.indicators:
            counts[result.status] = counts.get(result.status, 0) + 1
        return counts

    def result(self, indicator_id: str) -> IndicatorResult:
        for result in self.indicators:
            if result.id == indicator_id:
                return result
        raise KeyError(indicator_id)

    def scorecard(self) -> Scorecard:
        """The typed scorecard (what ``scorecard.json`` holds)."""
        return Scorecard.model_validate(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        districts = self.zones[self.zones["kind"] == "district"]
        out: dict[str, Any] = json_safe(
            {
                "city": self.city,
                "standard": self.standard,
                "generated_at": self.generated_at,
                "gardencity_version": self.gardencity_version,
                "summary": self.summary(),
                "districts": [
                    {
                        "id": str(i),
                        "name": r["name"],
                        "name_en": r.get("name_en"),
                        "population": r["population"],
                    }
                    for i, r in districts.iterrows()
                ],
                "indicators": [r.to_dict() for r in self.indicators],
                "validation": self.validation,
                "timings_s": self.timings_s,
            }
        )
        return out
