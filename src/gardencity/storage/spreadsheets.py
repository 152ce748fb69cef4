"""The one writer of spreadsheets (Excel and CSV): every table the platform hands out goes
through here, so what a user typed can never act as a formula or break the file.

* **Formula injection** (OWASP "CSV injection"): text starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return would run as a formula when the file is opened. In
  Excel files such text is written as a text cell marked with Excel's quote prefix (the
  cell shows and keeps exactly the text; editing it does not turn it into a formula); in
  CSV, which has no cell types, it gets a leading apostrophe, as OWASP advises.
* **Control characters** that XML cannot hold are left out (one would make the workbook
  unreadable); numbers that are not numbers (NaN) become empty cells, and time-zone-aware
  times are written in China Standard Time.

Use :func:`new_workbook` + :func:`append_row` (styling stays with the caller), or
:func:`write_table` / :func:`table_bytes` for a whole data frame.

Examples
--------
>>> csv_cell("=HYPERLINK(\\"http://x\\")"), csv_cell("-3 trees"), csv_cell(-3)
('\\'=HYPERLINK("http://x")', "'-3 trees", -3)
>>> csv_cell("a\\x07b")
'ab'
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from gardencity.storage.text import clean_text, xml_text

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "FORMULA_STARTS",
    "append_row",
    "csv_cell",
    "is_formula_like",
    "new_workbook",
    "table_bytes",
    "write_table",
    "xlsx_value",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_TEXT = 32_767  # Excel's limit
CST = timezone(timedelta(hours=8), "CST")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula."""
    return text.startswith(FORMULA_STARTS)


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


def xlsx_value(value: Any) -> Any:
    """``value`` as an Excel cell can hold it (text cleaned; aware times in CST, naive)."""
    value = _plain(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(CST).replace(tzinfo=None)
    if isinstance(value, bool | int | float | date | datetime) or value is None:
        return value
    return xml_text(str(value))[:MAX_CELL_TEXT]


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


def new_workbook(title: str) -> tuple[Workbook, Worksheet]:
    """An empty workbook and its first sheet, named ``title`` (at most 31 characters)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _sheet_name(title)
    return book, sheet


def _sheet_name(title: str) -> str:
    name = "".join(c for c in xml_text(title) if c not in "[]:*?/\\")[:31]
    return name or "Sheet1"


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Append one row to ``sheet`` (like ``sheet.append``); text is always a text cell,
    never a formula, and keeps Excel's quote prefix when it looks like one."""
    row = [xlsx_value(v) for v in values]
    sheet.append(row)
    if not any(isinstance(v, str) for v in row):
        return
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # openpyxl makes "=…" a formula
            if is_formula_like(cell.value):
                cell.quotePrefix = True


def _rows(frame: pd.DataFrame, index: bool) -> Iterable[list[Any]]:
    header = [str(c) for c in frame.columns]
    if index:
        header = [str(frame.index.name or ""), *header]
    yield header
    for label, row in zip(frame.index, frame.itertuples(index=False, name=None), strict=True):
        yield [label, *row] if index else list(row)


def write_table(
    frame: pd.DataFrame,
    target: Path | io.BytesIO,
    fmt: Literal["csv", "xlsx"],
    *,
    sheet_name: str = "Sheet1",
    index: bool = False,
) -> None:
    """Write ``frame`` (header row first) to ``target`` as Excel or as CSV (UTF-8 with a
    byte-order mark, so Excel opens Chinese text correctly)."""
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")  # RFC 4180; CR and LF get quoted
        writer.writerows([csv_cell(v) for v in row] for row in _rows(frame, index))
        data = text.getvalue().encode("utf-8-sig")
        if isinstance(target, Path):
            target.write_bytes(data)
        else:
            target.write(data)
        return
    book, sheet = new_workbook(sheet_name)
    for row in _rows(frame, index):
        append_row(sheet, row)
    book.save(target)


def table_bytes(
    frame: pd.DataFrame,
    fmt: Literal["csv", "xlsx"],
    *,
    sheet_name: str = "Sheet1",
    index: bool = False,
) -> bytes:
    """:func:`write_table` into memory."""
    buffer = io.BytesIO()
    write_table(frame, buffer, fmt, sheet_name=sheet_name, index=index)
    return buffer.getvalue()
