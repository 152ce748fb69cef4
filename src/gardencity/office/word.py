"""Word documents laid out as Chinese offices lay them out (GB/T 9704-2012 house style).

A4 portrait, text block 156 × 225 mm (margins top 37, bottom 35, left 28, right 26 mm); title
2号 (22 pt) 小标宋, headings 黑体 ("一、") and 楷体 ("（一）"), body 3号 (16 pt) 仿宋 on a fixed
28 pt line; page numbers "— 1 —" in 4号 宋体 at the outside edge; tables with the title above,
the header row repeated on every page, rows never split and columns fitted to their content;
document language zh-CN. Fonts are named as Windows offices have them (FangSong, SimHei,
KaiTi, 方正小标宋简体) with East-Asian attributes, and the font table gives each an alternate
name and the GB2312 character set so Word and LibreOffice substitute a Chinese font of the
same kind where one is missing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from lxml import etree

from gardencity.text import xml_text

__all__ = [
    "FONTS",
    "TEXT_WIDTH_CM",
    "add_caption",
    "add_office_table",
    "add_picture",
    "add_text",
    "fit_widths",
    "keep_together",
    "office_document",
    "plain_text",
    "set_fonts",
]

FONTS = {
    "title": "方正小标宋简体",
    "heading": "SimHei",
    "kai": "KaiTi",
    "body": "FangSong",
    "song": "SimSun",
    "latin": "Times New Roman",
}
ALT_NAMES = {
    "方正小标宋简体": "FZXiaoBiaoSong-B05S",
    "SimHei": "黑体",
    "KaiTi": "楷体",
    "FangSong": "仿宋",
    "SimSun": "宋体",
}
TEXT_WIDTH_CM = 15.6
CELL_PADDING_CM = 0.38  # Word's default cell margins, 0.19 cm each side
BODY_PT = 16
TABLE_PT = 10.5


def set_fonts(element: Any, east_asia: str, *, latin: str = FONTS["latin"]) -> None:
    """Name the fonts of a run or style: ``east_asia`` for Chinese, ``latin`` for the rest
    (theme fonts removed, so the names are what Word and LibreOffice use)."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for key, value in (("ascii", latin), ("hAnsi", latin), ("eastAsia", east_asia), ("cs", latin)):
        fonts.set(qn(f"w:{key}"), value)


def _style(document: Any, name: str, east_asia: str, size: float, *, bold: bool = False) -> Any:
    style = document.styles[name]
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    set_fonts(style.element, east_asia)
    fmt = style.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(max(28, size * 1.3))
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    return style


def _language(document: Any) -> None:
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")
    document.core_properties.language = "zh-CN"


def _font_table(document: Any) -> None:
    part = next(
        (p for p in document.part.package.iter_parts() if p.partname == "/word/fontTable.xml"),
        None,
    )
    if part is None:
        return
    root = etree.fromstring(part.blob)
    known = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name, alt in ALT_NAMES.items():
        if name in known:
            continue
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        for tag, value in (("altName", alt), ("charset", "86"), ("family", "modern")):
            child = etree.SubElement(font, qn(f"w:{tag}"))
            child.set(qn("w:val"), value)
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    if hasattr(part, "_element"):
        part._element = root
    else:
        part._blob = blob


def _page_number(paragraph: Any, align: Any) -> None:
    paragraph.alignment = align
    paragraph.paragraph_format.left_indent = Pt(14) if align == WD_ALIGN_PARAGRAPH.LEFT else None
    paragraph.paragraph_format.right_indent = Pt(14) if align == WD_ALIGN_PARAGRAPH.RIGHT else None
    for text, field in (("— ", None), (None, "PAGE"), (" —", None)):
        run = paragraph.add_run()
        run.font.size = Pt(14)
        set_fonts(run._r, FONTS["song"])
        if text is not None:
            run.text = text
            continue
        for kind, value in (("begin", None), ("instr", field), ("separate", None), ("end", None)):
            if kind == "instr":
                instr = OxmlElement("w:instrText")
                instr.set(qn("xml:space"), "preserve")
                instr.text = f" {value} "
                run._r.append(instr)
            else:
                char = OxmlElement("w:fldChar")
                char.set(qn("w:fldCharType"), kind)
                run._r.append(char)
                if kind == "separate":
                    shown = OxmlElement("w:t")
                    shown.text = "1"
                    run._r.append(shown)


def office_document(reference: Path | None = None) -> Any:
    """A new document in the house style, or the city's ``reference`` document (its styles,
    page set-up, header and footer are kept; the content is appended)."""
    if reference is not None and reference.is_file():
        return Document(str(reference))
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(28)
    _language(document)
    _font_table(document)
    _style(document, "Normal", FONTS["body"], BODY_PT)
    title = _style(document, "Title", FONTS["title"], 22)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing = Pt(36)
    title_ppr = title.element.get_or_add_pPr()
    for border in title_ppr.findall(qn("w:pBdr")):
        title_ppr.remove(border)
    _style(document, "Heading 1", FONTS["heading"], BODY_PT)
    _style(document, "Heading 2", FONTS["kai"], BODY_PT)
    for name in ("Heading 1", "Heading 2"):
        # bold as well, so the heading stands out where 黑体/楷体 are replaced by another font
        document.styles[name].font.bold = True
        document.styles[name].paragraph_format.first_line_indent = Pt(32)
        document.styles[name].paragraph_format.keep_with_next = True
    _style(
        document, "Caption", FONTS["heading"], 12
    ).paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.settings.odd_and_even_pages_header_footer = True
    section.different_first_page_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)
    return document


def _wide(c: str) -> bool:
    return ord(c) > 0x2E80 or c in "▼≥≤—"


def _display_width(text: str, *, autospace: bool = False) -> float:
    """Width in em: a Chinese character (or a full-width sign like ▼ ≥) 1, others about half;
    with ``autospace`` a quarter em more where Chinese meets a Latin letter or digit (Word and
    LibreOffice space them apart: "2027年6月30日" prints as "2027 年 6 月 30 日").

    >>> _display_width("2027年6月30日"), _display_width("2027年6月30日", autospace=True)
    (7.2, 8.45)
    """
    width = sum(1.0 if _wide(c) else 0.6 for c in text)
    if not autospace:
        return round(width, 2)
    pairs = pairwise(text)
    width += 0.25 * sum(_wide(a) != _wide(b) and (a + b).strip() == a + b for a, b in pairs)
    return round(width, 2)


def fit_widths(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    total_cm: float,
    *,
    font_pt: float,
    word_processor: bool = False,
) -> list[float]:
    """Column widths (cm) fitted to the content within ``total_cm``: each column wants its
    widest cell (a header may wrap to two lines); when they do not fit, the wide columns give
    way first, never below the width of their longest number or four characters. For a
    ``word_processor`` (Word, LibreOffice) the widths allow for the space it puts between
    Chinese and Latin text and for fallback fonts wider than the count.

    >>> [round(w, 2) for w in fit_widths(["序号", "名称"], [["1", "城市建成区绿化覆盖率"]], 10,
    ...     font_pt=10.5)]
    [2.26, 7.74]
    """
    em = font_pt / 72 * 2.54
    pad = CELL_PADDING_CM + 0.1
    slack = 1.1 if word_processor else 1.0

    def width(text: str) -> float:
        return _display_width(text, autospace=word_processor)

    wanted, minimum = [], []
    for i, header in enumerate(headers):
        cells = [str(r[i]) for r in rows]
        widest = max([width(c) for c in cells] or [0.0])
        head = max(width(header) / 2, max((width(w) for w in header.split()), default=0))
        wanted.append(max(widest, head, 2.0) * em + pad)
        solid_em = max([width(c) for c in cells if _solid(c)], default=0.0) * slack
        minimum.append(max(solid_em, min(4.0, max(widest, 2.0))) * em + pad)
    wanted = [max(w, m) for w, m in zip(wanted, minimum, strict=True)]
    if sum(wanted) <= total_cm:  # room to spare: every column grows in proportion
        return [w * total_cm / sum(wanted) for w in wanted]
    widths = wanted[:]
    while sum(widths) > total_cm + 1e-6:
        excess = sum(widths) - total_cm
        flexible = [i for i, w in enumerate(widths) if w > minimum[i] + 1e-6]
        if not flexible:
            scale = total_cm / sum(widths)
            return [w * scale for w in widths]
        room = sum(widths[i] - minimum[i] for i in flexible)
        for i in flexible:
            widths[i] -= min(widths[i] - minimum[i], excess * (widths[i] - minimum[i]) / room)
    return widths


_UNBROKEN = re.compile(
    r"[≥≤>< ]*[\d.]+ ?[^\s\d]{1,3}|\d{4}年\d{1,2}月\d{1,2}日|[^\s/]{1,3}/[^\s/]{1,3}"
)


def _solid(text: str) -> bool:
    """A cell like 08:30—09:30, 24.60 公顷, 4.59▼, km/万人 or 2027年6月30日 that reads badly
    when broken (its column is never narrower than it).

    >>> [_solid(t) for t in ("24.60 公顷", "4.59▼", "km/万人", "2027年6月30日", "建成区绿化覆盖率")]
    [True, True, True, True, False]
    """
    if len(text) > 14:
        return False
    return all(c.isascii() or c in "—–－：．▼≥≤²³℃" for c in text) or bool(
        _UNBROKEN.fullmatch(text)
    )


_KEPT = re.compile(
    r"\d{4}年\d{1,2}月\d{1,2}日|[A-Za-z²³]+/[万人个公顷]{1,2}"
    r"|[≥≤]?\d[\d.,:：]*(?: ?(?:%|‰|℃|万人|万|公顷|公里|平方公里|平方米|米|km|m²|ha))?▼?"
)


def keep_together(text: str) -> str:
    """A number with its unit held on one line: a no-break space before the unit.

    >>> keep_together("64.62 万人") == "64.62\u00a0万人"
    True
    """
    return text.replace(" ", "\u00a0")


def _no_break_run(run: Any) -> None:
    """LibreOffice breaks a number in Chinese text anywhere ("75.\n0%"), word joiners or not;
    in a run of its own whose Western language is English it follows Western rules and keeps
    the number whole (the run's Chinese language stays zh-CN)."""
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    run._r.get_or_add_rPr().append(lang)


def add_text(paragraph: Any, text: str, *, size_pt: float | None = None) -> list[Any]:
    """Append ``text`` to ``paragraph`` as runs, each number with its unit ("64.62 万人",
    "75.0%", "2027年6月30日") in a run that is never broken across lines."""
    runs = []
    position = 0
    for match in _KEPT.finditer(text):
        if match.start() > position:
            runs.append(paragraph.add_run(text[position : match.start()]))
        run = paragraph.add_run(keep_together(match.group(0)))
        _no_break_run(run)
        runs.append(run)
        position = match.end()
    if position < len(text):
        runs.append(paragraph.add_run(text[position:]))
    for run in runs:
        if size_pt is not None:
            run.font.size = Pt(size_pt)
    return runs


def plain_text(text: str) -> str:
    """What a reader sees of a text written with :func:`add_text` (no-break spaces as spaces)."""
    return text.replace("\u00a0", " ")


def add_picture(
    document: Any, image: Any, *, width_cm: float | None = None, height_cm: float | None = None
) -> Any:
    """A centred picture on its own line (single line spacing, so a fixed body line height
    does not clip it), kept with its caption."""
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.first_line_indent = Pt(0)
    fmt.keep_with_next = True
    paragraph.add_run().add_picture(
        image,
        width=Cm(width_cm) if width_cm else None,
        height=Cm(height_cm) if height_cm else None,
    )
    return paragraph


def _row_flags(row: Any, *, header: bool) -> None:
    trpr = row._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))
    if header:
        trpr.append(OxmlElement("w:tblHeader"))


def _cell_text(cell: Any, text: str, *, bold: bool, right: bool, font_pt: float) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.alignment = (
        WD_ALIGN_PARAGRAPH.CENTER if bold else WD_ALIGN_PARAGRAPH.RIGHT if right else None
    )
    for run in add_text(paragraph, xml_text(text), size_pt=font_pt):  # no control characters
        run.font.bold = bold
        set_fonts(run._r, FONTS["heading"] if bold else FONTS["body"])


def add_caption(document: Any, text: str) -> Any:
    paragraph = document.add_paragraph(xml_text(text), style="Caption")
    paragraph.paragraph_format.keep_with_next = True
    paragraph.paragraph_format.space_before = Pt(6)
    return paragraph


DENSE_TABLE_PT = 9.0  # 小五
_READABLE_EM = 7.0  # a text column narrower than this many characters is squeezed


def _squeezed(
    headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float], font_pt: float
) -> bool:
    """Whether a column of long text got fewer than :data:`_READABLE_EM` characters a line."""
    em = font_pt / 72 * 2.54
    for i, width in enumerate(widths):
        widest = max((_display_width(str(r[i])) for r in rows), default=0.0)
        if widest > _READABLE_EM and (width - CELL_PADDING_CM) / em < _READABLE_EM:
            return True
    return False


def add_office_table(
    document: Any,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric: Sequence[bool] | None = None,
    font_pt: float = TABLE_PT,
    total_cm: float = TEXT_WIDTH_CM,
) -> Any:
    """A grid table: header row repeated on each page, rows not split, widths fitted; a table
    whose text would be squeezed into a few characters a line is set in 小五 (9 pt)."""
    numeric = list(numeric or [False] * len(headers))
    widths = fit_widths(headers, rows, total_cm, font_pt=font_pt, word_processor=True)
    if font_pt > DENSE_TABLE_PT and _squeezed(headers, rows, widths, font_pt):
        font_pt = DENSE_TABLE_PT
        widths = fit_widths(headers, rows, total_cm, font_pt=font_pt, word_processor=True)
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(Cm(width).twips)))
    _row_flags(table.rows[0], header=True)
    for cell, header, width in zip(table.rows[0].cells, headers, widths, strict=True):
        cell.width = Cm(width)
        _cell_text(cell, str(header), bold=True, right=False, font_pt=font_pt)
    for values in rows:
        row = table.add_row()
        _row_flags(row, header=False)
        for i, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            cell.width = Cm(widths[i])
            _cell_text(cell, str(value), bold=False, right=numeric[i], font_pt=font_pt)
    return table
