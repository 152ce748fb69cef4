"""Office-ready spreadsheets: the one writer every table the platform hands out goes through
(ledger index, route table, check sheets, survey and spot-check results, benchmark, case and
ranking exports).

Each sheet has a Chinese name, a merged title row (and an optional line under it), a header
row with units in the headers ("面积（公顷）") frozen below the title, values rounded to the
precision the column shows (and formatted so), column widths fitted to the content (a Chinese
character counts double), A4 print set-up (fit to the page width, title and header rows
repeated, page numbers in the footer) and 编制单位 and 日期 at the foot. Every cell goes
through :mod:`~gardencity.office.cells`: text is never a formula and never breaks the file.

A workbook for an English reader (``lang="en"``) has the same layout with its foot, footer,
dates and fonts in English (``office/messages.yaml``).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from gardencity.messages import Catalogue
from gardencity.office.cells import append_row, cell_text, sheet_name
from gardencity.vocabulary.dates import chinese_date, english_date

__all__ = [
    "Column",
    "Sheet",
    "display_width",
    "sheet_from_frame",
    "workbook_bytes",
    "write_workbook",
]

Kind = Literal["text", "number", "integer"]
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="E2EFDA")
FONT = "仿宋"
HEADER_FONT = "黑体"
#: body and header fonts by the reader's language
FONTS = {"zh": (FONT, HEADER_FONT), "en": ("Times New Roman", "Arial")}
MESSAGES = Catalogue(__package__)


@dataclass(frozen=True)
class Column:
    """A column: its Chinese header (unit in full-width brackets), the row key, the kind and,
    for numbers, the decimals shown (values are rounded to them)."""

    header: str
    key: str
    kind: Kind = "text"
    decimals: int = 2

    @property
    def number_format(self) -> str:
        if self.kind == "integer":
            return "0"
        if self.kind == "number":
            return "0" if self.decimals == 0 else "0." + "0" * self.decimals
        return "@"


@dataclass
class Sheet:
    """One sheet: ``name`` (≤ 31 characters), ``title`` (the merged first row), ``columns``,
    ``rows`` (mappings by column key), an optional ``subtitle`` line, ``notes`` printed under
    the table, and rows to ``highlight`` (indexes, e.g. missing items)."""

    name: str
    title: str
    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]
    subtitle: str = ""
    notes: Sequence[str] = field(default_factory=tuple)
    highlight: Iterable[int] = field(default_factory=tuple)


def display_width(text: str) -> float:
    """Width in Excel character units: a Chinese (wide) character counts 2.

    >>> display_width("面积（公顷）"), display_width("12.50")
    (12.0, 5.0)
    """
    return float(sum(2 if ord(c) > 0x2E80 else 1 for c in text))


def _day(value: date, lang: str) -> str:
    return english_date(value) if lang == "en" else chinese_date(value)


def _cell(value: Any, column: Column, lang: str = "zh") -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if column.kind == "integer":
        return round(float(value))
    if column.kind == "number":
        number = round(float(value), column.decimals)
        return number + 0.0 if number != 0 else 0.0
    if isinstance(value, datetime):
        return _day(value.date(), lang)
    if isinstance(value, date):
        return _day(value, lang)
    return cell_text(str(value))


def _shown(value: Any, column: Column) -> str:
    if value is None:
        return ""
    if column.kind == "number" and isinstance(value, float):
        return f"{value:.{column.decimals}f}"
    return str(value)


def _write_sheet(
    sheet: Worksheet, spec: Sheet, organisation: str, day: str, lang: str = "zh"
) -> None:
    font, header_font = FONTS.get(lang, FONTS["zh"])
    columns = list(spec.columns)
    n = len(columns)
    last = get_column_letter(n)
    append_row(sheet, [spec.title])
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(name=header_font, size=14, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 28
    header_row = 2
    if spec.subtitle:
        append_row(sheet, [spec.subtitle])
        sheet.merge_cells(f"A2:{last}2")
        sheet["A2"].font = Font(name=font, size=10)
        sheet["A2"].alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
        header_row = 3
    headers = append_row(sheet, [c.header for c in columns])
    widths = [max(display_width(c.header) / 2 + 2, 6.0) for c in columns]
    for cell in headers:
        cell.font = Font(name=header_font, size=10.5, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
    sheet.row_dimensions[header_row].height = 30
    marked = set(spec.highlight)
    plain = [_body_style(sheet, column, font) for column in columns]
    highlighted = [_body_style(sheet, c, font, fill="FDE0DD") for c in columns] if marked else []
    for index, row in enumerate(spec.rows):
        values = [_cell(row.get(c.key), c, lang) for c in columns]
        append_row(sheet, values, highlighted if index in marked else plain)
        for i, column in enumerate(columns):
            widths[i] = max(widths[i], min(display_width(_shown(values[i], column)) + 2, 60))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.append([])
    foot = [MESSAGES.text(k, lang, organisation=organisation, day=day) for k in ("by", "dated")]
    for note in [*spec.notes, *foot]:
        (cell,) = append_row(sheet, [note])
        sheet.merge_cells(f"A{cell.row}:{last}{cell.row}")
        cell.font = Font(name=font, size=10.5)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if sum(widths) > 95 else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"1:{header_row}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.6
    sheet.oddFooter.center.text = MESSAGES.text("page_footer", lang)


def _body_style(sheet: Worksheet, column: Column, font: str, fill: str = "") -> StyleArray:
    """The style of ``column``'s body cells (font, border, number format, alignment and a
    ``fill`` colour if any), worked out once for the column and copied into each cell."""
    cell = Cell(sheet)
    cell.font = Font(name=font, size=10.5)
    cell.border = _BORDER
    cell.number_format = column.number_format if column.kind != "text" else "General"
    right = column.kind != "text"
    cell.alignment = Alignment(
        horizontal="right" if right else "left", vertical="center", wrap_text=not right
    )
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    return StyleArray(cell._style)  # openpyxl's own way to copy a style (copy_worksheet)


def _today(day: str | date | None, lang: str) -> str:
    if isinstance(day, str):
        return day
    return _day(day or date.today(), lang)


def write_workbook(
    target: str | Path | BinaryIO,
    sheets: Sequence[Sheet],
    *,
    organisation: str,
    day: str | date | None = None,
    lang: str = "zh",
) -> str | Path | BinaryIO:
    """Write ``sheets`` to ``target`` (a path or a binary stream) in the office layout, its
    foot, footer, dates and fonts for a reader of ``lang``."""
    book = Workbook()
    first = book.active
    assert first is not None
    for index, spec in enumerate(sheets):
        sheet = first if index == 0 else book.create_sheet()
        sheet.title = sheet_name(spec.name)
        _write_sheet(sheet, spec, organisation, _today(day, lang), lang)
    if isinstance(target, str | Path):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        book.save(str(target))
    else:
        book.save(target)
    return target


def sheet_from_frame(
    frame: Any,
    name: str,
    title: str,
    *,
    decimals: Mapping[str, int] | None = None,
    index: bool = False,
) -> Sheet:
    """A sheet of a pandas data frame: a column per frame column (numbers with
    ``decimals[header]`` decimals, whole numbers as integers, the rest as text as shown),
    and the index as the first column if ``index``."""
    import pandas as pd

    if index:
        frame = frame.reset_index()
    columns = []
    for header in frame.columns:
        key = str(header)
        if decimals and key in decimals:
            columns.append(Column(key, key, "number", decimals[key]))
        elif pd.api.types.is_integer_dtype(frame[header]):
            columns.append(Column(key, key, "integer"))
        else:
            columns.append(Column(key, key))
    records = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
    return Sheet(name, title, columns, records)


def workbook_bytes(
    sheets: Sequence[Sheet],
    *,
    organisation: str,
    day: str | date | None = None,
    lang: str = "zh",
) -> bytes:
    """The workbook as bytes (for HTTP downloads)."""
    buffer = io.BytesIO()
    write_workbook(buffer, sheets, organisation=organisation, day=day, lang=lang)
    return buffer.getvalue()
