"""The platform's own outputs as ledger evidence (台账, kind ``generated``).

When an assessment run finishes (or its outputs are imported) and when the self-assessment
report is written, each output file is registered under the items it proves, with the run it
came from, the SHA-256 of the file and status ``reference``: the platform's own results
are listed beside the proof for the reviewers' convenience, but never count as accepted
proof of an item (an item is complete only with the city's own documents). Which output
proves which item is data: ``inspection/data/generated_evidence.yaml``, or a city's own
``generated_evidence.yaml`` in
the workspace. An item is registered only when the assessment gave it a value.

Registering again replaces: one row per output file and item, updated to the newest run;
rows of an output for items it no longer proves are removed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.assessment.scorecard import Scorecard
from gardencity.errors import DataError
from gardencity.inspection.ledger import GENERATED_KIND, REFERENCE_STATUS
from gardencity.inspection.models import LedgerDocument
from gardencity.messages import Catalogue, load_yaml

MESSAGES = Catalogue(__package__)

__all__ = [
    "EVIDENCE_FILE",
    "EvidenceOutput",
    "load_evidence_map",
    "proved_items",
    "register_generated_evidence",
]

EVIDENCE_FILE = "generated_evidence.yaml"
OUTPUT_KEYS = ("scorecard", "diagnostics", "report", "self_assessment_pdf", "self_assessment_docx")


class EvidenceOutput(BaseModel):
    """One output of the platform and the items it proves."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    file: str = Field(min_length=1, max_length=200)
    title_zh: str = Field(min_length=1, max_length=300)
    title_en: str = ""
    items: list[str]


class _EvidenceMap(BaseModel):
    model_config = ConfigDict(extra="forbid")
    measured: list[str] = Field(default_factory=list)  # a YAML anchor, for the lists below
    outputs: dict[str, EvidenceOutput]


def load_evidence_map(workspace: Path | None = None) -> dict[str, EvidenceOutput]:
    """Output key → what it proves: the workspace's ``generated_evidence.yaml`` when it has
    one, else the package's."""
    own = Path(workspace) / EVIDENCE_FILE if workspace is not None else None
    if own is not None and own.is_file():
        text, name = own.read_text("utf-8"), str(own)
    else:
        data = resources.files("gardencity.inspection.data").joinpath(EVIDENCE_FILE)
        text, name = data.read_text("utf-8"), EVIDENCE_FILE
    try:
        outputs = _EvidenceMap.model_validate(load_yaml(text)).outputs
    except ValidationError as exc:
        raise DataError(MESSAGES.message("evidence_map_invalid", name=name, detail=exc)) from exc
    unknown = sorted(set(outputs) - set(OUTPUT_KEYS))
    if unknown:
        raise DataError(
            MESSAGES.message(
                "evidence_unknown_outputs", name=name, unknown=unknown, known=list(OUTPUT_KEYS)
            )
        )
    return outputs


def proved_items(output: EvidenceOutput, scorecard: Scorecard) -> list[str]:
    """The items of ``output`` that the assessment gave a value (in the scorecard's order).

    >>> card = Scorecard.model_validate({
    ...     "city": {"name": "示范市"}, "standard": {"id": "s", "name_zh": "s", "name_en": "s"},
    ...     "indicators": [
    ...         {"id": i, "name_zh": i, "name_en": i, "value": v, "status": "no_threshold"}
    ...         for i, v in (("a", 1.0), ("b", None), ("c", 0.0))]})
    >>> proved_items(EvidenceOutput(file="x", title_zh="x", items=["c", "b", "z"]), card)
    ['c']
    """
    wanted = set(output.items)
    return [
        result.id
        for result in scorecard.indicators
        if result.id in wanted and result.value is not None
    ]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def register_generated_evidence(
    session: Session,
    files: Mapping[str, Path],
    scorecard: Scorecard,
    *,
    now: datetime,
    run_id: int | None = None,
    workspace: Path | None = None,
) -> list[LedgerDocument]:
    """Register the output ``files`` (output key → path; missing files are skipped) as
    generated evidence of the items they prove, replacing earlier registrations of the same
    output. Returns the rows now registered."""
    evidence = load_evidence_map(workspace)
    registered = []
    for key, path in files.items():
        output = evidence.get(key)
        if output is None or not Path(path).is_file():
            continue
        items = proved_items(output, scorecard)
        checksum = _sha256(Path(path))
        shown = _shown_path(Path(path), workspace)
        existing: dict[str, LedgerDocument] = {}
        for doc in session.scalars(
            select(LedgerDocument)
            .where(LedgerDocument.kind == GENERATED_KIND, LedgerDocument.filename == output.file)
            .order_by(LedgerDocument.id)
        ):
            if doc.item_id in items and doc.item_id not in existing:
                existing[doc.item_id] = doc
            else:  # an item the output no longer proves, or a second row of the same item
                session.delete(doc)
        for item_id in items:
            if item_id in existing:
                doc = existing[item_id]
            else:
                doc = LedgerDocument(item_id=item_id, kind=GENERATED_KIND, filename=output.file)
                session.add(doc)
            doc.title = output.title_zh
            doc.status = REFERENCE_STATUS
            doc.file_sha256 = checksum
            doc.run_id = run_id
            # in the ledger's language, as every note of the 台账 (its index is a Chinese
            # office document)
            doc.note = f"平台自动生成{f'（评估 #{run_id}）' if run_id else ''}：{shown}"
            doc.updated_at = now
            registered.append(doc)
    session.flush()
    return registered


def _shown_path(path: Path, workspace: Path | None) -> str:
    if workspace is not None:
        try:
            return str(path.resolve().relative_to(Path(workspace).resolve()))
        except ValueError:
            pass
    return str(path)
