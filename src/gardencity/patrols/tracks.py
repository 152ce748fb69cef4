"""Patrols and their GPS tracks, as the phone sends them.

The phone makes a patrol's UUID and numbers its points from 0, so everything it sends can be
sent again: a start already stored finds its patrol, a point already stored (same patrol,
same number) is counted as a repeat and not stored again, a stop already stored at the same
moment is a repeat. A patrol belongs to the user who started it; no one else adds to it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import geopandas as gpd
import shapely
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gardencity.auth.models import User
from gardencity.auth.permissions import UnitTree, authorize, can_see_case, scope_units
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.models import Case
from gardencity.campaign.service import get_case
from gardencity.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from gardencity.io.crs import local_metric_crs
from gardencity.messages import Catalogue
from gardencity.patrols.config import PatrolConfig
from gardencity.patrols.daily import record_points
from gardencity.patrols.models import Patrol, PatrolCase, PatrolPoint, PatrolTeam, PatrolTeamMember
from gardencity.patrols.schemas import (
    CasePatrolOut,
    PatrolIn,
    PatrolOut,
    PointsIn,
    PointsOut,
    StopIn,
)
from gardencity.vocabulary.dates import in_zone, local_time

__all__ = [
    "add_points",
    "case_patrol",
    "get_patrol",
    "length_m",
    "link_case",
    "patrol_out",
    "start_patrol",
    "stop_patrol",
    "track_coords",
    "track_features",
]
MESSAGES = Catalogue(__package__)
EARLY = timedelta(minutes=10)  # a phone's clock may run this far ahead of the server's


def _own(session: Session, actor: User, uuid: str) -> Patrol:
    patrol = session.scalars(select(Patrol).where(Patrol.uuid == str(uuid))).one_or_none()
    if patrol is None:
        raise NotFoundError(MESSAGES.message("patrol_not_found", uuid=uuid))
    if patrol.user_id != actor.id:
        raise PermissionDeniedError(MESSAGES.message("patrol_not_yours", uuid=uuid))
    return patrol


def get_patrol(session: Session, actor: User, uuid: str) -> Patrol:
    """A patrol its patroller, or staff who may see the patroller's unit, may read."""
    authorize(actor, "patrol.view")
    patrol = session.scalars(select(Patrol).where(Patrol.uuid == str(uuid))).one_or_none()
    if patrol is None:
        raise NotFoundError(MESSAGES.message("patrol_not_found", uuid=uuid))
    if patrol.user_id != actor.id:
        owner = session.get(User, patrol.user_id)
        units = scope_units(actor, UnitTree.from_session(session))
        if units is not None and (owner is None or owner.unit_id not in units):
            raise NotFoundError(MESSAGES.message("patrol_not_found", uuid=uuid))
    return patrol


def _not_ahead(ctx: ServiceContext, when: datetime, field: str) -> None:
    if when > ctx.now() + EARLY:
        raise InvalidRequestError(MESSAGES.message("in_future", field=field, at=when.isoformat()))


def start_patrol(
    session: Session, ctx: ServiceContext, actor: User, data: PatrolIn
) -> tuple[Patrol, bool]:
    """The patrol ``data.uuid`` of ``actor``: (patrol, True) when it is new."""
    authorize(actor, "patrol.record")
    _not_ahead(ctx, data.started_at, "started_at")
    existing = session.scalars(select(Patrol).where(Patrol.uuid == str(data.uuid))).one_or_none()
    if existing is not None:
        if existing.user_id != actor.id:
            raise PermissionDeniedError(MESSAGES.message("patrol_not_yours", uuid=data.uuid))
        return existing, False
    team_id = data.team_id
    if team_id is None:  # the team the patroller belongs to (the newest, if several)
        team_id = session.scalar(
            select(PatrolTeamMember.team_id)
            .where(PatrolTeamMember.user_id == actor.id)
            .order_by(PatrolTeamMember.team_id.desc())
            .limit(1)
        )
    elif session.get(PatrolTeam, team_id) is None:
        raise InvalidRequestError(MESSAGES.message("team_not_found", team_id=team_id))
    patrol = Patrol(
        uuid=str(data.uuid),
        user_id=actor.id,
        team_id=team_id,
        started_at=data.started_at,
        created_at=ctx.now(),
    )
    session.add(patrol)
    session.flush()
    return patrol, True


def add_points(
    session: Session,
    ctx: ServiceContext,
    actor: User,
    uuid: str,
    data: PointsIn,
    *,
    config: PatrolConfig,
    zone: str,
) -> PointsOut:
    """Store the points of ``data`` the patrol lacks (the others are repeats) and bring the
    grid's daily coverage up to date with them."""
    authorize(actor, "patrol.record")
    patrol = _own(session, actor, uuid)
    latest = ctx.now() if patrol.ended_at is None else min(ctx.now(), patrol.ended_at)
    problems = [
        f"seq {p.seq}: {p.at.isoformat()}"
        for p in data.points
        if not patrol.started_at - EARLY <= p.at <= latest + EARLY
    ]
    if problems:
        raise InvalidRequestError(
            MESSAGES.message("points_outside_patrol", points="; ".join(problems[:10]))
        )
    seqs = [p.seq for p in data.points]
    stored = set(
        session.scalars(
            select(PatrolPoint.seq).where(
                PatrolPoint.patrol_id == patrol.id, PatrolPoint.seq.in_(seqs)
            )
        ).all()
    )
    new = [p for p in data.points if p.seq not in stored]
    session.add_all(
        PatrolPoint(
            patrol_id=patrol.id, seq=p.seq, at=p.at, lon=p.lon, lat=p.lat, accuracy=p.accuracy
        )
        for p in new
    )
    try:
        session.flush()
    except IntegrityError as exc:  # the same batch, sent twice at the same moment
        session.rollback()
        raise ConflictError(MESSAGES.message("points_meanwhile")) from exc
    pending = record_points(session, patrol.id, [p.seq for p in new], config=config, zone=zone)
    total = session.scalar(select(func.count()).where(PatrolPoint.patrol_id == patrol.id)) or 0
    return PointsOut(
        stored=len(new),
        repeated=len(data.points) - len(new),
        total=int(total),
        coverage_pending=pending,
    )


def stop_patrol(
    session: Session,
    ctx: ServiceContext,
    actor: User,
    uuid: str,
    data: StopIn,
    *,
    zone: str,
    lang: str = "zh",
) -> Patrol:
    """Stop the patrol; stopping it again at another moment is refused (it was stopped)."""
    authorize(actor, "patrol.record")
    patrol = _own(session, actor, uuid)
    _not_ahead(ctx, data.ended_at, "ended_at")
    if patrol.ended_at is not None:
        if patrol.ended_at == data.ended_at:
            return patrol  # the same stop, sent again
        raise ConflictError(
            MESSAGES.message("already_stopped", at=local_time(patrol.ended_at, lang, zone))
        )
    if data.ended_at < patrol.started_at:
        raise InvalidRequestError(MESSAGES.message("stop_before_start"))
    patrol.ended_at = data.ended_at
    session.flush()
    return patrol


def link_case(session: Session, actor: User, uuid: str, case: Case) -> None:
    """Record that ``case`` was filed during the patrol ``uuid`` of ``actor`` (once)."""
    patrol = _own(session, actor, uuid)
    if session.scalars(select(PatrolCase).where(PatrolCase.case_id == case.id)).first():
        return
    session.add(PatrolCase(patrol_id=patrol.id, case_id=case.id))
    session.flush()


def track_coords(session: Session, patrol_ids: list[int]) -> list[Any]:
    """The patrols' points in order: rows of ``patrol_id``, ``lon``, ``lat``."""
    return list(
        session.execute(
            select(PatrolPoint.patrol_id, PatrolPoint.lon, PatrolPoint.lat)
            .where(PatrolPoint.patrol_id.in_(patrol_ids))
            .order_by(PatrolPoint.patrol_id, PatrolPoint.seq)
        ).all()
    )


def length_m(coords: list[tuple[float, float]]) -> float | None:
    """A track's length in metres (None: no point)."""
    if len(coords) < 2:
        return None if not coords else 0.0
    line = gpd.GeoSeries([shapely.LineString(coords)], crs=4326)
    return round(
        float(line.to_crs(local_metric_crs(gpd.GeoDataFrame(geometry=line))).length.iloc[0]), 1
    )


def patrol_out(session: Session, actor: User, patrol: Patrol) -> PatrolOut:
    coords = [(r.lon, r.lat) for r in track_coords(session, [patrol.id])]
    tree = UnitTree.from_session(session)
    linked = session.execute(
        select(Case)
        .join(PatrolCase, PatrolCase.case_id == Case.id)
        .where(PatrolCase.patrol_id == patrol.id)
    ).scalars()
    user = session.get(User, patrol.user_id)
    return PatrolOut(
        id=patrol.id,
        uuid=patrol.uuid,
        user_id=patrol.user_id,
        user_name=user.display_name if user else "",
        team_id=patrol.team_id,
        started_at=patrol.started_at,
        ended_at=patrol.ended_at,
        points=len(coords),
        length_m=length_m(coords),
        case_ids=sorted(c.id for c in linked if can_see_case(actor, c, tree)),
    )


def track_features(
    session: Session, actor: User, start: datetime, end: datetime, zone: Any, lang: str
) -> list[dict[str, Any]]:
    """The tracks of the patrols started from ``start`` to before ``end`` that ``actor`` may
    see, as GeoJSON line features (the patroller's name, start and end in ``lang``)."""
    authorize(actor, "patrol.view")
    query = select(Patrol, User).join(User, User.id == Patrol.user_id)
    query = query.where(Patrol.started_at >= start, Patrol.started_at < end)
    units = scope_units(actor, UnitTree.from_session(session))
    if units is not None:
        query = query.where((User.unit_id.in_(sorted(units))) | (User.id == actor.id))
    rows = session.execute(query.order_by(Patrol.started_at)).all()
    coords: dict[int, list[tuple[float, float]]] = {}
    for r in track_coords(session, [p.id for p, _ in rows]):
        coords.setdefault(r.patrol_id, []).append((r.lon, r.lat))
    features = []
    for patrol, user in rows:
        line = coords.get(patrol.id, [])
        if not line:
            continue
        geometry = {"type": "LineString", "coordinates": line if len(line) > 1 else line * 2}
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "uuid": patrol.uuid,
                    "user_name": user.display_name,
                    "started": local_time(patrol.started_at, lang, zone),
                    "ended": local_time(patrol.ended_at, lang, zone) if patrol.ended_at else None,
                    "points": len(line),
                },
            }
        )
    return features


def case_patrol(
    session: Session, actor: User, case_id: int, *, zone: str, lang: str
) -> CasePatrolOut | None:
    """The patrol the case ``case_id`` was filed in (None: not during a patrol), for staff who
    may see the case (else not found)."""
    authorize(actor, "patrol.view")
    get_case(session, actor, case_id, details=False)
    row = session.execute(
        select(Patrol, User.display_name, PatrolTeam.name)
        .join(PatrolCase, PatrolCase.patrol_id == Patrol.id)
        .join(User, User.id == Patrol.user_id)
        .outerjoin(PatrolTeam, PatrolTeam.id == Patrol.team_id)
        .where(PatrolCase.case_id == case_id)
    ).first()
    if row is None:
        return None
    patrol, user_name, team_name = row
    day = in_zone(patrol.started_at, zone).date()
    return CasePatrolOut(
        uuid=patrol.uuid,
        team_name=team_name,
        user_name=user_name,
        started_at=patrol.started_at,
        started_text=local_time(patrol.started_at, lang, zone),
        day=day,
        track_url=f"/cockpit?track={patrol.uuid}&day={day.isoformat()}#patrol-gaps",
    )
