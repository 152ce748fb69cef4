"""Cell safety for every spreadsheet the platform hands out (Excel through
:mod:`~gardencity.office.workbook`, CSV through :func:`csv_bytes`): what a user typed can
never act as a formula or break the file.

* **Formula injection** (OWASP "CSV injection"): text starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return would run as a formula when the file is opened. In
  Excel files such text is a text cell marked with Excel's quote prefix (the cell shows and
  keeps exactly the text; editing it does not turn it into a formula); in CSV, which has no
  cell types, it gets a leading apostrophe, as OWASP advises.
* **Control characters** that XML cannot hold are left out (one would make the workbook
  unreadable); CSV fields with line breaks are quoted (RFC 4180), NaN is an empty cell and
  time-zone-aware times are written in China Standard Time.

Examples
--------
>>> csv_cell("=HYPERLINK(\\"http://x\\")"), csv_cell("-3 trees"), csv_cell(-3)
('\\'=HYPERLINK("http://x")', "'-3 trees", -3)
>>> csv_cell("a\\x07b"), cell_text("a\\x0bb")
('ab', 'ab')
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from gardencity.text import clean_text, xml_text

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "CSV_TYPE",
    "FORMULA_STARTS",
    "append_row",
    "cell_text",
    "csv_bytes",
    "csv_cell",
    "is_formula_like",
    "sheet_name",
    "write_csv",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_TEXT = 32_767  # Excel's limit
CSV_TYPE = "text/csv; charset=utf-8"
CST = timezone(timedelta(hours=8), "CST")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula."""
    return text.startswith(FORMULA_STARTS)


def cell_text(text: str) -> str:
    """``text`` as an Excel cell can hold it (XML-illegal characters out, Excel's length)."""
    return xml_text(text)[:MAX_CELL_TEXT]


def sheet_name(name: str) -> str:
    """A sheet name Excel accepts: none of ``[]:*?/\\``, at most 31 characters."""
    cleaned = "".join(c for c in cell_text(name) if c not in "[]:*?/\\")[:31]
    return cleaned or "Sheet1"


def append_row(
    sheet: Worksheet, values: Iterable[Any], styles: Sequence[StyleArray] | None = None
) -> list[Cell]:
    """Append a row to ``sheet`` (like ``sheet.append``) and return its cells: text is
    cleaned and always a text cell, never a formula, with Excel's quote prefix when it looks
    like one. Cell ``i`` takes a copy of ``styles[i]`` where given (the style of a cell made
    once and given to each cell of a column).

    The row's cells are made here, so that appending stays linear in the rows (reading the
    row back with ``sheet[sheet.max_row]`` scans every cell of the sheet), and so are their
    styles (setting a font or a border hashes it into the workbook's styles, cell by cell).
    """
    from openpyxl.cell.cell import Cell

    cells = []
    for index, value in enumerate(values):
        style = styles[index] if styles is not None else None
        if isinstance(value, str):
            cell = Cell(sheet, value=cell_text(value), style_array=style)
            cell.data_type = "s"  # openpyxl makes "=…" a formula
            if is_formula_like(cell.value):
                cell.quotePrefix = True
        else:
            cell = Cell(sheet, value=value, style_array=style)
        cells.append(cell)
    sheet.append(cells)
    return cells


def _plain(value: Any) -> Any:
    """Numpy and pandas scalars as Python values; NaN, NaT and None as None."""
    if value is None or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return value


def csv_cell(value: Any) -> Any:
    """``value`` for a CSV cell: formula-like text gets a leading apostrophe."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(CST)
    if isinstance(value, str):
        text = clean_text(value)
        return "'" + text if is_formula_like(text) else text
    return value


def csv_bytes(frame: pd.DataFrame, *, index: bool = False) -> bytes:
    """``frame`` (header row first) as CSV in UTF-8 with a byte-order mark, so Excel opens
    Chinese text correctly."""
    header = [str(c) for c in frame.columns]
    if index:
        header = [str(frame.index.name or ""), *header]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")  # RFC 4180: CR and LF get quoted
    writer.writerow([csv_cell(h) for h in header])
    for label, row in zip(frame.index, frame.itertuples(index=False, name=None), strict=True):
        writer.writerow([csv_cell(v) for v in ([label, *row] if index else row)])
    return text.getvalue().encode("utf-8-sig")


def write_csv(frame: pd.DataFrame, path: Path, *, index: bool = False) -> Path:
    """:func:`csv_bytes` into ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_bytes(frame, index=index))
    return path
