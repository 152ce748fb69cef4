"""Set up an organisation from a city's districts: units, grid, users of every role.

Used by ``gardencity serve`` on a workspace without a campaign database yet (the demo users
and their passwords are printed once), and by the tests. Each district gets two streets
(west/east halves), each street two communities (south/north halves), and the grid is a
square mesh clipped to the communities, so it tiles the districts exactly.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import geopandas as gpd
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.models import User
from gardencity.auth.roles import Role
from gardencity.campaign import organisation as org
from gardencity.campaign.context import ServiceContext
from gardencity.io.crs import local_metric_crs

__all__ = ["SeedResult", "seed_organisation"]


@dataclass
class SeedResult:
    passwords: dict[str, str] = field(default_factory=dict)  # username -> password
    roles: dict[str, str] = field(default_factory=dict)  # username -> role
    units: dict[str, int] = field(default_factory=dict)  # unit code -> id
    api_key: str = ""
    grid_cells: int = 0


def _halves(geom: shapely.Geometry, vertical: bool) -> list[shapely.Geometry]:
    minx, miny, maxx, maxy = geom.bounds
    if vertical:
        mid = (minx + maxx) / 2
        boxes = [shapely.box(minx, miny, mid, maxy), shapely.box(mid, miny, maxx, maxy)]
    else:
        mid = (miny + maxy) / 2
        boxes = [shapely.box(minx, miny, maxx, mid), shapely.box(minx, mid, maxx, maxy)]
    parts = [shapely.intersection(geom, b) for b in boxes]
    return [p for p in parts if not p.is_empty and p.area > 0]


def seed_organisation(
    session: Session,
    ctx: ServiceContext,
    districts: gpd.GeoDataFrame,
    *,
    city_name: str = "示范市",
    name_column: str = "name",
    cell_m: float = 500.0,
    password: str | None = None,
) -> SeedResult:
    """Create the units, grid, users and an Open311 api_key for ``districts``."""
    result = SeedResult()
    metric = (
        districts.to_crs(local_metric_crs(districts)) if districts.crs.is_geographic else districts
    )

    def lonlat(geom: shapely.Geometry) -> shapely.Geometry:
        return gpd.GeoSeries([geom], crs=metric.crs).to_crs(4326).iloc[0]

    city_area = shapely.union_all(metric.geometry.to_numpy())
    city = org.create_unit(session, ctx, None, org.UnitIn(code="city", name=city_name, kind="city"))
    city.area = lonlat(city_area)
    result.units["city"] = city.id
    office = org.create_unit(
        session,
        ctx,
        None,
        org.UnitIn(code="landscaping", name="园林绿化局", kind="department", parent_id=city.id),
    )
    result.units["landscaping"] = office.id
    cells: list[tuple[str, str, shapely.Geometry]] = []

    def person(username: str, name: str, role: Role, unit_id: int | None) -> None:
        secret = password or secrets.token_urlsafe(9)
        org.create_user(
            session,
            ctx,
            None,
            org.UserIn(
                username=username, display_name=name, password=secret, role=role, unit_id=unit_id
            ),
        )
        result.passwords[username] = secret
        result.roles[username] = role.value

    person("admin", "创园办管理员", Role.ADMIN, city.id)
    person("inspector", "市督查员", Role.INSPECTOR, city.id)
    person("leader", "包挂领导", Role.LEADER, city.id)
    person("resident", "市民", Role.RESIDENT, None)
    for d, (_, row) in enumerate(metric.iterrows(), start=1):
        district = org.create_unit(
            session,
            ctx,
            None,
            org.UnitIn(
                code=f"d{d}", name=str(row[name_column]), kind="district", parent_id=city.id
            ),
        )
        district.area = lonlat(row.geometry)
        result.units[f"d{d}"] = district.id
        person(f"coord{d}", f"{row[name_column]}协调员", Role.COORDINATOR, district.id)
        person(f"patrol{d}", f"{row[name_column]}巡查员", Role.INSPECTOR, district.id)
        for s, street_area in enumerate(_halves(row.geometry, vertical=True), start=1):
            street = org.create_unit(
                session,
                ctx,
                None,
                org.UnitIn(
                    code=f"d{d}s{s}",
                    name=f"{row[name_column]}第{s}街道",
                    kind="street",
                    parent_id=district.id,
                ),
            )
            street.area = lonlat(street_area)
            result.units[street.code] = street.id
            person(f"officer{d}{s}", f"{street.name}经办人", Role.OFFICER, street.id)
            for c, community_area in enumerate(_halves(street_area, vertical=False), start=1):
                community = org.create_unit(
                    session,
                    ctx,
                    None,
                    org.UnitIn(
                        code=f"d{d}s{s}c{c}",
                        name=f"{street.name}第{c}社区",
                        kind="community",
                        parent_id=street.id,
                    ),
                )
                community.area = lonlat(community_area)
                result.units[community.code] = community.id
                for n, cell in enumerate(_mesh(community_area, cell_m), start=1):
                    cells.append((f"{d:02d}{s:02d}{c:02d}{n:04d}", community.code, cell))
        park_area = shapely.buffer(row.geometry.representative_point(), 150, quad_segs=4)
        park = org.create_unit(
            session,
            ctx,
            None,
            org.UnitIn(
                code=f"d{d}park",
                name=f"{row[name_column]}中心公园管理处",
                kind="responsible",
                parent_id=district.id,
            ),
        )
        park.area = lonlat(shapely.intersection(park_area, row.geometry))
        result.units[park.code] = park.id
        person(f"park{d}", f"{park.name}经办人", Role.OFFICER, park.id)
    session.flush()
    grid = gpd.GeoDataFrame(
        {"code": [c[0] for c in cells], "unit_code": [c[1] for c in cells]},
        geometry=[c[2] for c in cells],
        crs=metric.crs,
    )
    result.grid_cells = org.import_grids(session, ctx, None, grid)["imported"]
    leader = result.units.get("d1")
    if leader is not None:
        leader_id = session.scalars(select(User.id).where(User.username == "leader")).one()
        org.assign_leader(session, ctx, None, leader_id, leader)
    result.api_key = org.create_api_key(session, ctx, None, "public web page")
    session.flush()
    return result


def _mesh(area: shapely.Geometry, size: float) -> list[shapely.Geometry]:
    minx, miny, maxx, maxy = area.bounds
    out = []
    y = miny
    while y < maxy:
        x = minx
        while x < maxx:
            piece = shapely.intersection(area, shapely.box(x, y, x + size, y + size))
            if not piece.is_empty and piece.area > 1.0:
                out.append(piece)
            x += size
        y += size
    return out
