"""Where the ranking and the weekly summary get their figures from the packages above the
campaign: maintenance scores, and patrol coverage and records.

The campaign's ranking takes these figures as parameters (it sits below both packages);
:func:`ranking_inputs_for` makes the :data:`~gardencity.campaign.context.RankingInputs` the
app gives its :class:`~gardencity.campaign.context.ServiceContext`, so the API's computation
and the scheduler's use the same terms.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.campaign.context import RankingInputs
from gardencity.maintenance.scores import maintenance_by_unit
from gardencity.patrols.config import PatrolConfig, load_patrol_config
from gardencity.patrols.models import Patrol, PatrolZone
from gardencity.patrols.status import coverage_by_unit
from gardencity.patrols.summary import district_week_rows
from gardencity.settings import Settings

__all__ = ["patrol_coverage_by_unit", "patrol_summary_rows", "ranking_inputs_for"]


def _patrol_settings(settings: Settings) -> tuple[PatrolConfig, str]:
    return load_patrol_config(settings.campaign_config), settings.timezone


def _patrols_recorded(session: Session) -> bool:
    """Whether the platform is used for patrols: any zone assigned or any patrol recorded."""
    return any(session.scalar(select(m.id).limit(1)) is not None for m in (Patrol, PatrolZone))


def patrol_coverage_by_unit(
    session: Session, start: datetime, end: datetime, *, settings: Settings
) -> pd.Series | None:
    """The share 0–1 of each unit's cells patrolled in ``[start, end)``, a Series indexed by
    unit id, NaN for a unit without cells (:func:`gardencity.patrols.status.coverage_by_unit`);
    None while the platform holds no patrol zone and no patrol at all (a city that keeps its
    patrols elsewhere is not shown as never patrolling)."""
    if not _patrols_recorded(session):
        return None
    config, zone = _patrol_settings(settings)
    return coverage_by_unit(session, start, end, config=config, zone=zone)


def patrol_summary_rows(
    session: Session, district_id: int, start: datetime, end: datetime, *, settings: Settings
) -> list[dict[str, Any]] | None:
    """The weekly summary's patrol rows of a district for ``[start, end)``, one mapping per
    team and zone with the keys of :data:`gardencity.maintenance.weekly.PATROL_KEYS`; [] when
    the district had no patrol zone (the summary then says 本周无巡查记录); None while the
    platform holds no patrol zone and no patrol at all (the summary says the records are not
    kept here, rather than that nobody patrolled)."""
    if not _patrols_recorded(session):
        return None
    config, zone = _patrol_settings(settings)
    return district_week_rows(session, district_id, start, end, config=config, zone=zone)


def ranking_inputs_for(settings: Settings) -> RankingInputs:
    """The optional terms of the red and black flag ranking for a period: each unit's
    maintenance score and patrol coverage."""

    def ranking_inputs(session: Session, start: datetime, end: datetime) -> dict[str, pd.Series]:
        terms = {"maintenance": maintenance_by_unit(session, start, end)}
        coverage = patrol_coverage_by_unit(session, start, end, settings=settings)
        if coverage is not None:
            terms["patrol_coverage"] = coverage
        return terms

    return ranking_inputs
