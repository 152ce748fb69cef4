"""Teams, their zones (分片) and key sites: kept by the campaign office and the districts."""

from __future__ import annotations

from datetime import date
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from gardencity.auth.models import Grid, Unit, User
from gardencity.auth.permissions import (
    STAFF,
    UnitTree,
    authorize,
    register_permissions,
    scope_units,
)
from gardencity.auth.roles import Role
from gardencity.auth.unit_names import unit_label, unit_labels, unit_message
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.organisation import audit
from gardencity.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from gardencity.messages import Catalogue
from gardencity.patrols.models import (
    KeySite,
    PatrolTeam,
    PatrolTeamMember,
    PatrolZone,
    PatrolZoneCell,
)
from gardencity.patrols.schemas import KeySiteIn, KeySiteOut, TeamIn, TeamOut, ZoneIn, ZoneOut

__all__ = [
    "add_zone",
    "create_key_site",
    "create_team",
    "delete_zone",
    "key_site_out",
    "list_key_sites",
    "list_teams",
    "managed_zone",
    "team_out",
    "zone_names",
    "zones_on",
]
MESSAGES = Catalogue(__package__)

register_permissions(
    {
        "patrol.manage": frozenset({Role.ADMIN, Role.COORDINATOR}),
        "patrol.view": STAFF,
        "patrol.record": frozenset({Role.ADMIN, Role.COORDINATOR, Role.OFFICER, Role.INSPECTOR}),
    }
)


def _users(session: Session, ids: list[int], units: set[int] | None = None) -> dict[int, User]:
    found = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids))).all()}
    missing = sorted(set(ids) - {u for u, user in found.items() if user.is_active})
    if missing:
        raise InvalidRequestError(MESSAGES.message("users_not_found", ids=missing))
    outside = [
        u.display_name for u in found.values() if units is not None and u.unit_id not in units
    ]
    if outside:
        raise PermissionDeniedError(MESSAGES.message("people_outside", names="、".join(outside)))
    return found


def _scope(session: Session, actor: User) -> set[int] | None:
    """The units whose teams, zones and key sites ``actor`` sees and (with patrol.manage)
    keeps: a district coordinator's district, None for the whole city."""
    return scope_units(actor, UnitTree.from_session(session))


def _own_unit(
    session: Session, units: set[int] | None, actor: User, unit_id: int | None
) -> int | None:
    """The unit a new team or key site belongs to: the one given (within the actor's scope),
    else, for a district's staff, their own."""
    if unit_id is None and units is not None:
        unit_id = actor.unit_id
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise InvalidRequestError(MESSAGES.message("unit_not_found", unit_id=unit_id))
        if units is not None and unit_id not in units:
            raise PermissionDeniedError(
                MESSAGES.message("unit_outside", unit=unit_message(unit.name, unit.name_en))
            )
    return unit_id


def _cells_within(session: Session, units: set[int] | None, codes: list[str]) -> None:
    if units is None or not codes:
        return
    query = select(Grid.code, Grid.unit_id).where(Grid.code.in_(codes))
    owners = dict(session.execute(query).all())
    outside = [c for c in codes if owners.get(c) not in units]
    if outside:
        raise PermissionDeniedError(MESSAGES.message("cells_outside", codes=outside[:20]))


def _managed_team(session: Session, actor: User, team_id: int) -> PatrolTeam:
    """A team ``actor`` keeps; one outside their district is not found (as if absent)."""
    team = session.get(PatrolTeam, team_id)
    units = _scope(session, actor)
    if team is None or (units is not None and team.unit_id not in units):
        raise NotFoundError(MESSAGES.message("team_not_found", team_id=team_id))
    return team


def managed_zone(session: Session, actor: User, zone_id: int) -> PatrolZone:
    """A zone of a team ``actor`` keeps (else not found)."""
    authorize(actor, "patrol.manage")
    zone = session.get(PatrolZone, zone_id)
    units = _scope(session, actor)
    if zone is None or (units is not None and zone.team.unit_id not in units):
        raise NotFoundError(MESSAGES.message("zone_not_found", zone_id=zone_id))
    return zone


def _known_cells(session: Session, codes: list[str]) -> list[str]:
    wanted = sorted({c.strip() for c in codes if c.strip()})
    known = set(session.scalars(select(Grid.code).where(Grid.code.in_(wanted))).all())
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise InvalidRequestError(MESSAGES.message("cells_not_found", codes=unknown[:20]))
    return wanted


def create_team(session: Session, ctx: ServiceContext, actor: User, data: TeamIn) -> PatrolTeam:
    """A new team with its leader and members (the leader is a member too); a district's
    coordinator makes teams of their district, of its people."""
    authorize(actor, "patrol.manage")
    units = _scope(session, actor)
    people = sorted({data.leader_id, *data.member_ids})
    _users(session, people, units)
    unit_id = _own_unit(session, units, actor, data.unit_id)
    team = PatrolTeam(
        name=data.name, unit_id=unit_id, leader_id=data.leader_id, created_at=ctx.now()
    )
    team.members = [PatrolTeamMember(user_id=u) for u in people]
    session.add(team)
    session.flush()
    audit(session, ctx, actor, "patrol_team.create", team, {"name": team.name})
    return team


def add_zone(
    session: Session, ctx: ServiceContext, actor: User, team_id: int, data: ZoneIn
) -> PatrolZone:
    """Assign grid cells to a team for a range of days (a district's cells, for a district's
    coordinator)."""
    authorize(actor, "patrol.manage")
    team = _managed_team(session, actor, team_id)
    codes = _known_cells(session, data.grid_codes)
    _cells_within(session, _scope(session, actor), codes)
    zone = PatrolZone(
        team_id=team.id,
        name=data.name,  # none: the pages name it after its district
        start_date=data.start_date,
        end_date=data.end_date,
        created_at=ctx.now(),
    )
    zone.cells = [PatrolZoneCell(grid_code=c) for c in codes]
    session.add(zone)
    session.flush()
    audit(session, ctx, actor, "patrol_zone.create", zone, {"team": team.id, "cells": codes})
    return zone


def delete_zone(session: Session, ctx: ServiceContext, actor: User, zone_id: int) -> None:
    zone = managed_zone(session, actor, zone_id)
    session.execute(delete(PatrolZoneCell).where(PatrolZoneCell.zone_id == zone_id))
    session.delete(zone)
    audit(session, ctx, actor, "patrol_zone.delete", zone, {"team": zone.team_id})


def list_teams(session: Session, actor: User) -> list[PatrolTeam]:
    """The teams of ``actor``'s scope (a district's, for its staff) and those they are in."""
    authorize(actor, "patrol.view")
    query = select(PatrolTeam).options(
        selectinload(PatrolTeam.members),
        selectinload(PatrolTeam.zones).selectinload(PatrolZone.cells),
    )
    teams = list(session.scalars(query.order_by(PatrolTeam.id)).all())
    units = _scope(session, actor)
    if units is None:
        return teams
    mine = {t.id for t in teams if any(m.user_id == actor.id for m in t.members)}
    return [t for t in teams if t.unit_id in units or t.leader_id == actor.id or t.id in mine]


def zones_on(session: Session, first: date, last: date) -> list[PatrolZone]:
    """The zones assigned for any day from ``first`` to ``last`` (both included)."""
    query = (
        select(PatrolZone)
        .where(PatrolZone.start_date <= last, PatrolZone.end_date >= first)
        .options(selectinload(PatrolZone.cells), selectinload(PatrolZone.team))
        .order_by(PatrolZone.team_id, PatrolZone.start_date, PatrolZone.id)
    )
    return list(session.scalars(query).all())


def zone_names(session: Session, lang: str) -> dict[int, str]:
    """Every zone's name: its own, else one made from its district and its number among the
    district's zones (see the messages zone_name.*) — never its cells' codes. A zone's
    district is its team's, else that of its first cell."""
    tree = UnitTree.from_session(session)
    kinds = dict(session.execute(select(Unit.id, Unit.kind)).all())
    labels = unit_labels(session, lang)
    zones = session.execute(
        select(PatrolZone.id, PatrolZone.name, PatrolTeam.unit_id)
        .join(PatrolTeam, PatrolTeam.id == PatrolZone.team_id)
        .order_by(PatrolZone.id)
    ).all()
    first_cells = session.execute(
        select(PatrolZoneCell.zone_id, Grid.unit_id)
        .join(Grid, Grid.code == PatrolZoneCell.grid_code)
        .order_by(PatrolZoneCell.zone_id, PatrolZoneCell.grid_code)
    ).all()
    cell_unit: dict[int, int | None] = {}
    for zone_id, unit_id in first_cells:
        cell_unit.setdefault(zone_id, unit_id)

    def district(unit_id: int | None) -> str | None:
        for u in tree.ancestors(unit_id) if unit_id is not None else []:
            if kinds.get(u) == "district":
                return labels[u]
        return None

    counts: dict[str | None, int] = {}
    names = {}
    for zone_id, name, team_unit in zones:
        where = district(team_unit) or district(cell_unit.get(zone_id))
        counts[where] = counts.get(where, 0) + 1
        if name and name.strip():
            names[zone_id] = name
        elif where is None:
            names[zone_id] = MESSAGES.text("zone_name.plain", lang, n=counts[where])
        else:
            names[zone_id] = MESSAGES.text(
                "zone_name.district", lang, n=counts[where], district=where
            )
    return names


def _names(session: Session, model: Any, ids: set[int]) -> dict[int, str]:
    column = model.display_name if model is User else model.name
    return dict(session.execute(select(model.id, column).where(model.id.in_(ids))).all())


def team_out(
    session: Session, team: PatrolTeam, names: dict[int, str] | None = None, lang: str = "zh"
) -> TeamOut:
    """A team for the API, its unit's and zones' names in ``lang``; ``names``:
    :func:`zone_names` in ``lang``."""
    names = zone_names(session, lang) if names is None else names
    people = _names(session, User, {team.leader_id, *(m.user_id for m in team.members)})
    unit = session.get(Unit, team.unit_id) if team.unit_id else None
    return TeamOut(
        id=team.id,
        name=team.name,
        unit_id=team.unit_id,
        unit_name=unit_label(unit.name, unit.name_en, lang) if unit else None,
        leader_id=team.leader_id,
        leader_name=people.get(team.leader_id, ""),
        members=[{"id": m.user_id, "name": people.get(m.user_id, "")} for m in team.members],
        zones=[zone_out(z, names) for z in team.zones],
    )


def zone_out(zone: PatrolZone, names: dict[int, str] | None = None) -> ZoneOut:
    return ZoneOut(
        id=zone.id,
        team_id=zone.team_id,
        name=zone.name,
        display_name=(names or {}).get(zone.id) or zone.name,
        grid_codes=[c.grid_code for c in zone.cells],
        start_date=zone.start_date,
        end_date=zone.end_date,
    )


def create_key_site(session: Session, ctx: ServiceContext, actor: User, data: KeySiteIn) -> KeySite:
    authorize(actor, "patrol.manage")
    units = _scope(session, actor)
    _users(session, [data.watcher_id], units)
    unit_id = _own_unit(session, units, actor, data.unit_id)
    if data.grid_code:
        _cells_within(session, units, _known_cells(session, [data.grid_code]))
    geometry = None
    if data.geometry is not None:
        try:
            geometry = shape(data.geometry.model_dump())
        except (ValueError, TypeError, IndexError, AttributeError) as exc:
            raise InvalidRequestError(MESSAGES.message("bad_geometry", detail=str(exc))) from exc
        if not shapely.is_valid(geometry):
            geometry = shapely.make_valid(geometry)
    site = KeySite(
        name=data.name,
        kind=data.kind,
        geometry=geometry,
        grid_code=data.grid_code or None,
        watcher_id=data.watcher_id,
        unit_id=unit_id,
        note=data.note,
        created_at=ctx.now(),
    )
    session.add(site)
    session.flush()
    audit(session, ctx, actor, "key_site.create", site, {"name": site.name})
    return site


def list_key_sites(session: Session, actor: User) -> list[KeySite]:
    """The key sites of ``actor``'s scope and those they watch."""
    authorize(actor, "patrol.view")
    sites = list(session.scalars(select(KeySite).order_by(KeySite.id)).all())
    units = _scope(session, actor)
    return [s for s in sites if units is None or s.unit_id in units or s.watcher_id == actor.id]


def key_site_out(session: Session, site: KeySite, lang: str) -> KeySiteOut:
    watcher = session.get(User, site.watcher_id)
    return KeySiteOut(
        id=site.id,
        name=site.name,
        kind=site.kind,
        kind_label=MESSAGES.text(f"key_site.{site.kind}", lang),
        watcher_id=site.watcher_id,
        watcher_name=watcher.display_name if watcher else "",
        grid_code=site.grid_code,
        unit_id=site.unit_id,
        note=site.note,
        geometry=dict(mapping(site.geometry)) if site.geometry is not None else None,
    )
