"""The catalogue schema: a standard, its indicators, their thresholds and sources."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CitySizeBand", "GapSpec", "IndicatorSpec", "Source", "Standard", "Threshold"]

Confidence = Literal["confirmed", "secondary", "unverified"]
Operator = Literal[">=", ">", "<=", "<"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    title: str
    reference: str = ""
    kind: Literal["official", "secondary", "recollection", "local"] = "secondary"


class Threshold(_Frozen):
    op: Operator = ">="
    value: float | None
    confidence: Confidence
    source: str
    clause: str
    when: dict[str, str] = Field(default_factory=dict)
    note: str = ""

    def matches(self, context: dict[str, str | None]) -> bool:
        return all(context.get(key) == wanted for key, wanted in self.when.items())

    def is_met_by(self, value: float) -> bool:
        """Whether ``value`` satisfies this threshold (requires a value).

        >>> Threshold(op=">=", value=43, confidence="secondary", source="S2",
        ...           clause="x").is_met_by(43.0)
        True
        """
        assert self.value is not None
        limit = self.value
        return {
            ">=": value >= limit,
            ">": value > limit,
            "<=": value <= limit,
            "<": value < limit,
        }[self.op]


class GapSpec(_Frozen):
    kind: Literal["add_numerator", "add_both", "reduce_value", "none"] = "none"
    unit: str = ""
    what_zh: str = ""
    what_en: str = ""


class IndicatorSpec(_Frozen):
    id: str
    name_zh: str
    name_en: str
    aspect: str = ""
    unit: str
    direction: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"
    measure: str
    params: dict[str, Any] = Field(default_factory=dict)
    scope: Literal["built_up_area", "min_district"] = "built_up_area"
    method_zh: str
    method_en: str
    gap: GapSpec = Field(default_factory=GapSpec)
    thresholds: list[Threshold] = Field(default_factory=list)
    informative: bool = False
    notes: str = ""
    # below this share of data completeness (0–1) the indicator says "insufficient data"
    # instead of a verdict; None = the standard's min_completeness
    min_completeness: float | None = Field(None, ge=0.0, le=1.0)

    def select_threshold(
        self,
        *,
        grade: str | None = None,
        region: str | None = None,
        city_size: str | None = None,
    ) -> Threshold | None:
        """The first threshold rule whose ``when`` matches the city, or None."""
        context = {"grade": grade, "region": region, "city_size": city_size}
        for rule in self.thresholds:
            if rule.matches(context):
                return rule
        return None


class CitySizeBand(_Frozen):
    name: str
    min_population: float = 0.0
    max_population: float | None = None


class Standard(_Frozen):
    id: str
    name_zh: str
    name_en: str
    edition: str
    catalogue_version: str
    document: str
    extends: str | None = None
    grades: list[str] = Field(default_factory=list)
    city_size_bands: list[CitySizeBand] = Field(default_factory=list)
    sources: dict[str, Source] = Field(default_factory=dict)
    indicators: list[IndicatorSpec]
    notes: str = ""
    min_completeness: float = Field(0.8, ge=0.0, le=1.0)

    def indicator(self, indicator_id: str) -> IndicatorSpec:
        for spec in self.indicators:
            if spec.id == indicator_id:
                return spec
        from gardencity.errors import UnknownIndicatorError
        from gardencity.messages import Catalogue

        known = [s.id for s in self.indicators]
        raise UnknownIndicatorError(
            Catalogue(__package__).message(
                "unknown_indicator", standard=self.id, indicator=indicator_id, known=known
            )
        )

    def city_size(self, population: float | None) -> str | None:
        if population is None:
            return None
        for band in self.city_size_bands:
            upper = band.max_population if band.max_population is not None else float("inf")
            if band.min_population <= population < upper:
                return band.name
        return None
