"""Bridges from the database to the campaign's pure domain functions and configuration.

Routing, duplicate detection, deadlines and escalation are pure functions over plain data
(:mod:`~gardencity.campaign.routing`, :mod:`~gardencity.campaign.duplicates`,
:mod:`~gardencity.campaign.config`); this module loads what they need from the session.
Grids and units change rarely, so their frames are cached per database and refreshed when
the tables change.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.models import Grid, LeaderAssignment, Unit
from gardencity.auth.org_stamp import organisation_stamp
from gardencity.campaign.boundary import CityBoundary, check_inside
from gardencity.campaign.config import CampaignConfig, Category, deadline_for
from gardencity.campaign.duplicates import nearest_within
from gardencity.campaign.models import Case
from gardencity.campaign.routing import RoutingDecision, RoutingIndex, route_with_index
from gardencity.campaign.states import CaseStatus
from gardencity.db.spatial import in_bbox
from gardencity.errors import InvalidRequestError
from gardencity.messages import Catalogue

__all__ = [
    "category",
    "category_label",
    "check_in_city",
    "deadline",
    "duplicates",
    "escalation_hours",
    "route",
    "status_label",
    "unit",
]
MESSAGES = Catalogue(__package__)

_CACHE: dict[tuple[Any, ...], RoutingIndex] = {}
_BOUNDARIES: dict[tuple[Any, ...], CityBoundary | None] = {}
OPEN = [s.value for s in CaseStatus if s not in {CaseStatus.CLOSED, CaseStatus.DISCARDED}]


def category(config: CampaignConfig, code: str) -> Category:
    """The configured category ``code``, or an error listing the known ones."""
    found = config.categories.get(code)
    if found is None:
        known = sorted(config.categories)
        raise InvalidRequestError(MESSAGES.message("unknown_category", code=code, known=known))
    return found


def unit(session: Session, unit_id: int) -> Unit:
    found = session.get(Unit, unit_id)
    if found is None:
        raise InvalidRequestError(MESSAGES.message("unit_not_found", unit_id=unit_id))
    return found


def deadline(config: CampaignConfig, category_code: str, priority: str, at: datetime) -> datetime:
    return deadline_for(config, category_code, priority, at)


def escalation_hours(config: CampaignConfig) -> list[float]:
    """Hours past the deadline at which a case reaches level 1, 2, …"""
    return sorted(float(step.after_hours) for step in config.escalation)


def _routing_index(session: Session) -> RoutingIndex:
    stamp = organisation_stamp(session)
    if stamp not in _CACHE:
        grid_rows = session.execute(select(Grid.code, Grid.unit_id, Grid.geometry)).all()
        grids = gpd.GeoDataFrame(
            {"code": [r.code for r in grid_rows], "unit_id": [r.unit_id for r in grid_rows]},
            geometry=[r.geometry for r in grid_rows],
            crs=4326,
        )
        unit_rows = session.execute(
            select(
                Unit.id, Unit.parent_id, Unit.kind, Unit.code, Unit.name, Unit.name_en, Unit.area
            )
        ).all()
        units = pd.DataFrame(
            unit_rows, columns=["id", "parent_id", "kind", "code", "name", "name_en", "area"]
        )
        leaders = pd.DataFrame(
            session.execute(select(LeaderAssignment.user_id, LeaderAssignment.unit_id)).all(),
            columns=["user_id", "unit_id"],
        )
        _CACHE.clear()
        _CACHE[stamp] = RoutingIndex.from_frames(grids, units, leaders)
    return _CACHE[stamp]


def _city_boundary(session: Session) -> CityBoundary | None:
    """The city unit's area, else the districts', else the grid's (None: no areas yet)."""
    stamp = organisation_stamp(session)
    if stamp not in _BOUNDARIES:
        rows = session.execute(select(Unit.kind, Unit.parent_id, Unit.area)).all()
        roots = [r.area for r in rows if r.parent_id is None and r.area is not None]
        districts = [r.area for r in rows if r.kind == "district" and r.area is not None]
        areas = roots or districts or list(session.scalars(select(Grid.geometry)).all())
        _BOUNDARIES.clear()
        _BOUNDARIES[stamp] = CityBoundary.from_geometries(areas)
    return _BOUNDARIES[stamp]


def check_in_city(session: Session, config: CampaignConfig, lon: float, lat: float) -> None:
    """Refuse a location beyond the city's boundary plus the configured margin."""
    check_inside(_city_boundary(session), lon, lat, config.reports.boundary_margin_m)


def route(
    session: Session, config: CampaignConfig, lonlat: tuple[float, float], category_code: str
) -> RoutingDecision:
    """Route a case at ``lonlat`` by area and category (see
    :func:`~gardencity.campaign.routing.route_case`)."""
    return route_with_index(lonlat, category_code, _routing_index(session), config)


def duplicates(
    session: Session,
    config: CampaignConfig,
    lonlat: tuple[float, float],
    category_code: str,
    now: datetime,
) -> list[int]:
    """Open cases of the same category near ``lonlat`` within the configured window."""
    rule = config.duplicates
    pad = rule.radius_m / 80_000 + 1e-6  # degrees; generous at every latitude below 60°
    lon, lat = lonlat
    box = (lon - pad * 2, lat - pad, lon + pad * 2, lat + pad)
    rows = session.execute(
        select(Case.id, Case.lon, Case.lat).where(
            in_bbox(session.get_bind().dialect.name, Case, box),
            Case.category == category_code,
            Case.status.in_(OPEN),
            Case.created_at >= now - timedelta(days=rule.window_days),
        )
    ).all()
    table = np.array([tuple(row) for row in rows], dtype=float).reshape(-1, 3)
    return nearest_within(
        lonlat, table[:, 0].astype(int), table[:, 1], table[:, 2], radius_m=rule.radius_m
    )


def status_label(config: CampaignConfig, status: str, lang: str = "zh") -> str:
    """The city's label for a fixed status category, in ``lang`` (zh or en)."""
    label = config.status_labels.get(status)
    if label is None:
        return status
    return str(label.name_zh if lang == "zh" else label.name_en)


def category_label(config: CampaignConfig, code: str, lang: str = "zh") -> str:
    """The configured name of category ``code`` in ``lang`` (zh or en); the code if unknown."""
    found = config.categories.get(code)
    if found is None:
        return code
    return found.name_zh if lang == "zh" else found.name_en
