"""Patrols by zone: teams and zones, key sites, patrols with their GPS tracks, the grid's
coverage and the zones not patrolled this week (with a reminder to the team's leader)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from pydantic import BaseModel, BeforeValidator
from sqlalchemy import select

from gardencity.api.deps import Ctx, CurrentUser, DbSession, Lang, PathId
from gardencity.api.errors import ERROR_RESPONSES
from gardencity.api.presenters import json_response
from gardencity.auth.models import Grid
from gardencity.auth.permissions import authorize
from gardencity.errors import NotFoundError
from gardencity.notifications.audiences import Reach, Target, targets
from gardencity.notifications.outbox import Notifier
from gardencity.patrols import status, teams, tracks
from gardencity.patrols.config import PatrolConfig, load_patrol_config
from gardencity.patrols.daily import any_stale, refresh_stale
from gardencity.patrols.schemas import (
    CasePatrolOut,
    KeySiteIn,
    KeySiteOut,
    PatrolIn,
    PatrolOut,
    PointsIn,
    PointsOut,
    StopIn,
    TeamIn,
    TeamOut,
    ZoneIn,
    ZoneOut,
)
from gardencity.settings import Settings
from gardencity.vocabulary import vocabulary
from gardencity.vocabulary.dates import chinese_date, english_date

router = APIRouter(prefix="/api/v1", tags=["patrols"], responses=ERROR_RESPONSES)
MAX_DAYS = 31


def _config(request: Request) -> PatrolConfig:
    settings: Settings = request.app.state.settings
    return load_patrol_config(settings.campaign_config)


def _zone(request: Request) -> str:
    return str(request.app.state.settings.timezone)


def _today(request: Request, ctx: Any) -> date:
    return status.local_today(ctx.now(), _zone(request))


@router.get("/patrol-teams", operation_id="list_patrol_teams", response_model=list[TeamOut])
def list_patrol_teams(session: DbSession, user: CurrentUser, lang: Lang) -> list[TeamOut]:
    """Patrol teams with their leaders, members and zones (of the user's district, for a
    district's staff)."""
    names = teams.zone_names(session, lang)
    return [teams.team_out(session, t, names, lang) for t in teams.list_teams(session, user)]


@router.post("/patrol-teams", operation_id="create_patrol_team", status_code=201)
def create_patrol_team(
    session: DbSession, ctx: Ctx, user: CurrentUser, body: TeamIn, lang: Lang
) -> TeamOut:
    team = teams.create_team(session, ctx, user, body)
    session.commit()
    return teams.team_out(session, team, teams.zone_names(session, lang), lang)


@router.post("/patrol-teams/{team_id}/zones", operation_id="add_patrol_zone", status_code=201)
def add_patrol_zone(
    session: DbSession, ctx: Ctx, user: CurrentUser, team_id: PathId, body: ZoneIn, lang: Lang
) -> ZoneOut:
    """Assign grid cells (by code) to the team for a range of days (分片); a zone given no
    name is named after its district (鼓楼区第2片区)."""
    zone = teams.add_zone(session, ctx, user, team_id, body)
    session.commit()
    return teams.zone_out(zone, teams.zone_names(session, lang))


@router.delete("/patrol-zones/{zone_id}", operation_id="delete_patrol_zone", status_code=204)
def delete_patrol_zone(
    session: DbSession, ctx: Ctx, user: CurrentUser, zone_id: PathId
) -> Response:
    teams.delete_zone(session, ctx, user, zone_id)
    session.commit()
    return Response(status_code=204)


@router.get("/key-sites", operation_id="list_key_sites", response_model=list[KeySiteOut])
def list_key_sites(session: DbSession, user: CurrentUser, lang: Lang) -> list[KeySiteOut]:
    """重点地段 and 重点单位 with the person who watches each."""
    return [teams.key_site_out(session, s, lang) for s in teams.list_key_sites(session, user)]


@router.post("/key-sites", operation_id="create_key_site", status_code=201)
def create_key_site(
    session: DbSession, ctx: Ctx, user: CurrentUser, body: KeySiteIn, lang: Lang
) -> KeySiteOut:
    site = teams.create_key_site(session, ctx, user, body)
    session.commit()
    return teams.key_site_out(session, site, lang)


@router.post(
    "/patrols",
    operation_id="start_patrol",
    status_code=201,
    response_model=PatrolOut,
    responses={200: {"model": PatrolOut, "description": "a repeat: the patrol already started"}},
)
def start_patrol(session: DbSession, ctx: Ctx, user: CurrentUser, body: PatrolIn) -> Response:
    """Start a patrol; the phone makes its ``uuid``, and a repeat finds the same patrol."""
    patrol, new = tracks.start_patrol(session, ctx, user, body)
    session.commit()
    return json_response(tracks.patrol_out(session, user, patrol), status_code=201 if new else 200)


@router.post("/patrols/{uuid}/points", operation_id="add_patrol_points", response_model=PointsOut)
def add_patrol_points(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    uuid: UUID,
    body: PointsIn,
    after: BackgroundTasks,
) -> PointsOut:
    """Add track points; a point already stored (same ``seq``) is a repeat, not stored again.
    The grid's daily coverage is brought up to date with the new points (for a batch that
    came after later ones, just after the answer: ``coverage_pending``)."""
    config, zone = _config(request), _zone(request)
    out = tracks.add_points(session, ctx, user, str(uuid), body, config=config, zone=zone)
    session.commit()
    if out.coverage_pending or any_stale(session):
        after.add_task(refresh_stale, request.app.state.db, config=config, zone=zone)
    return out


@router.post("/patrols/{uuid}/stop", operation_id="stop_patrol", response_model=PatrolOut)
def stop_patrol(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    uuid: UUID,
    body: StopIn,
    lang: Lang,
) -> Response:
    patrol = tracks.stop_patrol(session, ctx, user, str(uuid), body, zone=_zone(request), lang=lang)
    session.commit()
    return json_response(tracks.patrol_out(session, user, patrol))


def _days(request: Request, ctx: Any, day: date | None, days: int) -> tuple[date, date]:
    last = day or _today(request, ctx)
    return last - timedelta(days=days - 1), last


def _iso_date(value: object) -> object:
    """Only an ISO 8601 date (a number is not taken for a Unix time)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        # one of pydantic's details (which speak English), under the translated message
        raise ValueError("expected an ISO 8601 date such as 2026-05-04")
    return value


DayQuery = Annotated[
    date | None,
    BeforeValidator(_iso_date),
    Query(description="the last day (the city's, ISO 8601); default today"),
]
DaysQuery = Annotated[int, Query(ge=1, le=MAX_DAYS, description="how many days up to it")]


@router.get("/patrols/tracks.geojson", operation_id="patrol_tracks")
def patrol_tracks(
    request: Request,
    session: DbSession,
    ctx: Ctx,
    user: CurrentUser,
    lang: Lang,
    day: DayQuery = None,
    days: DaysQuery = 1,
) -> dict[str, Any]:
    """The tracks of the patrols started on those days, as GeoJSON lines."""
    first, last = _days(request, ctx, day, days)
    zone = _zone(request)
    features = tracks.track_features(
        session,
        user,
        status.day_start(first, zone),
        status.day_start(last + timedelta(1), zone),
        zone,
        lang,
    )
    return {"type": "FeatureCollection", "features": features}


@router.get("/patrols/coverage.geojson", operation_id="patrol_coverage")
def patrol_coverage(
    request: Request, session: DbSession, ctx: Ctx, user: CurrentUser, lang: Lang
) -> dict[str, Any]:
    """Every grid cell with its patrol state today: ``today``, ``this_week``, ``earlier``
    (within the last N days) or ``stale`` (not for N days), and its last patrolled day."""
    authorize(user, "patrol.view")
    config, zone = _config(request), _zone(request)
    today = _today(request, ctx)
    states = status.cell_states(session, config, today, zone)
    words = vocabulary()
    rows = session.execute(select(Grid.code, Grid.name, Grid.geometry).order_by(Grid.code)).all()
    features = []
    for code, name, geometry in rows:
        row = states.loc[code]
        last = row["last_patrolled"]
        features.append(
            {
                "type": "Feature",
                "geometry": geometry.__geo_interface__,
                "properties": {
                    "code": code,
                    "name": name,
                    "state": row["state"],
                    "state_label": words.label("patrol_coverage", row["state"], lang).format(
                        n=config.stale_days
                    ),
                    "last_patrolled": None if last is None else last.isoformat(),
                    "last_patrolled_text": None if last is None else _date_text(last, lang),
                },
            }
        )
    counts = {s: int((states["state"] == s).sum()) for s in status.STATES}
    return {
        "type": "FeatureCollection",
        "features": features,
        "today": today.isoformat(),
        "stale_days": config.stale_days,
        "threshold": config.threshold,
        "sight_m": config.sight_m,
        "counts": counts,
    }


def _date_text(day: date, lang: str) -> str:
    return english_date(day) if lang == "en" else chinese_date(day)


class ZoneGap(BaseModel):
    zone_id: int
    zone_name: str
    grid_codes: list[str]
    team_id: int
    team_name: str
    leader_id: int
    leader_name: str
    start_date: date
    end_date: date
    since: date
    since_text: str
    cells: int
    missing: list[str]


class ZoneGaps(BaseModel):
    assigned: int
    zones: list[ZoneGap]


@router.get("/patrols/unpatrolled-zones", operation_id="unpatrolled_zones", response_model=ZoneGaps)
def unpatrolled_zones(
    request: Request, session: DbSession, ctx: Ctx, user: CurrentUser, lang: Lang
) -> ZoneGaps:
    """The zones assigned this week (``assigned``: how many) with grid cells not patrolled
    since Monday (or since the zone began), worst first."""
    authorize(user, "patrol.view")
    today = _today(request, ctx)
    gaps = status.zones_not_patrolled(session, _config(request), today, _zone(request), lang)
    assigned = len(teams.zones_on(session, status.week_start(today), today))
    zones = [ZoneGap(**g, since_text=_date_text(g["since"], lang)) for g in gaps]
    return ZoneGaps(assigned=assigned, zones=zones)


class Notified(BaseModel):
    notified: int
    message: str


@router.post("/patrol-zones/{zone_id}/notify-leader", operation_id="notify_zone_leader")
def notify_zone_leader(
    request: Request, session: DbSession, ctx: Ctx, user: CurrentUser, zone_id: PathId, lang: Lang
) -> Notified:
    """Remind the team's leader that the zone was not patrolled this week (once a day: a
    second press the same day sends nothing more)."""
    teams.managed_zone(session, user, zone_id)  # a zone of another district: not found
    today = _today(request, ctx)
    gaps = status.zones_not_patrolled(session, _config(request), today, _zone(request), lang)
    gap = next((g for g in gaps if g["zone_id"] == zone_id), None)
    if gap is None:
        raise NotFoundError(teams.MESSAGES.message("notify.no_zone", zone_id=zone_id))
    notifier: Notifier = request.app.state.notifications.notifier
    leader = int(gap["leader_id"])
    reach = Reach(users={leader: None})
    sends = notifier.config.rules.get("patrol_gap", ())
    found = [Target(channel="inbox", audience="leader", user_id=leader)]
    found += [
        t
        for t in targets(session, "patrol_gap", [(s, "leader", reach) for s in sends])
        if t.channel != "inbox"
    ]
    payload = {
        "event": "patrol_gap",
        "patrol_gap": {
            **{k: gap[k] for k in ("zone_id", "zone_name", "grid_codes", "team_name")},
            **{k: gap[k] for k in ("cells", "missing")},
            "since": gap["since"].isoformat(),
            "end_date": gap["end_date"].isoformat(),
        },
    }
    count = notifier.enqueue(
        session, "patrol_gap", [(t, payload) for t in found], dedupe=f"patrol_gap:{zone_id}:{today}"
    )
    session.commit()
    message = teams.MESSAGES.text("notify.sent", lang, name=gap["leader_name"])
    return Notified(notified=count, message=message)


@router.get(
    "/cases/{case_id}/patrol", operation_id="case_patrol", response_model=CasePatrolOut | None
)
def case_patrol(
    request: Request, session: DbSession, user: CurrentUser, case_id: PathId, lang: Lang
) -> CasePatrolOut | None:
    """The patrol the case was filed in: team, patroller, start and a link to its track on
    the map; null when it was not filed during a patrol."""
    return tracks.case_patrol(session, user, case_id, zone=_zone(request), lang=lang)


# after /patrols/tracks.geojson and the others: a UUID is not a file name
@router.get("/patrols/{uuid}", operation_id="get_patrol", response_model=PatrolOut)
def get_patrol(session: DbSession, user: CurrentUser, uuid: UUID) -> Response:
    patrol = tracks.get_patrol(session, user, str(uuid))
    return json_response(tracks.patrol_out(session, user, patrol))
