"""Use cases on cases: file, list, read, act (the one transition function), attach, escalate.

Routes and the CLI call these; they take a SQLAlchemy session, the acting user and a
:class:`~gardencity.campaign.context.ServiceContext`, and raise the errors of
:mod:`gardencity.errors` that the API turns into its one JSON error shape.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from gardencity.auth.models import User
from gardencity.auth.permissions import UnitTree, authorize, scope_clause
from gardencity.auth.roles import Role
from gardencity.campaign import lookup, media
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.models import Attachment, Case, CaseEvent
from gardencity.campaign.schemas import ActionIn, CaseFilter, CaseIn
from gardencity.campaign.states import TRANSITIONS, CaseStatus, target_of
from gardencity.db.spatial import in_bbox
from gardencity.errors import (
    ConflictError,
    InvalidRequestError,
    InvalidTransitionError,
    NotFoundError,
)
from gardencity.messages import Catalogue, Message
from gardencity.vocabulary import vocabulary

__all__ = [
    "CLOCK_RUNNING",
    "act",
    "actor_label",
    "attach_file",
    "case_scope",
    "cases_by_action",
    "escalate_overdue",
    "file_case",
    "get_attachment",
    "get_case",
    "list_cases",
]
MESSAGES = Catalogue(__package__)
# kept with the case in both languages, shown in the reader's
SET_BY_HAND = MESSAGES.stored(MESSAGES.message("set_by_hand"))
OVERDUE = MESSAGES.stored(MESSAGES.message("overdue_escalation"))

S = CaseStatus
CLOCK_RUNNING = frozenset({S.DISPATCHED, S.IN_PROGRESS, S.SENT_BACK})


def _chosen_by_hand(reason: str | None) -> str:
    """Why a case is with the unit a person chose for it: their reason, when they gave one."""
    if not reason or not reason.strip():
        return SET_BY_HAND
    return MESSAGES.stored(MESSAGES.message("set_by_hand_because", reason=reason.strip()))


def case_scope(user: User, tree: UnitTree) -> ColumnElement[bool]:
    """A WHERE clause selecting the cases ``user`` may see."""
    return scope_clause(user, tree, unit_column=Case.unit_id, reporter_column=Case.reporter_id)


SYSTEM_ACTOR = "system"  # the pages name it in their language


def actor_label(user: User | None) -> str:
    """Who acted, as the timeline shows it: the person's name (their role is a code)."""
    if user is None:
        return SYSTEM_ACTOR
    return user.display_name


def file_case(
    session: Session,
    ctx: ServiceContext,
    actor: User | None,
    data: CaseIn,
    *,
    public_reporter: str | None = None,
) -> Case:
    """File a new case: locate it, route it, flag duplicates, log the first event.

    ``actor`` is None for an anonymous report through Open311 (``public_reporter`` then
    names the client application for the event log).
    """
    tree = UnitTree.from_session(session)
    if actor is not None:
        authorize(actor, "case.file", unit_ids=[data.unit_id], tree=tree)
    category = lookup.category(ctx.config, data.category)
    geometry = _location(data)
    point = geometry if geometry.geom_type == "Point" else geometry.representative_point()
    lookup.check_in_city(session, ctx.config, point.x, point.y)
    now = ctx.now()
    routing = lookup.route(session, ctx.config, (point.x, point.y), category.code)
    unit_id = data.unit_id if data.unit_id is not None else routing.unit_id
    if data.unit_id is not None:
        lookup.unit(session, data.unit_id)
    duplicates = lookup.duplicates(session, ctx.config, (point.x, point.y), category.code, now)
    token = secrets.token_urlsafe(24)
    case = Case(
        reference=token[:32],
        token=token,
        source="resident" if actor is None else data.source,
        category=category.code,
        title=data.title or category.name_zh,
        description=data.description,
        status=S.FILED,
        priority=data.priority,
        geometry=geometry,
        lon=point.x,
        lat=point.y,
        address=data.address,
        grid_code=routing.grid_code,
        unit_id=unit_id,
        leader_id=routing.leader_user_id,
        routing_reason=routing.reason if data.unit_id is None else SET_BY_HAND,
        site_kind=data.site_kind,
        site_ref=data.site_ref,
        indicator_id=data.indicator_id,
        action_code=data.action_code,
        duplicate_of_id=duplicates[0] if duplicates else None,
        reporter_id=actor.id if actor is not None else None,
        reporter_name=data.reporter_name,
        reporter_email=data.reporter_email,
        reporter_phone=data.reporter_phone,
        escalation_level=0,
        sent_back_count=0,
        created_at=now,
        updated_at=now,
        events=[],
        attachments=[],
    )
    case.set_bounds(geometry)
    session.add(case)
    session.flush()
    case.reference = f"GC{now:%Y%m%d}{case.id:06d}"
    _append(
        ctx,
        case,
        actor,
        "file",
        None,
        S.FILED,
        now,
        reason=None,
        data={"routing": routing.reason, "duplicates": duplicates}
        | ({"client": public_reporter} if public_reporter else {}),
    )
    session.flush()
    return case


def get_case(session: Session, actor: User, case_id: int, *, details: bool = True) -> Case:
    """The case ``case_id`` if ``actor`` may see it, else NotFoundError — the same answer
    for a case outside the actor's scope as for one that does not exist."""
    query = select(Case).where(Case.id == case_id)
    if details:  # one query with joins: a case has few events and photos
        query = query.options(joinedload(Case.events), joinedload(Case.attachments))
    case = session.execute(query).unique().scalars().one_or_none()
    missing = NotFoundError(MESSAGES.message("case_not_found", case_id=case_id))
    if case is None:
        raise missing
    try:
        authorize(actor, "case.view", case=case, tree=UnitTree.from_session(session))
    except NotFoundError:
        raise missing from None
    return case


def list_cases(
    session: Session, ctx: ServiceContext, actor: User, filters: CaseFilter
) -> tuple[list[Case], int]:
    """The page of cases ``actor`` may see that match ``filters``, newest first, and the total."""
    authorize(actor, "case.view")
    tree = UnitTree.from_session(session)
    query = select(Case).where(case_scope(actor, tree))
    query = _filtered(query, session, ctx, filters, tree)
    page = session.scalars(
        query.order_by(Case.created_at.desc(), Case.id.desc())
        .offset((filters.page - 1) * filters.per_page)
        .limit(filters.per_page)
    ).all()
    if filters.page == 1 and len(page) < filters.per_page:
        return list(page), len(page)  # the whole list fits on this page: no count needed
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return list(page), int(total or 0)


def cases_by_action(session: Session, actor: User) -> list[dict[str, Any]]:
    """Per campaign action, how many of the cases ``actor`` may see are open, closed,
    discarded and in all (cases without an action are left out), by action code."""
    authorize(actor, "case.view")
    tree = UnitTree.from_session(session)
    rows = session.execute(
        select(Case.action_code, Case.status, func.count())
        .where(case_scope(actor, tree), Case.action_code.is_not(None))
        .group_by(Case.action_code, Case.status)
    ).all()
    counts: dict[str, dict[str, Any]] = {}
    for code, status, n in rows:
        row = counts.setdefault(
            str(code), {"action_code": code, "open": 0, "closed": 0, "discarded": 0, "total": 0}
        )
        key = status if status in {S.CLOSED, S.DISCARDED} else "open"
        row[key] += int(n)
        row["total"] += int(n)
    return [counts[code] for code in sorted(counts)]


def _filtered(
    query: Any, session: Session, ctx: ServiceContext, filters: CaseFilter, tree: UnitTree
) -> Any:
    if filters.status:
        unknown = sorted(set(filters.status) - {s.value for s in S})
        if unknown:
            known = [
                Message.literal(
                    f"{s.value}（{lookup.status_label(ctx.config, s.value, 'zh')}）",
                    f"{s.value} ({lookup.status_label(ctx.config, s.value, 'en')})",
                )
                for s in S
            ]
            raise InvalidRequestError(
                MESSAGES.message("errors.unknown_status", unknown=unknown, known=known)
            )
        query = query.where(Case.status.in_(filters.status))
    if filters.unit_id is not None:
        query = query.where(Case.unit_id.in_(sorted(tree.subtree(filters.unit_id))))
    if filters.category:
        query = query.where(Case.category == filters.category)
    if filters.source:
        query = query.where(Case.source == filters.source)
    if filters.grid_code:
        query = query.where(Case.grid_code == filters.grid_code)
    if filters.action_code:
        query = query.where(Case.action_code == filters.action_code)
    if filters.created_from:
        query = query.where(Case.created_at >= filters.created_from)
    if filters.created_to:
        query = query.where(Case.created_at < filters.created_to)
    if filters.q:
        like = f"%{filters.q}%"
        query = query.where(
            or_(Case.title.like(like), Case.description.like(like), Case.reference == filters.q)
        )
    if filters.bbox:
        query = query.where(in_bbox(session.get_bind().dialect.name, Case, filters.bbox))
    if filters.overdue is not None:
        late = Case.status.in_(sorted(CLOCK_RUNNING)) & (Case.deadline_at < ctx.now())
        query = query.where(late if filters.overdue else ~late)
    return query


def act(
    session: Session,
    ctx: ServiceContext,
    actor: User,
    case_id: int,
    action: str,
    data: ActionIn,
) -> Case:
    """The one transition function: check, apply, append an event.

    Checks, in order: the case exists and is visible to ``actor``; the action exists and the
    workflow allows it from the current state; the role holds it; the client saw the
    current version (optimistic locking); the action's requirements (a reason, an
    after-photo). Then it changes the case and appends a :class:`CaseEvent`.
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        known = [_action(a) for a in TRANSITIONS]
        raise NotFoundError(MESSAGES.message("unknown_action", action=action, known=known))
    case = get_case(session, actor, case_id)
    current = S(case.status)
    if current not in transition.sources:
        _refuse_transition(ctx, action, current)
    tree = UnitTree.from_session(session)
    authorize(actor, f"case.{action}", case=case, tree=tree)
    _check_request(case, data, action, needs_reason=transition.needs_reason)
    now = ctx.now()
    target = target_of(transition, current)
    event_data: dict[str, Any] = {}
    photos = _after_photos(case, data.attachment_ids) if transition.needs_after_photo else []
    if transition.needs_after_photo and not photos:
        raise InvalidRequestError(MESSAGES.message("needs_after_photo"))
    if action in {"dispatch", "reassign"}:
        if data.unit_id is not None:
            lookup.unit(session, data.unit_id)
            authorize(actor, f"case.{action}", unit_ids=[data.unit_id], tree=tree)
            if data.unit_id != case.unit_id:
                case.routing_reason = _chosen_by_hand(data.reason)
            event_data["from_unit_id"], case.unit_id = case.unit_id, data.unit_id
        if case.unit_id is None:
            raise InvalidRequestError(MESSAGES.message("no_unit_to_dispatch"))
    if target is S.DISPATCHED and action != "comment":
        case.dispatched_at = now
        case.deadline_at = lookup.deadline(ctx.config, case.category, case.priority, now)
        case.escalation_level = 0
        event_data["deadline_at"] = case.deadline_at.isoformat()
    if target is S.SUBMITTED:
        case.submitted_at = now
        event_data["attachment_ids"] = [a.id for a in photos]
    if target is S.SENT_BACK:
        case.sent_back_count += 1
    if target is S.CLOSED:
        case.closed_at = now
        event_data["on_time"] = case.deadline_at is None or (case.submitted_at or now) <= (
            case.deadline_at
        )
    if action == "reopen":
        case.closed_at = None
    case.status = target
    case.updated_at = now
    flag_modified(case, "updated_at")  # every action bumps the version, even a comment
    event = _append(
        ctx, case, actor, action, current, target, now, data.reason, event_data, public=data.public
    )
    reference = case.reference  # the instance is unusable after a failed flush
    try:
        session.flush()
    except StaleDataError as exc:
        session.rollback()
        raise ConflictError(MESSAGES.message("changed_meanwhile", reference=reference)) from exc
    for photo in photos:
        photo.event_id = event.id
    return case


def _after_photos(case: Case, ids: Sequence[int]) -> list[Attachment]:
    chosen = [a for a in case.attachments if a.id in set(ids)]
    missing = sorted(set(ids) - {a.id for a in chosen})
    if missing:
        raise InvalidRequestError(MESSAGES.message("errors.attachments_elsewhere", ids=missing))
    return [a for a in chosen if a.role == "after" and a.media_type.startswith("image/")]


def attach_file(
    session: Session,
    ctx: ServiceContext,
    actor: User,
    case_id: int,
    content: bytes,
    *,
    role: str,
    filename: str | None,
    declared_type: str | None,
    public: bool = False,
) -> Attachment:
    """Store a photo (without its metadata) or document and attach it to the case;
    ``public`` photos are shown with the public view of the case."""
    case = get_case(session, actor, case_id)
    authorize(actor, "case.attach", case=case, tree=UnitTree.from_session(session))
    return media.new_attachment(
        session,
        ctx,
        case,
        content,
        role=role,
        filename=filename,
        declared_type=declared_type,
        uploaded_by=actor.id,
        public=public,
    )


def get_attachment(session: Session, actor: User, attachment_id: int) -> Attachment:
    """The attachment if ``actor`` may see its case, else NotFoundError (the same answer
    whether it does not exist or its case is out of scope)."""
    attachment = session.get(Attachment, attachment_id)
    missing = NotFoundError(MESSAGES.message("attachment_not_found", attachment_id=attachment_id))
    if attachment is None or attachment.case_id is None:
        raise missing
    try:
        get_case(session, actor, attachment.case_id, details=False)
    except NotFoundError:
        raise missing from None
    if actor.role == Role.RESIDENT and not media.visible_to_resident(attachment, actor.id):
        raise missing  # staff's internal files of a resident's own report
    return attachment


def escalate_overdue(session: Session, ctx: ServiceContext) -> list[Case]:
    """Raise the escalation level of every overdue case whose lateness passed the next step.

    Level *k* is reached when a case is ``ladder[k-1]`` hours past its deadline; each step
    appends an ``escalate`` event naming the unit above the responsible unit (or the
    campaign office) and the responsible leader.
    """
    now = ctx.now()
    tree = UnitTree.from_session(session)
    ladder = lookup.escalation_hours(ctx.config)
    late = session.scalars(
        select(Case)
        .where(Case.status.in_(sorted(CLOCK_RUNNING)), Case.deadline_at < now)
        .order_by(Case.id)
    ).all()
    raised: list[Case] = []
    for case in late:
        assert case.deadline_at is not None
        hours_late = (now - case.deadline_at) / timedelta(hours=1)
        level = sum(1 for step in ladder if hours_late >= step)
        level = max(level, 1)
        if level <= case.escalation_level:
            continue
        chain = tree.ancestors(case.unit_id) if case.unit_id is not None else []
        to_unit = chain[min(level, len(chain) - 1)] if chain else None
        data = {
            "level": level,
            "hours_overdue": round(hours_late, 1),
            "to_unit_id": to_unit,
            "leader_id": case.leader_id,
        }
        case.escalation_level = level
        case.updated_at = now
        flag_modified(case, "updated_at")
        status = S(case.status)
        _append(
            ctx,
            case,
            None,
            "escalate",
            status,
            status,
            now,
            OVERDUE,
            data,
        )
        raised.append(case)
    session.flush()
    return raised


def _append(
    ctx: ServiceContext,
    case: Case,
    actor: User | None,
    action: str,
    from_status: CaseStatus | None,
    to_status: CaseStatus,
    at: Any,
    reason: str | None,
    data: dict[str, Any],
    *,
    public: bool = False,
) -> CaseEvent:
    event = CaseEvent(
        at=at,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label(actor),
        action=action,
        from_status=from_status.value if from_status is not None else None,
        to_status=to_status.value,
        reason=reason,
        data=data,
        public=public,
    )
    case.events.append(event)
    ctx.case_event(case, event)  # the notifications' outbox, in this transaction
    return event


def _location(data: CaseIn) -> shapely.Geometry:
    if data.geometry is not None:
        try:
            geometry = shape(data.geometry.model_dump())
        except Exception as exc:
            raise InvalidRequestError(
                MESSAGES.message("errors.geometry_not_geojson", detail=exc)
            ) from exc
        if geometry.is_empty or not geometry.is_valid:
            raise InvalidRequestError(MESSAGES.message("errors.geometry_invalid"))
        minx, miny, maxx, maxy = geometry.bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise InvalidRequestError(MESSAGES.message("errors.geometry_not_lonlat"))
        return geometry
    if data.lon is None or data.lat is None:
        raise InvalidRequestError(MESSAGES.message("location_missing"))
    return shapely.Point(data.lon, data.lat)


def _refuse_transition(ctx: ServiceContext, action: str, current: S) -> None:
    """InvalidTransitionError naming the case's state and what may be done from it."""
    allowed = [_action(a) for a, t in TRANSITIONS.items() if current in t.sources]
    label = ctx.config.status_labels.get(current.value)
    status = Message((label.name_zh, label.name_en)) if label else current.value
    raise InvalidTransitionError(
        MESSAGES.message("not_allowed_now", status=status, action=_action(action), allowed=allowed)
    )


def _check_request(case: Case, data: ActionIn, action: str, *, needs_reason: bool) -> None:
    """The client saw the current version; a reason where the action needs one."""
    if data.version != case.version:
        raise ConflictError(
            MESSAGES.message(
                "stale_version", reference=case.reference, yours=data.version, current=case.version
            )
        )
    given = bool(data.reason and data.reason.strip())
    if needs_reason and not given:
        raise InvalidRequestError(MESSAGES.message("needs_reason", action=_action(action)))
    if data.public and not given:
        raise InvalidRequestError(MESSAGES.message("reply_needs_text"))


def _action(action: str) -> Message:
    """A workflow action's name in both languages, from the vocabulary."""
    words = vocabulary()
    return Message(
        (words.label("case_actions", action, "zh"), words.label("case_actions", action, "en"))
    )
