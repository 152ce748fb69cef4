"""A district's week of patrols, per team and zone: how many patrols, how far, which share of
the zone's cells was patrolled, how many cases were filed on the way (the weekly patrol and
maintenance summary's patrol table)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gardencity.auth.models import Grid
from gardencity.auth.permissions import UnitTree
from gardencity.patrols.config import PatrolConfig
from gardencity.patrols.days import period_days
from gardencity.patrols.models import Patrol, PatrolCase, PatrolZone
from gardencity.patrols.status import patrolled_days, patrols_of
from gardencity.patrols.teams import zone_names, zones_on
from gardencity.patrols.tracks import length_m, track_coords

__all__ = ["district_week_rows"]


def _in_district(session: Session, zone: PatrolZone, units: set[int]) -> bool:
    if zone.team.unit_id is not None:
        return zone.team.unit_id in units
    codes = [c.grid_code for c in zone.cells]
    owners = session.scalars(select(Grid.unit_id).where(Grid.code.in_(codes))).all()
    return any(u in units for u in owners)


def _team_patrols(patrols: list[Patrol], team_id: int) -> list[Patrol]:
    return [p for p in patrols if p.team_id == team_id]


def _km(session: Session, patrols: list[Patrol]) -> float:
    coords: dict[int, list[tuple[float, float]]] = {}
    for row in track_coords(session, [p.id for p in patrols]):
        coords.setdefault(row.patrol_id, []).append((row.lon, row.lat))
    metres = sum(length_m(line) or 0.0 for line in coords.values())
    return round(metres / 1000, 2)


def district_week_rows(
    session: Session,
    district_id: int,
    start: date | datetime,
    end: date | datetime,
    *,
    config: PatrolConfig,
    zone: str,
) -> list[dict[str, Any]]:
    """One row per team and zone of the district assigned from ``start`` to before ``end``:
    ``team``, ``zone``, ``patrols`` (the team's patrols started in the period), ``km`` (their
    tracks' length), ``coverage`` (share of the zone's cells patrolled at least once, 0–1) and
    ``cases`` (filed during those patrols). A zone shared by a team's several rows counts its
    team's patrols in each. [] when the district had no zone in the period."""
    first, last = period_days(start, end, zone)
    units = set(UnitTree.from_session(session).subtree(district_id))
    zones = [z for z in zones_on(session, first, last) if _in_district(session, z, units)]
    if not zones:
        return []
    codes = sorted({c.grid_code for z in zones for c in z.cells})
    days = patrolled_days(session, config, first, last, codes)
    patrolled = set(days.index[days.any(axis=1)]) if len(days.columns) else set()
    patrols = patrols_of(session, first, last, zone)
    names = zone_names(session, "zh")  # the summary is a Chinese office document
    rows = []
    for z in zones:
        mine = _team_patrols(patrols, z.team_id)
        cases = session.scalar(
            select(func.count(PatrolCase.id)).where(PatrolCase.patrol_id.in_([p.id for p in mine]))
        )
        wanted = {c.grid_code for c in z.cells}
        rows.append(
            {
                "team": z.team.name,
                "zone": names.get(z.id, z.name),
                "patrols": len(mine),
                "km": _km(session, mine),
                "coverage": len(wanted & patrolled) / len(wanted) if wanted else None,
                "cases": int(cases or 0),
            }
        )
    return rows
