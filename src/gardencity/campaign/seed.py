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

from gardencity.auth.models import Unit, User
from gardencity.auth.roles import Role
from gardencity.campaign import organisation as org
from gardencity.campaign.context import ServiceContext
from gardencity.io.crs import local_metric_crs
from gardencity.vocabulary.places import place_name

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


@dataclass
class _Seeder:
    """Creates units and users in order (ids and codes are stable), collecting the result."""

    session: Session
    ctx: ServiceContext
    crs: object
    password: str | None
    result: SeedResult = field(default_factory=SeedResult)
    cells: list[tuple[str, str, shapely.Geometry]] = field(default_factory=list)

    def lonlat(self, geom: shapely.Geometry) -> shapely.Geometry:
        return gpd.GeoSeries([geom], crs=self.crs).to_crs(4326).iloc[0]

    def unit(
        self,
        code: str,
        name: str,
        kind: org.UnitKind,
        parent_id: int | None,
        area: shapely.Geometry | None = None,
        *,
        name_en: str,
    ) -> Unit:
        unit = org.create_unit(
            self.session,
            self.ctx,
            None,
            org.UnitIn(code=code, name=name, name_en=name_en, kind=kind, parent_id=parent_id),
        )
        if area is not None:
            unit.area = self.lonlat(area)
        self.result.units[code] = unit.id
        return unit

    def person(self, username: str, name: str, role: Role, unit_id: int | None) -> None:
        secret = self.password or secrets.token_urlsafe(9)
        org.create_user(
            self.session,
            self.ctx,
            None,
            org.UserIn(
                username=username, display_name=name, password=secret, role=role, unit_id=unit_id
            ),
        )
        self.result.passwords[username] = secret
        self.result.roles[username] = role.value

    def district(
        self, d: int, name: str, name_en: str, area: shapely.Geometry, city_id: int, cell_m: float
    ) -> None:
        """A district with its coordinator and patrol, two streets of two communities each
        (their grid cells collected), and its central park's management office, each with
        its English name."""
        district = self.unit(f"d{d}", name, "district", city_id, area, name_en=name_en)
        self.person(f"coord{d}", f"{name}协调员", Role.COORDINATOR, district.id)
        self.person(f"patrol{d}", f"{name}巡查员", Role.INSPECTOR, district.id)
        for s, street_area in enumerate(_halves(area, vertical=True), start=1):
            street_en = f"{name_en} Street {s}"
            street = self.unit(
                f"d{d}s{s}",
                f"{name}第{s}街道",
                "street",
                district.id,
                street_area,
                name_en=street_en,
            )
            self.person(f"officer{d}{s}", f"{street.name}经办人", Role.OFFICER, street.id)
            for c, community_area in enumerate(_halves(street_area, vertical=False), start=1):
                community = self.unit(
                    f"d{d}s{s}c{c}",
                    f"{street.name}第{c}社区",
                    "community",
                    street.id,
                    community_area,
                    name_en=f"{street_en} Community {c}",
                )
                for n, cell in enumerate(_mesh(community_area, cell_m), start=1):
                    self.cells.append((f"{d:02d}{s:02d}{c:02d}{n:04d}", community.code, cell))
        park_area = shapely.buffer(area.representative_point(), 150, quad_segs=4)
        park = self.unit(
            f"d{d}park",
            f"{name}中心公园管理处",
            "responsible",
            district.id,
            shapely.intersection(park_area, area),
            name_en=f"{name_en} Central Park Management Office",
        )
        self.person(f"park{d}", f"{park.name}经办人", Role.OFFICER, park.id)


def seed_organisation(
    session: Session,
    ctx: ServiceContext,
    districts: gpd.GeoDataFrame,
    *,
    city_name: str = "示范市",
    city_name_en: str | None = None,
    name_column: str = "name",
    cell_m: float = 500.0,
    password: str | None = None,
) -> SeedResult:
    """Create the units, grid, users and an Open311 api_key for ``districts``.

    Every unit gets an English name: the city's ``city_name_en`` (none: ``city_name``
    romanised), each district its ``name_en`` column's (none: its name romanised), and the
    units within a district names made from the district's."""
    metric = (
        districts.to_crs(local_metric_crs(districts)) if districts.crs.is_geographic else districts
    )
    seed = _Seeder(session, ctx, metric.crs, password)
    city_area = shapely.union_all(metric.geometry.to_numpy())
    city_en = place_name(city_name, city_name_en, "en")
    city = seed.unit("city", city_name, "city", None, city_area, name_en=city_en)
    seed.unit(
        "landscaping",
        "园林绿化局",
        "department",
        city.id,
        name_en="Landscaping and Greening Bureau",
    )
    seed.person("admin", "创园办管理员", Role.ADMIN, city.id)
    seed.person("inspector", "市督查员", Role.INSPECTOR, city.id)
    seed.person("leader", "包挂领导", Role.LEADER, city.id)
    seed.person("resident", "市民", Role.RESIDENT, None)
    for d, (_, row) in enumerate(metric.iterrows(), start=1):
        name = str(row[name_column])
        given = row.get("name_en")
        name_en = place_name(name, given if isinstance(given, str) else None, "en")
        seed.district(d, name, name_en, row.geometry, city.id, cell_m)
    session.flush()
    result = seed.result
    grid = gpd.GeoDataFrame(
        {"code": [c[0] for c in seed.cells], "unit_code": [c[1] for c in seed.cells]},
        geometry=[c[2] for c in seed.cells],
        crs=metric.crs,
    )
    result.grid_cells = org.import_grids(session, ctx, None, grid)["imported"]
    leader = result.units.get("d1")
    if leader is not None:
        leader_id = session.scalars(select(User.id).where(User.username == "leader")).one()
        org.assign_leader(session, ctx, None, leader_id, leader)
    result.api_key, _ = org.create_api_key(session, ctx, None, "市民上报页面")
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
