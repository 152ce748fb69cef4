"""The ledger handed over as it is filed: one folder per item of the chosen standard (in its
order) holding the documents themselves, and the index workbook (台账索引.xlsx).

The evidence a city names in ``city.toml`` (``[management.<item>] evidence = [...]``) is the
same proof the assessment accepts for a management item, so it is registered in the ledger
too (:func:`register_workspace_evidence`) — the ledger and the cockpit then agree on those
items: evidence present and the item stated as in place is accepted; an item the city states
is not in place is a missing document with the city's note.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.auth.models import Unit
from gardencity.campaign.context import ServiceContext
from gardencity.inspection.ledger import (
    DOCUMENT_KINDS,
    GENERATED_KIND,
    STATUS_NAMES,
    item_completeness,
    ledger_items,
)
from gardencity.inspection.ledger_store import ledger_frame
from gardencity.inspection.models import LedgerDocument
from gardencity.io.management import ManagementEvidence
from gardencity.office.workbook import Column, Sheet, write_workbook
from gardencity.standards import load_standard
from gardencity.vocabulary.dates import chinese_date

__all__ = ["INDEX_COLUMNS", "WORKSPACE_KIND", "export_ledger", "register_workspace_evidence"]

WORKSPACE_KIND = "regulation"
NO_MATERIAL = "（尚无材料）"
"""The title of an item the city states is not in place (no file): the pages name it in
their language."""
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}〔\d{4}〕\d+号")
INDEX_COLUMNS = [
    Column("序号", "seq"),
    Column("条目编号", "item_no"),
    Column("指标/项目名称", "item"),
    Column("材料名称", "title"),
    Column("类别", "kind"),
    Column("文号", "doc_number"),
    Column("日期", "date"),
    Column("责任单位", "owner"),
    Column("完成时限", "due"),
    Column("存放位置", "location"),
    Column("状态", "status"),
    Column("备注", "note"),
]


def _owner_unit(session: Session) -> Unit | None:
    """The unit that keeps the ledger by default: the landscaping department, else the city."""
    department = session.scalars(
        select(Unit).where(Unit.kind == "department").order_by(Unit.id)
    ).first()
    if department is not None:
        return department
    return session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id)).first()


def register_workspace_evidence(
    session: Session,
    workspace: Path,
    management: dict[str, ManagementEvidence],
    *,
    now: datetime,
    item_ids: set[str] | None = None,
) -> list[LedgerDocument]:
    """One ledger row per evidence file named in ``city.toml`` (accepted when the item is
    stated as in place and the file exists; missing otherwise), and a missing row for an item
    the city states is not in place. Registering again updates the same rows (matched by
    item and file name)."""
    owner = _owner_unit(session)
    rows = []
    for item_id, item in management.items():
        if item_ids is not None and item_id not in item_ids:
            continue
        wanted = list(item.evidence) or [""]
        for relative in wanted:
            filename = relative or f"city.toml#{item_id}"
            doc = session.scalars(
                select(LedgerDocument).where(
                    LedgerDocument.item_id == item_id, LedgerDocument.filename == filename
                )
            ).first()
            if doc is None:
                doc = LedgerDocument(item_id=item_id, kind=WORKSPACE_KIND, filename=filename)
                session.add(doc)
            path = workspace / relative if relative else None
            present = path is not None and path.is_file()
            doc.title = Path(relative).stem if relative else NO_MATERIAL
            doc.status = "accepted" if present and item.status else "missing"
            doc.file_sha256 = _sha256(path) if present and path is not None else None
            doc.owner_unit_id = doc.owner_unit_id or (owner.id if owner else None)
            # the city's own note only: the status says whether the file is there
            doc.note = item.note or None
            doc.updated_at = now
            rows.append(doc)
    session.flush()
    return rows


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _document_number(path: Path) -> str:
    """The 文号 written in a text document (e.g. 示政复〔2022〕18号), if any."""
    if path.suffix.lower() not in (".md", ".txt"):
        return ""
    found = _DOC_NUMBER.search(path.read_text("utf-8", errors="ignore"))
    return found.group(0) if found else ""


def _copy(
    doc: dict[str, Any], ctx: ServiceContext, workspace: Path | None, target: Path
) -> Path | None:
    """Copy a document's file into its item folder: from the file store, else from the
    workspace (evidence named in city.toml). None when the file is nowhere."""
    sha = doc["file_sha256"]
    name = str(doc["filename"] or "")
    if isinstance(sha, str) and ctx.files.exists(sha):
        source = ctx.files.path(sha)
    elif workspace is not None and name and (workspace / name).is_file():
        source = workspace / name
    else:
        return None
    destination = target.with_suffix(Path(name).suffix or source.suffix)
    shutil.copy2(source, destination)
    return destination


def export_ledger(
    session: Session,
    ctx: ServiceContext,
    standard_id: str,
    out_dir: Path,
    *,
    city: str = "",
    workspace: Path | None = None,
) -> Path:
    """``out_dir/<NN_item>/<NN_document>`` with every document's file and ``台账索引.xlsx``
    (one row per document, items in the standard's order; an item without documents is a
    highlighted 缺失 row; the platform's outputs are listed as reference, never as proof)."""
    standard = load_standard(standard_id)
    items = ledger_items(standard)
    docs = ledger_frame(session)
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    completeness = {r["item_id"]: r for r in item_completeness(items, docs, ctx.now())}
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    highlight = []
    for item in items:
        folder = out_dir / item.folder
        folder.mkdir(exist_ok=True)
        mine = docs[docs["item_id"] == item.item_id]
        mine = pd.concat(
            [mine[mine["kind"] != GENERATED_KIND], mine[mine["kind"] == GENERATED_KIND]]
        )
        base = {"item_no": f"{item.seq:02d}", "item": item.name_zh}
        if mine.empty:
            highlight.append(len(rows))
            rows.append(
                base | {"seq": f"{item.seq:02d}", "title": "（未登记材料）", "status": "缺失"}
            )
            continue
        records = [{str(k): v for k, v in r.items()} for r in mine.to_dict("records")]
        for number, doc in enumerate(records, start=1):
            generated = doc["kind"] == GENERATED_KIND
            copied = (
                None
                if generated
                else _copy(doc, ctx, workspace, folder / f"{number:02d}_{_safe(str(doc['title']))}")
            )
            if doc["status"] != "accepted" and not generated:
                highlight.append(len(rows))
            location = str(copied.relative_to(out_dir)) if copied is not None else ""
            rows.append(
                base | _document_row(doc, f"{item.seq:02d}.{number}", copied, location, names)
            )
    complete = sum(1 for r in completeness.values() if r["complete"])
    keeper = _owner_unit(session)
    index = out_dir / "台账索引.xlsx"
    write_workbook(
        index,
        [
            Sheet(
                name="台账索引",
                title=f"{city}台账资料索引（{standard.name_zh}）",
                subtitle=(
                    f"共 {len(items)} 个条目，材料齐备 {complete} 个；平台生成的测算成果仅供参考，"
                    "不计入佐证材料。"
                ),
                columns=INDEX_COLUMNS,
                rows=rows,
                highlight=highlight,
            )
        ],
        organisation=f"{city}{keeper.name}" if keeper is not None and keeper.parent_id else city,
        day=ctx.now().date(),
    )
    return index


def _document_row(
    doc: dict[str, Any], seq: str, copied: Path | None, location: str, names: dict[int, str]
) -> dict[str, Any]:
    """The index row of one document (``location``: where its copy is in the ledger)."""
    generated = doc["kind"] == GENERATED_KIND
    if generated:
        location = "平台评估成果目录（参考）"
    elif not location and doc["status"] == "accepted":
        location = "（文件未上传）"
    due, owner_id = doc["due_at"], doc["owner_unit_id"]
    return {
        "seq": seq,
        "title": str(doc["title"]),
        "kind": DOCUMENT_KINDS.get(str(doc["kind"]), str(doc["kind"])),
        "doc_number": _document_number(copied) if copied is not None else "",
        "date": _file_date(copied),
        "owner": names.get(int(owner_id), "") if pd.notna(owner_id) else "",
        "due": "" if pd.isna(due) else chinese_date(pd.Timestamp(due)),
        "location": location,
        "status": STATUS_NAMES.get(str(doc["status"]), str(doc["status"])),
        "note": "平台测算成果，不计入佐证" if generated else str(doc.get("note") or ""),
    }


def _file_date(path: Path | None) -> str:
    if path is None:
        return ""
    return chinese_date(pd.Timestamp(path.stat().st_mtime, unit="s"))


def _safe(text: str) -> str:
    return "".join(c for c in text if c not in '\\/:*?"<>|\n\r\t')[:80] or "文件"
