"""The grid's patrol coverage from the stored daily coverage: each cell's last patrolled day and its
state today, the zones not patrolled this week, and each unit's share of cells patrolled.

A cell is patrolled on a day when that day's tracks cover at least ``threshold`` of it
(:mod:`gardencity.patrols.coverage`); days are the city's (``zone``), weeks start on Monday.
States: ``today``; ``this_week`` (not today); ``earlier`` (within the last ``stale_days``
days, not this week); ``stale`` (not for ``stale_days`` days, or never).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.models import Grid, Unit, User
from gardencity.auth.permissions import UnitTree
from gardencity.patrols.config import PatrolConfig
from gardencity.patrols.daily import daily_shares
from gardencity.patrols.days import DEFAULT_ZONE, day_start, local_today, period_days, week_start
from gardencity.patrols.models import Patrol, PatrolTeam
from gardencity.patrols.teams import zone_names, zones_on

__all__ = [
    "STATES",
    "cell_states",
    "coverage_by_unit",
    "day_start",
    "local_today",
    "patrolled_days",
    "patrols_of",
    "week_start",
    "zones_not_patrolled",
]
STATES = ("today", "this_week", "earlier", "stale")


def grid_codes(session: Session) -> list[str]:
    return list(session.scalars(select(Grid.code).order_by(Grid.code)).all())


def patrolled_days(
    session: Session,
    config: PatrolConfig,
    first: date,
    last: date,
    codes: list[str] | None = None,
) -> pd.DataFrame:
    """Which cells (``codes``, default the whole grid) were patrolled on which day from
    ``first`` to ``last``: a boolean frame, a row per cell (code), a column per day that had
    tracks. Read from the stored daily coverage (:mod:`gardencity.patrols.daily`)."""
    codes = grid_codes(session) if codes is None else sorted(codes)
    shares = daily_shares(session, first, last, codes)
    index = pd.Index(codes, name="code")
    if shares.empty:
        return pd.DataFrame(index=index, dtype=bool)
    table = shares.pivot(index="grid_code", columns="day", values="share")
    table = table.reindex(index=index, columns=sorted(table.columns)).fillna(0.0)
    return table >= config.threshold


def cell_states(session: Session, config: PatrolConfig, today: date, zone: str) -> pd.DataFrame:
    """Every grid cell (index: code): ``last_patrolled`` (a date, None beyond ``stale_days``),
    ``days_since`` (NaN when not within them) and ``state`` (one of :data:`STATES`)."""
    first = min(today - timedelta(days=config.stale_days - 1), week_start(today))
    days = patrolled_days(session, config, first, today)
    patrolled_on = [d for d in days.columns]
    last = pd.Series([None] * len(days), index=days.index, dtype=object)
    for day in sorted(patrolled_on):
        last[days[day]] = day
    since = pd.Series(
        [np.nan if d is None else float((today - d).days) for d in last], index=days.index
    )
    monday = week_start(today)
    state = np.select(
        [since == 0, last.map(lambda d: d is not None and d >= monday), since < config.stale_days],
        ["today", "this_week", "earlier"],
        "stale",
    )
    return pd.DataFrame({"last_patrolled": last, "days_since": since, "state": state})


def zones_not_patrolled(
    session: Session, config: PatrolConfig, today: date, zone: str, lang: str = "zh"
) -> list[dict[str, Any]]:
    """The zones assigned this week (Monday to ``today``) with cells not patrolled since the
    week (or the zone) began: team, leader, zone and the cells, worst first."""
    monday = week_start(today)
    zones = zones_on(session, monday, today)
    if not zones:
        return []
    codes = sorted({c.grid_code for z in zones for c in z.cells})
    days = patrolled_days(session, config, monday, today, codes)
    leaders = dict(session.execute(select(User.id, User.display_name)).all())
    names = zone_names(session, lang)
    out = []
    for z in zones:
        since = max(monday, z.start_date)
        wanted = [c.grid_code for c in z.cells]
        missing = [c for c in wanted if not _patrolled_since(days, c, since)]
        if missing:
            out.append(
                {
                    "zone_id": z.id,
                    "zone_name": names.get(z.id, z.name),
                    "grid_codes": wanted,
                    "team_id": z.team_id,
                    "team_name": z.team.name,
                    "leader_id": z.team.leader_id,
                    "leader_name": leaders.get(z.team.leader_id, ""),
                    "start_date": z.start_date,
                    "end_date": z.end_date,
                    "since": since,
                    "cells": len(wanted),
                    "missing": missing,
                }
            )
    return sorted(
        out, key=lambda r: (-len(r["missing"]) / r["cells"], r["team_name"], r["zone_id"])
    )


def _patrolled_since(days: pd.DataFrame, code: str, since: date) -> bool:
    if code not in days.index:
        return False
    row = days.loc[code]
    return any(bool(row[day]) for day in days.columns if cast(date, day) >= since)


def coverage_by_unit(
    session: Session,
    start: date | datetime,
    end: date | datetime,
    *,
    config: PatrolConfig | None = None,
    zone: str = DEFAULT_ZONE,
) -> pd.Series:
    """For each unit (index: unit id), the share of its cells patrolled at least once from
    ``start`` to before ``end`` (dates: days of the city; datetimes: moments); NaN for a unit
    without cells.

    A unit's cells are the grid cells of the unit and the units below it, and the cells of
    the zones assigned in the period to teams of those units.
    """
    config = config or PatrolConfig()
    first, last = period_days(start, end, zone)
    units = list(session.scalars(select(Unit.id).order_by(Unit.id)).all())
    result = pd.Series(np.nan, index=pd.Index(units, name="unit_id"), name="patrol_coverage")
    if last < first:
        return result
    days = patrolled_days(session, config, first, last)
    patrolled = set(days.index[days.any(axis=1)]) if len(days.columns) else set()
    own: dict[int, set[str]] = {}
    for code, unit_id in session.execute(select(Grid.code, Grid.unit_id)).all():
        if unit_id is not None:
            own.setdefault(int(unit_id), set()).add(code)
    for z in zones_on(session, first, last):
        team: PatrolTeam = z.team
        if team.unit_id is not None:
            own.setdefault(team.unit_id, set()).update(c.grid_code for c in z.cells)
    tree = UnitTree.from_session(session)
    for unit in units:
        mine = set().union(*(own.get(u, set()) for u in tree.subtree(unit)))
        if mine:
            result[unit] = len(mine & patrolled) / len(mine)
    return result


def patrols_of(session: Session, first: date, last: date, zone: str) -> list[Patrol]:
    """The patrols started from ``first`` to ``last`` (days of the city)."""
    query = select(Patrol).where(
        Patrol.started_at >= day_start(first, zone),
        Patrol.started_at < day_start(last + timedelta(1), zone),
    )
    return list(session.scalars(query.order_by(Patrol.started_at)).all())
