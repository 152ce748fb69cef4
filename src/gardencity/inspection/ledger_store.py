"""The evidence ledger in the campaign database: documents, completeness, cases for missing
items, and the export (folder tree + index workbook in catalogue order)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import shapely
from pydantic import AwareDatetime, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.models import Unit, User
from gardencity.auth.permissions import authorize
from gardencity.auth.unit_names import unit_labels
from gardencity.campaign import service
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.models import Case
from gardencity.campaign.schemas import CaseIn, DbId
from gardencity.campaign.states import CaseStatus
from gardencity.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from gardencity.inspection.ledger import (
    DOCUMENT_KINDS,
    GENERATED_KIND,
    STATUSES,
    LedgerItem,
    item_completeness,
    ledger_items,
    unit_completeness,
)
from gardencity.inspection.models import LedgerDocument
from gardencity.messages import Catalogue, Listing, Message
from gardencity.standards import load_standard
from gardencity.text import CleanInput

__all__ = [
    "LedgerDocIn",
    "LedgerDocPatch",
    "add_document",
    "completeness",
    "file_missing_cases",
    "ledger_frame",
    "list_documents",
    "stores_file",
    "update_document",
]
MESSAGES = Catalogue(__package__)

LEDGER_CATEGORY = "ledger_missing"
LEDGER_ACTION = "ledger"
SHA256 = r"^[0-9a-f]{64}$"


class LedgerDocIn(CleanInput):
    model_config = ConfigDict(extra="forbid")
    item_id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=300)
    kind: str = Field(default="other", max_length=32)
    owner_unit_id: DbId | None = None
    due_at: AwareDatetime | None = Field(
        default=None, description="with a time zone, e.g. 2026-06-01T18:00:00+08:00"
    )
    status: str = Field(default="missing", max_length=16)
    file_sha256: str | None = Field(default=None, pattern=SHA256)
    filename: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=5000)


class LedgerDocPatch(CleanInput):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=300)
    kind: str | None = Field(default=None, max_length=32)
    owner_unit_id: DbId | None = None
    due_at: AwareDatetime | None = Field(
        default=None, description="with a time zone, e.g. 2026-06-01T18:00:00+08:00"
    )
    status: str | None = Field(default=None, max_length=16)
    file_sha256: str | None = Field(default=None, pattern=SHA256)
    filename: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=5000)


def _items(standard_id: str) -> list[LedgerItem]:
    return ledger_items(load_standard(standard_id))


def _check(
    session: Session, ctx: ServiceContext, values: dict[str, Any], items: list[LedgerItem]
) -> None:
    problems: list[Message] = []
    if "item_id" in values and values["item_id"] not in {i.item_id for i in items}:
        problems.append(MESSAGES.message("ledger_item_unknown", item=values["item_id"]))
    if values.get("kind") is not None and values["kind"] not in DOCUMENT_KINDS:
        kinds = {k: v for k, v in DOCUMENT_KINDS.items() if k != GENERATED_KIND}
        problems.append(MESSAGES.message("ledger_kind_unknown", known=_coded(kinds)))
    elif values.get("kind") == GENERATED_KIND:
        problems.append(MESSAGES.message("ledger_kind_generated"))
    if values.get("status") is not None and values["status"] not in STATUSES:
        problems.append(MESSAGES.message("ledger_status_unknown", known=_coded(STATUSES)))
    unit_id = values.get("owner_unit_id")
    if unit_id is not None and session.get(Unit, unit_id) is None:
        problems.append(MESSAGES.message("ledger_unit_unknown", unit=unit_id))
    sha = values.get("file_sha256")
    if sha and not ctx.files.exists(sha):
        problems.append(MESSAGES.message("ledger_file_unknown"))
    if problems:
        listing = Listing(tuple(problems), ("；", "; "))
        raise InvalidRequestError(MESSAGES.message("ledger_problems", problems=listing))


def _coded(names: dict[str, str]) -> list[Message]:
    """Codes as the API takes them, each with its Chinese name for Chinese readers."""
    return [Message.literal(f"{code}（{name}）", code) for code, name in sorted(names.items())]


def add_document(
    session: Session, ctx: ServiceContext, actor: User, data: LedgerDocIn, standard_id: str
) -> LedgerDocument:
    """Register a document (or the need for one) under an item of the standard."""
    authorize(actor, "ledger.manage")
    values = data.model_dump()
    _check(session, ctx, values, _items(standard_id))
    doc = LedgerDocument(**values, updated_at=ctx.now())
    session.add(doc)
    session.flush()
    return doc


def update_document(
    session: Session, ctx: ServiceContext, actor: User, doc_id: int, data: LedgerDocPatch
) -> LedgerDocument:
    authorize(actor, "ledger.manage")
    doc = session.get(LedgerDocument, doc_id)
    if doc is None:
        raise NotFoundError(MESSAGES.message("ledger_document_not_found", doc_id=doc_id))
    values = data.model_dump(exclude_unset=True)
    cleared = sorted(k for k in ("title", "kind", "status") if k in values and values[k] is None)
    if cleared:
        raise InvalidRequestError(
            MESSAGES.message(
                "ledger_fields_cleared",
                fields=[MESSAGES.message(f"ledger_field.{k}") for k in cleared],
            )
        )
    _check(session, ctx, values, [])
    for key, value in values.items():
        setattr(doc, key, value)
    doc.updated_at = ctx.now()
    session.flush()
    return doc


def list_documents(session: Session, actor: User) -> list[LedgerDocument]:
    authorize(actor, "ledger.view")
    return list(session.scalars(select(LedgerDocument).order_by(LedgerDocument.id)).all())


def stores_file(session: Session, sha256: str) -> bool:
    """Whether a ledger document refers to the stored file ``sha256``."""
    query = select(LedgerDocument.id).where(LedgerDocument.file_sha256 == sha256).limit(1)
    return session.scalar(query) is not None


def ledger_frame(session: Session) -> pd.DataFrame:
    """Every ledger document as a table (id, item_id, title, kind, owner, due, status, file)."""
    return _frame(session)


def _frame(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(
            LedgerDocument.id,
            LedgerDocument.item_id,
            LedgerDocument.title,
            LedgerDocument.kind,
            LedgerDocument.owner_unit_id,
            LedgerDocument.due_at,
            LedgerDocument.status,
            LedgerDocument.file_sha256,
            LedgerDocument.filename,
        )
    ).all()
    columns = ["id", "item_id", "title", "kind", "owner_unit_id", "due_at", "status"]
    return pd.DataFrame([r._asdict() for r in rows], columns=[*columns, "file_sha256", "filename"])


def completeness(
    session: Session, ctx: ServiceContext, actor: User, standard_id: str, lang: str = "zh"
) -> dict[str, Any]:
    """Completeness per item (catalogue order) and per unit (its name in ``lang``), and
    overall."""
    authorize(actor, "ledger.view")
    items = _items(standard_id)
    docs = _frame(session)
    names = unit_labels(session, lang)
    by_item = item_completeness(items, docs, ctx.now())
    complete = sum(1 for r in by_item if r["complete"])
    return {
        "standard": standard_id,
        "items_complete": complete,
        "items_total": len(items),
        "completeness_pct": round(100.0 * complete / len(items), 1) if items else 0.0,
        "items": by_item,
        # the platform is not a responsible unit: its generated evidence is counted per item
        "units": unit_completeness(docs[docs["kind"] != GENERATED_KIND], names, ctx.now()),
    }


def file_missing_cases(
    session: Session, ctx: ServiceContext, actor: User, standard_id: str
) -> list[Case]:
    """A case (category ``ledger_missing``) for every incomplete item that has no open ledger
    case yet, addressed to the owner of its first unfinished document (else the city).
    Items whose owner is outside the actor's units are skipped (a district coordinator files
    for the district's units only)."""
    authorize(actor, "ledger.manage")
    items = _items(standard_id)
    docs = _frame(session)
    open_items = set(
        session.scalars(
            select(Case.indicator_id).where(
                Case.action_code == LEDGER_ACTION,
                Case.status.not_in([CaseStatus.CLOSED, CaseStatus.DISCARDED]),
            )
        ).all()
    )
    city = session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id)).first()
    filed = []
    for row in item_completeness(items, docs, ctx.now()):
        if row["complete"] or row["item_id"] in open_items:
            continue
        mine = docs[(docs["item_id"] == row["item_id"]) & (docs["kind"] != GENERATED_KIND)]
        pending = mine[mine["status"] != "accepted"]
        owners = pending["owner_unit_id"].dropna()
        owner = session.get(Unit, int(owners.iloc[0])) if len(owners) else city
        # a department has no area of its own: its case is placed at the city's
        placed = owner if owner is not None and owner.area is not None else city
        if owner is None or placed is None or placed.area is None:
            raise InvalidRequestError(MESSAGES.message("ledger_no_unit_with_area"))
        point = shapely.Point(placed.area.representative_point())
        titles = "、".join(pending["title"].astype(str).head(5)) or "尚未登记任何文件"
        data = CaseIn(
            category=LEDGER_CATEGORY,
            title=f"台账缺失：{row['seq']:02d} {row['name_zh']}"[:200],
            description=f"完成 {row['done']}/{row['documents']}；待补：{titles}",
            source="self_check",
            lon=point.x,
            lat=point.y,
            unit_id=owner.id,
            indicator_id=row["item_id"],
            action_code=LEDGER_ACTION,
        )
        try:
            filed.append(service.file_case(session, ctx, actor, data))
        except PermissionDeniedError:
            continue  # an item owned outside the actor's units is left to those who own it
    return filed
