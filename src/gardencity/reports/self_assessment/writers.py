"""The report's blocks written as DOCX (python-docx, house style of
:mod:`gardencity.office.word`) and as PDF (the city-editable HTML template printed by
WeasyPrint with free fonts embedded)."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from gardencity.office.word import (
    FONTS,
    TEXT_WIDTH_CM,
    add_caption,
    add_office_table,
    add_picture,
    add_text,
    fit_widths,
    office_document,
    set_fonts,
)
from gardencity.reports.self_assessment.model import Figure, Heading, ReportDocument, Table
from gardencity.reports.self_assessment.template import PACKAGE_TEMPLATES

__all__ = ["PDF_FONTS", "write_docx", "write_pdf"]

# Free equivalents embedded in the PDF (installed by `make install`), office names after them:
# 仿宋 → Noto Serif CJK SC, 楷体 → AR PL UKai CN (fonts-arphic-ukai), 黑体 → Noto Sans CJK SC,
# 小标宋 → Noto Serif CJK SC bold.
PDF_FONTS = {
    "title": '"Noto Serif CJK SC", "方正小标宋简体", serif',
    "heading": '"Noto Sans CJK SC", "SimHei", sans-serif',
    "kai": '"AR PL UKai CN", "KaiTi", "Noto Serif CJK SC", serif',
    "body": '"Noto Serif CJK SC", "FangSong", serif',
    "song": '"Noto Serif CJK SC", "SimSun", serif',
}


def _loader(templates: Path | None) -> jinja2.BaseLoader:
    paths = [str(templates)] if templates is not None else []
    return jinja2.FileSystemLoader([*paths, str(PACKAGE_TEMPLATES)])


def write_pdf(doc: ReportDocument, path: Path, *, templates: Path | None = None) -> Path:
    """Render ``self_assessment.html.j2`` (the city's copy first) and print it to PDF."""
    from weasyprint import HTML

    env = jinja2.Environment(loader=_loader(templates), autoescape=True)
    blocks: list[dict[str, Any]] = []
    for block in doc.blocks:
        item: dict[str, Any] = {"kind": block.kind, "block": block}
        if isinstance(block, Figure):
            item["img"] = base64.b64encode(block.png).decode("ascii")
        if isinstance(block, Table):
            widths = fit_widths(block.headers, block.rows, TEXT_WIDTH_CM, font_pt=9)
            item["widths"] = [round(100 * w / sum(widths), 2) for w in widths]
        blocks.append(item)
    html = env.get_template("self_assessment.html.j2").render(
        doc=doc, blocks=blocks, fonts={k: markupsafe.Markup(v) for k, v in PDF_FONTS.items()}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=str(path.parent)).write_pdf(path)
    return path


def _cover(document: Any, doc: ReportDocument) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Pt

    for _ in range(4):
        document.add_paragraph()
    title = document.add_paragraph(doc.title, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if doc.subtitle:
        sub = document.add_paragraph()
        sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = sub.add_run(doc.subtitle)
        set_fonts(run._r, FONTS["kai"])
    for _ in range(8):
        document.add_paragraph()
    for text in (doc.prepared_by, doc.date):
        line = document.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        line.add_run(text).font.size = Pt(16)
    if doc.edition == "internal":
        mark = document.add_paragraph()
        mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_fonts(mark.add_run("（内部工作稿，含阈值来源与可信度，不对外报送）")._r, FONTS["kai"])
    document.paragraphs[-1].runs[-1].add_break(WD_BREAK.PAGE)


def write_docx(doc: ReportDocument, path: Path, *, templates: Path | None = None) -> Path:
    """The same blocks as the PDF, in the house style (or the city's ``reference.docx``)."""
    from docx.shared import Pt

    reference = templates / "reference.docx" if templates is not None else None
    document = office_document(reference)
    _cover(document, doc)
    for block in doc.blocks:
        if isinstance(block, Heading):
            document.add_paragraph(block.text, style=f"Heading {block.level}")
        elif isinstance(block, Table):
            add_caption(document, block.caption)
            add_office_table(document, block.headers, block.rows, numeric=block.numeric)
            if block.note:
                add_text(document.add_paragraph(), block.note, size_pt=10.5)
        elif isinstance(block, Figure):
            add_picture(document, io.BytesIO(block.png), width_cm=14.5)
            caption = document.add_paragraph(block.caption, style="Caption")
            caption.paragraph_format.space_after = Pt(6)
        else:
            paragraph = document.add_paragraph()
            add_text(paragraph, block.text, size_pt=12 if block.style == "note" else None)
            if block.style == "attachment":
                paragraph.paragraph_format.left_indent = Pt(32)
            else:
                paragraph.paragraph_format.first_line_indent = Pt(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path
