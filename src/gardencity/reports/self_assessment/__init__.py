"""The self-assessment report (自评报告) as DOCX and PDF, in two editions, from templates a
city edits.

* ``self_assessment.yaml`` (the city's copy in ``WORKSPACE/report_templates`` first) — the
  cover texts, the rectification defaults and the **sections** in their order; a section is a
  built-in kind (城市概况, 创建工作开展情况, 指标完成情况, 整改计划, 迎检准备, 图件, 附件) or
  the city's own text; an unknown kind is refused with the list of kinds;
* ``self_assessment.html.j2`` — the PDF layout (WeasyPrint; free Chinese fonts embedded);
* ``reference.docx`` (optional) — a Word document whose styles and page set-up the DOCX uses.

Editions: ``experts`` (the copy handed to the review: no threshold sources or confidence, no
internal remarks — checked before writing) and ``internal`` (the campaign office's copy with
both). The DOCX and the PDF are written from the same blocks, so they carry the same tables,
figures and texts; values print as :func:`format_value` (two decimals), so they can be read
back and compared with ``scorecard.json``.
"""

from __future__ import annotations

import os
from pathlib import Path

from gardencity.reports.self_assessment.content import build_document
from gardencity.reports.self_assessment.data import ReportData, read_rehearsal
from gardencity.reports.self_assessment.model import ReportDocument
from gardencity.reports.self_assessment.tables import format_value, indicator_rows
from gardencity.reports.self_assessment.template import (
    PACKAGE_TEMPLATES,
    SECTION_KINDS,
    Edition,
    load_template,
)
from gardencity.reports.self_assessment.writers import write_docx, write_pdf

__all__ = [
    "PACKAGE_TEMPLATES",
    "SECTION_KINDS",
    "Edition",
    "ReportData",
    "ReportDocument",
    "build_document",
    "format_value",
    "indicator_rows",
    "load_template",
    "read_rehearsal",
    "write_self_assessment_docx",
    "write_self_assessment_pdf",
]


def write_self_assessment_pdf(
    data: ReportData | ReportDocument,
    path: str | os.PathLike[str],
    *,
    templates: Path | None = None,
    edition: Edition = "experts",
) -> Path:
    """The report as PDF (A4, GB/T 9704 layout, fonts embedded)."""
    return write_pdf(_document(data, edition, templates), Path(path), templates=templates)


def write_self_assessment_docx(
    data: ReportData | ReportDocument,
    path: str | os.PathLike[str],
    *,
    templates: Path | None = None,
    edition: Edition = "experts",
) -> Path:
    """The report as a Word document with the same content as the PDF."""
    return write_docx(_document(data, edition, templates), Path(path), templates=templates)


def _document(
    data: ReportData | ReportDocument, edition: Edition, templates: Path | None
) -> ReportDocument:
    """``data`` laid out as the report's document (a document already built is kept)."""
    if isinstance(data, ReportDocument):
        return data
    return build_document(data, edition=edition, templates=templates)
