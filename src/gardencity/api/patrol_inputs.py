"""Where the ranking and the weekly summary get their figures from the packages above the
campaign: maintenance scores (wired) and patrol coverage and records (hooks for the patrols
package, which answer "not connected" until it is wired in).

The campaign's ranking takes these figures as parameters (it sits below both packages);
:func:`ranking_inputs` is the :data:`~gardencity.campaign.context.RankingInputs` the app gives
its :class:`~gardencity.campaign.context.ServiceContext`, so the API's computation and the
scheduler's use the same terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from gardencity.maintenance.scores import maintenance_by_unit

__all__ = ["patrol_coverage_by_unit", "patrol_summary_rows", "ranking_inputs"]


def patrol_coverage_by_unit(session: Session, start: datetime, end: datetime) -> pd.Series | None:
    """HOOK (patrols): the share 0–1 of each unit's patrol zones covered in ``[start, end)``,
    a Series indexed by unit id, NaN for a unit without a zone; None while patrol records are
    not connected. To wire it: ``return gardencity.patrols.coverage_by_unit(session, start,
    end)``."""
    return None


def patrol_summary_rows(
    session: Session, district_id: int, start: datetime, end: datetime
) -> list[Mapping[str, Any]] | None:
    """HOOK (patrols): the weekly summary's patrol rows of a district for ``[start, end)``,
    one mapping per team and zone with the keys of
    :data:`gardencity.maintenance.weekly.PATROL_KEYS` (team, zone, patrols, km, coverage 0–1
    or None, cases); [] when nothing was patrolled; None while patrol records are not
    connected (the summary then says so instead of showing zeros)."""
    return None


def ranking_inputs(session: Session, start: datetime, end: datetime) -> dict[str, pd.Series]:
    """The optional terms of the red and black flag ranking for the period."""
    terms = {"maintenance": maintenance_by_unit(session, start, end)}
    coverage = patrol_coverage_by_unit(session, start, end)
    if coverage is not None:
        terms["patrol_coverage"] = coverage
    return terms
