"""The patrols' settings: when a grid cell counts as patrolled and how the phone samples its
track. Our defaults, overridden by the ``patrols:`` section of the city's campaign file."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gardencity.errors import InvalidRequestError
from gardencity.messages import Catalogue, load_yaml

__all__ = ["PatrolConfig", "load_patrol_config"]
MESSAGES = Catalogue(__package__)


class PatrolConfig(BaseModel):
    """See :mod:`gardencity.patrols.coverage` for how the coverage figures are used."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    threshold: float = Field(default=0.05, gt=0, le=1, description="share of a cell covered")
    sight_m: float = Field(default=25.0, ge=0, le=200, description="seen either side, m")
    max_accuracy_m: float = Field(default=100.0, gt=0, le=2000)
    max_gap_s: float = Field(default=300.0, gt=0, le=86_400)
    stale_days: int = Field(default=7, ge=1, le=365, description="not patrolled for N days")
    sample_seconds: float = Field(default=10.0, ge=1, le=600, description="phone: at most …")
    sample_metres: float = Field(default=20.0, ge=1, le=1000, description="… or after moving")
    batch_size: int = Field(default=50, ge=1, le=1000, description="points sent at once")


@cache
def load_patrol_config(city_file: Path | None = None) -> PatrolConfig:
    """The defaults, overridden by the ``patrols:`` section of ``city_file``."""
    if city_file is None:
        return PatrolConfig()
    try:
        city = load_yaml(Path(city_file).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidRequestError(MESSAGES.message("config_unreadable", path=city_file)) from exc
    section = city.get("patrols", {}) if isinstance(city, dict) else {}
    try:
        return PatrolConfig.model_validate(section or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"patrols.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidRequestError(
            MESSAGES.message("config_invalid", path=city_file, problems=problems)
        ) from exc
