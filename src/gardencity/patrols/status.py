"""The grid's patrol coverage from the stored tracks: each cell's last patrolled day and its
state today, the zones not patrolled this week, and each unit's share of cells patrolled.

A cell is patrolled on a day when that day's tracks cover at least ``threshold`` of it
(:mod:`gardencity.patrols.coverage`); days are the city's (``zone``), weeks start on Monday.
States: ``today``; ``this_week`` (not today); ``earlier`` (within the last ``stale_days``
days, not this week); ``stale`` (not for ``stale_days`` days, or never).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.models import Grid, Unit, User
from gardencity.auth.permissions import UnitTree
from gardencity.patrols.config import PatrolConfig
from gardencity.patrols.coverage import covered_share
from gardencity.patrols.models import Patrol, PatrolPoint, PatrolTeam
from gardencity.patrols.teams import zones_on
from gardencity.vocabulary.dates import in_zone

__all__ = [
    "STATES",
    "cell_states",
    "coverage_by_unit",
    "day_start",
    "local_today",
    "patrolled_days",
    "week_start",
    "zones_not_patrolled",
]
STATES = ("today", "this_week", "earlier", "stale")
DEFAULT_ZONE = "Asia/Shanghai"


def local_today(now: datetime, zone: str) -> date:
    return in_zone(now, zone).date()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _grid(session: Session, codes: list[str] | None = None) -> gpd.GeoSeries:
    query = select(Grid.code, Grid.geometry).order_by(Grid.code)
    if codes is not None:
        query = query.where(Grid.code.in_(codes))
    rows = session.execute(query).all()
    return gpd.GeoSeries(
        [r.geometry for r in rows], index=pd.Index([r.code for r in rows], name="code"), crs=4326
    )


def day_start(day: date, zone: str) -> datetime:
    """The moment (UTC) ``day`` begins in the time zone ``zone``."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _points(session: Session, first: date, last: date, zone: str) -> pd.DataFrame:
    rows = session.execute(
        select(
            PatrolPoint.patrol_id,
            PatrolPoint.seq,
            PatrolPoint.at,
            PatrolPoint.lon,
            PatrolPoint.lat,
            PatrolPoint.accuracy,
        ).where(
            PatrolPoint.at >= day_start(first, zone),
            PatrolPoint.at < day_start(last + timedelta(1), zone),
        )
    ).all()
    frame = pd.DataFrame(rows, columns=["track", "seq", "at", "lon", "lat", "accuracy"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    frame["day"] = frame["at"].dt.tz_convert(zone).dt.date
    return frame


def patrolled_days(
    session: Session,
    config: PatrolConfig,
    first: date,
    last: date,
    zone: str,
    cells: gpd.GeoSeries | None = None,
) -> pd.DataFrame:
    """Which cells were patrolled on which day from ``first`` to ``last``: a boolean frame,
    a row per cell (code), a column per day that had tracks."""
    cells = _grid(session) if cells is None else cells
    points = _points(session, first, last, zone)
    columns = {}
    for day, of_day in points.groupby("day", sort=True):
        share = covered_share(
            of_day,
            cells,
            sight_m=config.sight_m,
            max_accuracy_m=config.max_accuracy_m,
            max_gap_s=config.max_gap_s,
        )
        columns[day] = share >= config.threshold
    return pd.DataFrame(columns, index=cells.index, dtype=bool)


def cell_states(session: Session, config: PatrolConfig, today: date, zone: str) -> pd.DataFrame:
    """Every grid cell (index: code): ``last_patrolled`` (a date, None beyond ``stale_days``),
    ``days_since`` (NaN when not within them) and ``state`` (one of :data:`STATES`)."""
    first = min(today - timedelta(days=config.stale_days - 1), week_start(today))
    days = patrolled_days(session, config, first, today, zone)
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
    session: Session, config: PatrolConfig, today: date, zone: str
) -> list[dict[str, Any]]:
    """The zones assigned this week (Monday to ``today``) with cells not patrolled since the
    week (or the zone) began: team, leader, zone and the cells, worst first."""
    monday = week_start(today)
    zones = zones_on(session, monday, today)
    if not zones:
        return []
    codes = sorted({c.grid_code for z in zones for c in z.cells})
    days = patrolled_days(session, config, monday, today, zone, _grid(session, codes))
    leaders = dict(session.execute(select(User.id, User.display_name)).all())
    out = []
    for z in zones:
        since = max(monday, z.start_date)
        wanted = [c.grid_code for c in z.cells]
        missing = [c for c in wanted if not _patrolled_since(days, c, since)]
        if missing:
            out.append(
                {
                    "zone_id": z.id,
                    "zone_name": z.name,
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


def _day(value: date | datetime, zone: str, *, end: bool) -> date:
    if isinstance(value, datetime):
        moment = in_zone(value, zone)
        return (moment - timedelta(microseconds=1)).date() if end else moment.date()
    return value - timedelta(days=1) if end else value


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
    first, last = _day(start, zone, end=False), _day(end, zone, end=True)
    units = list(session.scalars(select(Unit.id).order_by(Unit.id)).all())
    result = pd.Series(np.nan, index=pd.Index(units, name="unit_id"), name="patrol_coverage")
    if last < first:
        return result
    cells = _grid(session)
    days = patrolled_days(session, config, first, last, zone, cells)
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
