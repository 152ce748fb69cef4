"""Use cases of maintenance: create and import sites, inspect a site (failed items filed as
cases for the site's responsible unit, each with its photo)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.models import Unit, User
from gardencity.auth.permissions import (
    PERMISSIONS,
    STAFF,
    UnitTree,
    authorize,
    register_permissions,
)
from gardencity.auth.roles import Role
from gardencity.campaign import lookup, media, service
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.models import Attachment
from gardencity.campaign.schemas import ActionIn, CaseIn
from gardencity.errors import InvalidRequestError, NotFoundError
from gardencity.maintenance.checklists import Checklists, SiteType
from gardencity.maintenance.models import InspectionItem, MaintainedSite, MaintenanceInspection
from gardencity.maintenance.schemas import InspectionIn, SiteIn
from gardencity.maintenance.scoring import inspection_score
from gardencity.messages import Catalogue, Message
from gardencity.storage.files import CheckedFile
from gardencity.storage.images import IMAGE_TYPES

__all__ = [
    "Photo",
    "create_site",
    "district_of",
    "get_site",
    "import_sites",
    "inspect_site",
    "words",
]
MESSAGES = Catalogue(__package__)

register_permissions(
    {
        "maintenance.view": STAFF,
        "maintenance.inspect": frozenset({Role.ADMIN, Role.COORDINATOR, Role.INSPECTOR}),
        "maintenance.manage": frozenset({Role.ADMIN}),
    }
)


@dataclass(frozen=True)
class Photo:
    """A photo sent for one failed item."""

    item_code: str
    content: bytes
    filename: str | None
    declared_type: str | None


CLOCK_AHEAD = timedelta(minutes=10)  # a phone's clock may run this far ahead of the server's


def _problem(key: str, **params: Any) -> Message:
    return MESSAGES.message(f"problem.{key}", **params)


def words(pair: Any) -> Message:
    """A check-list's name or criterion (``zh``/``en``) as a message in both languages."""

    def literal(text: str) -> str:  # a name is shown as it is, never read as a template
        return text.replace("{", "{{").replace("}", "}}")

    return Message((literal(pair.zh), literal(pair.en)))


def district_of(session: Session, unit_id: int) -> int | None:
    """The district the unit belongs to (itself if it is one), by the organisation tree."""
    rows = {u.id: u for u in session.execute(select(Unit.id, Unit.parent_id, Unit.kind)).all()}
    current: int | None = unit_id
    while current is not None and current in rows:
        if rows[current].kind == "district":
            return current
        current = rows[current].parent_id
    return None


def _responsible_unit(session: Session, data: SiteIn) -> int | None:
    """The site's responsible unit, by id or by code; None when there is no such unit."""
    if data.unit_id is not None:
        return data.unit_id if session.get(Unit, data.unit_id) is not None else None
    if data.unit_code is None:
        return None
    return session.scalars(select(Unit.id).where(Unit.code == data.unit_code)).first()


def _site_problems(
    session: Session, ctx: ServiceContext, lists: Checklists, data: SiteIn
) -> tuple[list[Message], shapely.Geometry | None]:
    problems: list[Message] = []
    if data.site_type not in lists.site_types:
        known = [words(t.name) for t in lists.site_types.values()]
        problems.append(_problem("unknown_site_type", site_type=data.site_type, known=known))
    unit_id = _responsible_unit(session, data)
    if unit_id is None:
        problems.append(_problem("unit_unknown", unit=data.unit_code or data.unit_id or "—"))
    taken = session.scalars(select(MaintainedSite).where(MaintainedSite.code == data.code)).first()
    if taken is not None:
        problems.append(_problem("code_taken", code=data.code, name=taken.name))
    geometry: shapely.Geometry | None = None
    if data.geometry is not None:
        try:
            geometry = shape(data.geometry.model_dump())
        except Exception as exc:  # shapely raises many kinds on malformed GeoJSON
            problems.append(_problem("geometry_invalid", detail=str(exc)[:200]))
        else:
            minx, miny, maxx, maxy = geometry.bounds if not geometry.is_empty else (0, 0, 0, 0)
            if geometry.is_empty or not geometry.is_valid:
                reason = "empty" if geometry.is_empty else shapely.is_valid_reason(geometry)
                problems.append(_problem("geometry_invalid", detail=reason))
                geometry = None
            elif minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
                problems.append(_problem("geometry_not_lonlat"))
                geometry = None
    elif data.lon is not None and data.lat is not None:
        geometry = shapely.Point(data.lon, data.lat)
    else:
        problems.append(_problem("location_missing"))
    if geometry is not None:
        point = geometry if geometry.geom_type == "Point" else geometry.representative_point()
        try:
            lookup.check_in_city(session, ctx.config, point.x, point.y)
        except InvalidRequestError as exc:
            problems.append(_problem("location_outside", detail=exc.message or str(exc)))
    return problems, geometry


def _new_site(
    session: Session, ctx: ServiceContext, data: SiteIn, geometry: shapely.Geometry
) -> MaintainedSite:
    point = geometry if geometry.geom_type == "Point" else geometry.representative_point()
    unit_id = _responsible_unit(session, data)
    assert unit_id is not None  # checked by _site_problems
    site = MaintainedSite(
        code=data.code,
        name=data.name,
        site_type=data.site_type,
        unit_id=unit_id,
        district_id=district_of(session, unit_id),
        geometry=geometry,
        lon=point.x,
        lat=point.y,
        address=data.address,
        created_at=ctx.now(),
    )
    session.add(site)
    return site


def create_site(
    session: Session, ctx: ServiceContext, actor: User, lists: Checklists, data: SiteIn
) -> MaintainedSite:
    """Add a site (its district follows from its responsible unit)."""
    authorize(actor, "maintenance.manage")
    problems, geometry = _site_problems(session, ctx, lists, data)
    if problems or geometry is None:
        raise InvalidRequestError(MESSAGES.message("site_invalid", problems=problems))
    site = _new_site(session, ctx, data, geometry)
    session.flush()
    return site


def import_sites(
    session: Session,
    ctx: ServiceContext,
    actor: User,
    lists: Checklists,
    sites: Sequence[SiteIn | Message],
) -> list[MaintainedSite]:
    """Add many sites at once: all of them, or none when any has a problem (all listed, by
    feature number). An entry may be the problem its feature already had (a malformed one)."""
    authorize(actor, "maintenance.manage")
    problems: list[Message] = []
    accepted: list[tuple[SiteIn, shapely.Geometry]] = []
    seen: set[str] = set()
    for n, data in enumerate(sites, start=1):
        if isinstance(data, Message):
            problems.append(_problem("feature", n=n, problem=data))
            continue
        found, geometry = _site_problems(session, ctx, lists, data)
        if data.code in seen:
            found.append(_problem("code_repeated", code=data.code))
        seen.add(data.code)
        problems += [_problem("feature", n=n, problem=p) for p in found]
        if not found and geometry is not None:
            accepted.append((data, geometry))
    if problems:
        raise InvalidRequestError(MESSAGES.message("sites_not_imported", problems=problems))
    created = [_new_site(session, ctx, data, geometry) for data, geometry in accepted]
    session.flush()
    return created


def get_site(session: Session, actor: User, site_id: int) -> MaintainedSite:
    """The site if ``actor`` may see it (admins and leaders: every site; others: the sites of
    their unit and the units below it), else NotFoundError."""
    authorize(actor, "maintenance.view")
    site = session.get(MaintainedSite, site_id)
    missing = NotFoundError(MESSAGES.message("site_not_found", site_id=site_id))
    if site is None:
        raise missing
    if actor.role not in (Role.ADMIN, Role.LEADER):
        tree = UnitTree.from_session(session)
        if actor.unit_id is None or site.unit_id not in tree.subtree(actor.unit_id):
            raise missing
    return site


def _item_problems(
    site: MaintainedSite, spec: SiteType, lists: Checklists, data: InspectionIn
) -> list[Message]:
    problems: list[Message] = []
    type_name = words(spec.name)
    if data.site_type is not None and data.site_type != site.site_type:
        given = lists.site_types.get(data.site_type)
        problems.append(
            _problem(
                "wrong_checklist",
                site=site.name,
                site_type=type_name,
                given=words(given.name) if given else data.site_type,
            )
        )
    codes = [i.code for i in data.items]
    known = {i.code for i in spec.items}
    unknown = sorted({c for c in codes if c not in known})
    if unknown:
        names = [words(i.name) for i in spec.items]
        problems.append(_problem("unknown_items", site_type=type_name, codes=unknown, known=names))
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    if repeated:
        problems.append(_problem("repeated_items", codes=repeated))
    missing = [words(i.name) for i in spec.items if i.code not in codes]
    if missing:
        problems.append(_problem("missing_items", names=missing))
    if not unknown and all(i.result == "na" for i in data.items):
        problems.append(_problem("nothing_checked"))
    return problems


def _photo_problems(
    ctx: ServiceContext, spec: SiteType, data: InspectionIn, photos: Sequence[Photo]
) -> tuple[list[Message], dict[str, CheckedFile]]:
    problems: list[Message] = []
    failed = {i.code for i in data.items if i.result == "fail"}
    checked: dict[str, CheckedFile] = {}
    for photo in photos:
        item = spec.item(photo.item_code)
        if item is None:
            problems.append(_problem("photo_unknown_item", code=photo.item_code))
            continue
        if photo.item_code not in failed:
            problems.append(_problem("photo_not_failed", item=words(item.name)))
            continue
        try:
            file = ctx.files.check(photo.content, declared_type=photo.declared_type)
        except InvalidRequestError as exc:
            problems.append(
                _problem("photo_not_image", item=words(item.name), detail=exc.message or str(exc))
            )
            continue
        if file.media_type not in IMAGE_TYPES:
            problems.append(
                _problem("photo_not_image", item=words(item.name), detail=file.media_type)
            )
            continue
        checked[photo.item_code] = file
    for code in sorted(failed - {p.item_code for p in photos}):
        item = spec.item(code)
        if item is not None:
            problems.append(_problem("photo_needed", item=words(item.name)))
    return problems, checked


def inspect_site(
    session: Session,
    ctx: ServiceContext,
    actor: User,
    lists: Checklists,
    site_id: int,
    data: InspectionIn,
    photos: Sequence[Photo] = (),
    *,
    client_key: str | None = None,
    fingerprint: str | None = None,
) -> MaintenanceInspection:
    """Score ``site_id`` against its type's check-list. Every problem of the request is
    reported at once and nothing is stored then. Each failed item's photo is stored without
    its metadata; a failed item with ``file_case`` becomes a case for the site's responsible
    unit (source ``maintenance_inspection``, the item's category, the photo attached),
    dispatched at once when the inspector may dispatch, else left for the coordinator."""
    authorize(actor, "maintenance.inspect")
    site = get_site(session, actor, site_id)
    tree = UnitTree.from_session(session)
    authorize(actor, "maintenance.inspect", unit_ids=[site.unit_id], tree=tree)
    spec = lists.site_types.get(site.site_type)
    if spec is None:
        known = [words(t.name) for t in lists.site_types.values()]
        problem = _problem("unknown_site_type", site_type=site.site_type, known=known)
        raise InvalidRequestError(MESSAGES.message("inspection_invalid", problems=[problem]))
    problems = _item_problems(site, spec, lists, data)
    photo_problems, checked = _photo_problems(ctx, spec, data, photos)
    problems += photo_problems
    if data.inspected_at is not None and data.inspected_at > ctx.now() + CLOCK_AHEAD:
        problems.append(_problem("inspected_in_future", at=data.inspected_at.isoformat()))
    if problems:
        raise InvalidRequestError(MESSAGES.message("inspection_invalid", problems=problems))
    weights = {i.code: i.weight for i in spec.items}
    results = {i.code: i.result for i in data.items}
    score = inspection_score(results, weights)
    assert score is not None  # nothing_checked was refused above
    grade = lists.grade_for(score)
    inspection = MaintenanceInspection(
        site_id=site.id,
        inspector_id=actor.id,
        inspected_at=data.inspected_at or ctx.now(),
        client_key=client_key,
        fingerprint=fingerprint,
        score=score,
        grade=grade.code,
        note=data.note,
        items=[],
    )
    session.add(inspection)
    for given in data.items:
        item = spec.item(given.code)
        assert item is not None
        row = InspectionItem(
            item_code=item.code,
            result=given.result,
            weight=item.weight,
            category=item.category,
            note=given.note,
        )
        inspection.items.append(row)
        if given.result == "fail":
            _failed_item(
                session,
                ctx,
                actor,
                site,
                spec,
                row,
                checked[item.code],
                grade,
                score,
                given.file_case,
            )
    session.flush()
    return inspection


def _failed_item(
    session: Session,
    ctx: ServiceContext,
    actor: User,
    site: MaintainedSite,
    spec: SiteType,
    row: InspectionItem,
    photo: CheckedFile,
    grade: Any,
    score: float,
    file_case: bool,
) -> None:
    item = spec.item(row.item_code)
    assert item is not None
    if not file_case:
        stored = ctx.files.store(photo)
        attachment = Attachment(
            case_id=None,
            sha256=stored.sha256,
            media_type=stored.media_type,
            size=stored.size,
            role="before",
            filename=None,
            uploaded_by=actor.id,
            created_at=ctx.now(),
        )
        session.add(attachment)
        session.flush()
        row.attachment_id = attachment.id
        return
    description = MESSAGES.message(
        "case_description",
        item=item.name.zh,
        grade=grade.name.zh,
        score=f"{score:.1f}",
        criterion=item.criterion.zh,
    )
    case = service.file_case(
        session,
        ctx,
        actor,
        CaseIn(
            category=item.category,
            title=site.name,  # a name reads the same in either language
            description=description.render("zh") + ("\n" + row.note if row.note else ""),
            source="maintenance_inspection",
            lon=site.lon,
            lat=site.lat,
            address=site.address,
            unit_id=site.unit_id,
            site_kind=spec.case_site_kind,
            site_ref=site.code,
        ),
    )
    attachment = media.new_attachment(
        session,
        ctx,
        case,
        photo,
        role="before",
        filename=None,
        declared_type=None,
        uploaded_by=actor.id,
    )
    row.case_id, row.attachment_id = case.id, attachment.id
    if actor.role in PERMISSIONS["case.dispatch"]:
        service.act(
            session,
            ctx,
            actor,
            case.id,
            "dispatch",
            ActionIn(version=case.version, unit_id=site.unit_id),
        )
