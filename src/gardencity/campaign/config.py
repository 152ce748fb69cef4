"""The campaign configuration as data: categories, SLA, escalation, labels, ranking, targets.

Our defaults live in ``campaign/data/campaign.yaml``; a city's ``campaign.yaml`` overrides
them — list entries with the same ``code`` (or SLA ``category``) replace ours, new ones are
added, mappings are merged key by key. Every problem in the file is reported at once.

Examples
--------
>>> from datetime import datetime, UTC
>>> config = load_campaign_config()
>>> config.categories["bare_soil"].name_zh
'黄土裸露'
>>> deadline_for(config, "bare_soil", "urgent", datetime(2026, 5, 1, tzinfo=UTC)).isoformat()
'2026-05-02T00:00:00+00:00'
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gardencity.errors import InvalidRequestError
from gardencity.messages import Catalogue, Listing, Message, load_yaml

__all__ = [
    "CampaignConfig",
    "Category",
    "deadline_for",
    "load_campaign_config",
]
MESSAGES = Catalogue(__package__)

DEFAULTS = Path(__file__).with_name("data") / "campaign.yaml"
PRIORITIES = ("urgent", "high", "normal", "low")
STATES = ("filed", "dispatched", "in_progress", "submitted", "sent_back", "closed", "discarded")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str
    kind: Literal["component", "event"]
    group: str = "other"
    public: bool = True
    responsible: str = Field(
        default="street",
        description="park_or_street | street | district | city | unit:<code>",
    )
    description: str = ""

    @field_validator("responsible")
    @classmethod
    def _known_rule(cls, value: str) -> str:
        if value not in {"park_or_street", "street", "district", "city"} and not re.match(
            r"^unit:[A-Za-z0-9_.\-]+$", value
        ):
            raise ValueError(
                "responsible must be park_or_street, street, district, city or unit:<code>"
            )
        return value


class SlaRow(_Strict):
    category: str
    urgent: float = Field(gt=0)
    high: float = Field(gt=0)
    normal: float = Field(gt=0)
    low: float = Field(gt=0)


class EscalationStep(_Strict):
    level: int = Field(ge=1)
    after_hours: float = Field(ge=0)


class Label(_Strict):
    name_zh: str
    name_en: str


class DuplicateRule(_Strict):
    radius_m: float = Field(gt=0, le=1000)
    window_days: float = Field(gt=0, le=365)


class RankingRule(_Strict):
    period: Literal["week", "month"] = "month"
    min_cases: int = Field(default=3, ge=0)
    flags_per_level: int = Field(default=1, ge=0)
    weights: dict[
        Literal[
            "closure_rate",
            "on_time_rate",
            "rework_rate",
            "overdue_per_case",
            "spot_check",
            "maintenance",
            "patrol_coverage",
        ],
        float,
    ]


class ReportRule(_Strict):
    boundary_margin_m: float = Field(
        default=500,
        ge=0,
        le=50_000,
        description="reports at most this far beyond the city's boundary are accepted",
    )


class TargetMetric(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str
    unit: str


class CampaignConfig(_Strict):
    categories: dict[str, Category]
    sla: dict[str, SlaRow]
    escalation: tuple[EscalationStep, ...]
    status_labels: dict[str, Label]
    duplicates: DuplicateRule
    ranking: RankingRule
    target_metrics: dict[str, TargetMetric]
    reports: ReportRule = ReportRule()


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    keyed = {"categories": "code", "target_metrics": "code", "sla": "category"}
    merged = dict(base)
    for key, value in override.items():
        if key in keyed and isinstance(value, list) and isinstance(base.get(key), list):
            by_key = {row[keyed[key]]: row for row in base[key]}
            for row in value:
                if not isinstance(row, dict) or keyed[key] not in row:
                    raise InvalidRequestError(
                        MESSAGES.message("config.entry_needs_key", section=key, key=keyed[key])
                    )
                by_key[row[keyed[key]]] = row
            merged[key] = list(by_key.values())
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def load_campaign_config(city_file: Path | None = None) -> CampaignConfig:
    """Our defaults, overridden by ``city_file`` if given."""
    raw = load_yaml(DEFAULTS.read_text(encoding="utf-8"))
    if city_file is not None:
        try:
            override = load_yaml(Path(city_file).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidRequestError(
                MESSAGES.message("config.unreadable", path=city_file, detail=exc)
            ) from exc
        if not isinstance(override, dict):
            raise InvalidRequestError(MESSAGES.message("config.not_a_mapping", path=city_file))
        raw = _merge(raw, override)
    try:
        config = CampaignConfig(
            categories={c["code"]: c for c in raw.get("categories", [])},
            sla={r["category"]: r for r in raw.get("sla", [])},
            escalation=tuple(raw.get("escalation", [])),
            status_labels=raw.get("status_labels", {}),
            duplicates=raw.get("duplicates", {}),
            ranking=raw.get("ranking", {}),
            target_metrics={m["code"]: m for m in raw.get("target_metrics", [])},
            reports=raw.get("reports", {}),
        )
    except (ValidationError, KeyError, TypeError) as exc:
        source = city_file or DEFAULTS
        raise InvalidRequestError(
            MESSAGES.message("config.invalid", path=source, detail=exc)
        ) from exc
    problems = _cross_checks(config)
    if problems:
        source = city_file or DEFAULTS
        listed = Listing(tuple(problems), ("\n- ", "\n- "))
        raise InvalidRequestError(MESSAGES.message("config.problems", path=source, problems=listed))
    return config


def _cross_checks(config: CampaignConfig) -> list[Message]:
    problems = [
        MESSAGES.message("config.sla_unknown_category", code=c, known=sorted(config.categories))
        for c in config.sla
        if c != "*" and c not in config.categories
    ]
    if "*" not in config.sla:
        problems.append(MESSAGES.message("config.sla_no_default"))
    missing = set(STATES) - set(config.status_labels)
    if missing:
        problems.append(MESSAGES.message("config.status_labels_missing", states=sorted(missing)))
    extra = set(config.status_labels) - set(STATES)
    if extra:
        problems.append(MESSAGES.message("config.status_labels_extra", states=sorted(extra)))
    levels = [s.level for s in config.escalation]
    if levels != list(range(1, len(levels) + 1)):
        problems.append(MESSAGES.message("config.escalation_order"))
    return problems


def deadline_for(
    config: CampaignConfig, category: str, priority: str, dispatched_at: datetime
) -> datetime:
    """Deadline = dispatch time + the SLA hours of (category or '*', priority)."""
    if priority not in PRIORITIES:
        raise InvalidRequestError(MESSAGES.message("config.unknown_priority", known=PRIORITIES))
    row = config.sla.get(category) or config.sla["*"]
    return dispatched_at + timedelta(hours=float(getattr(row, priority)))
