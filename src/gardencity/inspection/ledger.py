"""The evidence ledger (台账): for every item of the chosen standard, the documents that prove
it, with owner unit, due date and status; completeness per item and per unit.

Completeness rules (pure functions over a table of documents):

* a document counts as done when its status is ``accepted``; it is overdue when it is not done
  and its due date has passed;
* an item is **complete** when it has at least one document and every document is done;
  its completeness is ``done / documents`` (0 % for an item without any document — the
  review expects something for every item);
* a unit's completeness is ``done / documents`` over the documents it owns.

Besides what users upload, the platform registers its own outputs (a run's scorecard, maps and
diagnostics, the self-assessment report) as reference material of kind ``generated`` with
status ``reference`` (see :mod:`gardencity.inspection.generated_evidence`): the platform's
own results never prove an item, so they count neither as documents nor as done; each item
row shows how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from gardencity.standards.schema import Standard

__all__ = [
    "DOCUMENT_KINDS",
    "GENERATED_KIND",
    "REFERENCE_STATUS",
    "STATUSES",
    "STATUS_NAMES",
    "LedgerItem",
    "item_completeness",
    "ledger_items",
    "unit_completeness",
]

STATUSES = {
    "missing": "缺失",
    "in_progress": "编制中",
    "submitted": "已提交",
    "accepted": "已审核",
}
REFERENCE_STATUS = "reference"
"""Status of the platform's own outputs: listed for reference, never counted as proof."""
STATUS_NAMES = STATUSES | {REFERENCE_STATUS: "参考材料（平台生成，不计入）"}
DOCUMENT_KINDS = {
    "plan": "规划",
    "regulation": "法规制度",
    "budget": "资金预算",
    "photo": "照片",
    "statistics": "统计数据",
    "map": "图件",
    "report": "报告",
    "other": "其他",
    "generated": "平台生成",
}
GENERATED_KIND = "generated"


@dataclass(frozen=True)
class LedgerItem:
    """One item of the standard, in catalogue order (``seq`` from 1)."""

    seq: int
    item_id: str
    name_zh: str
    aspect: str
    name_en: str = ""

    @property
    def folder(self) -> str:
        """The export folder name: ``01_城市建成区绿化覆盖率``."""
        safe = "".join(c for c in self.name_zh if c not in '\\/:*?"<>|')
        return f"{self.seq:02d}_{safe}"


def ledger_items(standard: Standard) -> list[LedgerItem]:
    """Every indicator and management item of ``standard``, in catalogue order."""
    return [
        LedgerItem(seq, spec.id, spec.name_zh, spec.aspect, spec.name_en)
        for seq, spec in enumerate(standard.indicators, start=1)
    ]


def _flags(documents: pd.DataFrame, now: datetime) -> pd.DataFrame:
    docs = documents.copy()
    docs["done"] = docs["status"] == "accepted"
    due = pd.to_datetime(docs["due_at"], utc=True) if "due_at" in docs else pd.NaT
    stamp = pd.Timestamp(now)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    docs["overdue"] = ~docs["done"] & (due < stamp)
    return docs


def item_completeness(
    items: list[LedgerItem], documents: pd.DataFrame, now: datetime
) -> list[dict[str, Any]]:
    """Per item, in catalogue order: documents, done, overdue, generated (outputs the
    platform produced: listed, never counted), completeness (%), complete.

    ``documents`` has ``item_id``, ``status`` and ``due_at`` columns (``kind`` optional).

    >>> items = [LedgerItem(1, "a", "甲", ""), LedgerItem(2, "b", "乙", "")]
    >>> docs = pd.DataFrame({"item_id": ["a", "a"], "status": ["accepted", "submitted"],
    ...     "due_at": [None, None]})
    >>> [(r["item_id"], r["completeness_pct"], r["complete"])
    ...  for r in item_completeness(items, docs, datetime(2026, 5, 1))]
    [('a', 50.0, False), ('b', 0.0, False)]
    >>> platform = pd.DataFrame({"item_id": ["b"], "status": ["reference"], "due_at": [None],
    ...     "kind": ["generated"]})
    >>> row = item_completeness(items, platform, datetime(2026, 5, 1))[1]
    >>> row["documents"], row["generated"], row["completeness_pct"]
    (0, 1, 0.0)
    """
    docs = _flags(documents, now) if len(documents) else None
    rows = []
    for item in items:
        mine = docs[docs["item_id"] == item.item_id] if docs is not None else None
        generated = 0
        if mine is not None and "kind" in mine:
            platform = mine["kind"] == GENERATED_KIND
            generated = int(platform.sum())
            mine = mine[~platform]
        n = 0 if mine is None else len(mine)
        done = 0 if mine is None else int(mine["done"].sum())
        overdue = 0 if mine is None else int(mine["overdue"].sum())
        rows.append(
            {
                "seq": item.seq,
                "item_id": item.item_id,
                "name_zh": item.name_zh,
                "name_en": item.name_en or item.name_zh,
                "aspect": item.aspect,
                "documents": n,
                "done": done,
                "overdue": overdue,
                "generated": generated,
                "completeness_pct": round(100.0 * done / n, 1) if n else 0.0,
                "complete": n > 0 and done == n,
            }
        )
    return rows


def unit_completeness(
    documents: pd.DataFrame, unit_names: dict[int, str], now: datetime
) -> list[dict[str, Any]]:
    """Per owner unit (documents without an owner under ``None``): documents, done, overdue,
    completeness (%), sorted from the least complete.

    >>> docs = pd.DataFrame({"owner_unit_id": [1, 1, 2], "status": ["accepted", "missing",
    ...     "accepted"], "due_at": [None, "2026-01-01T00:00:00+00:00", None]})
    >>> [(r["unit_id"], r["completeness_pct"], r["overdue"])
    ...  for r in unit_completeness(docs, {1: "园林局", 2: "城管局"}, datetime(2026, 5, 1))]
    [(1, 50.0, 1), (2, 100.0, 0)]
    """
    if not len(documents):
        return []
    docs = _flags(documents, now)
    rows = []
    owners = docs["owner_unit_id"].astype("Int64")
    for owner, group in docs.groupby(owners, dropna=False):
        unit_id = None if pd.isna(owner) else int(owner)
        n, done = len(group), int(group["done"].sum())
        rows.append(
            {
                "unit_id": unit_id,
                "unit_name": unit_names.get(unit_id, "（未指定）") if unit_id else "（未指定）",
                "documents": n,
                "done": done,
                "overdue": int(group["overdue"].sum()),
                "completeness_pct": round(100.0 * done / n, 1),
            }
        )
    return sorted(rows, key=lambda r: (r["completeness_pct"], str(r["unit_id"])))
