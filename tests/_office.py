"""Checks every spreadsheet the platform hands out must pass (the office layout)."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import openpyxl

CJK = re.compile(r"[\u4e00-\u9fff]")


#: per language: whether the sheet names and headers are Chinese, and the foot's two lines
FOOT = {"zh": (True, "编制单位", "日期"), "en": (False, "Prepared by: ", "Date: ")}


def lint_workbook(source: Path | bytes, lang: str = "zh") -> list[str]:
    """Problems of an office workbook: a sheet name or a header not in ``lang`` (Chinese, or
    English without a Chinese character), no frozen header, no merged title, a number stored
    with more decimals than its format shows, no A4 set-up, no 编制单位 / 日期 (Prepared by /
    Date) at the foot. Empty list when it is fine."""
    chinese, by, dated = FOOT[lang]
    book = openpyxl.load_workbook(BytesIO(source) if isinstance(source, bytes) else source)
    problems = []
    for sheet in book.worksheets:
        where = f"sheet {sheet.title!r}"
        if bool(CJK.search(sheet.title)) != chinese:
            problems.append(f"{where}: name is not in {lang}")
        if not sheet.freeze_panes:
            problems.append(f"{where}: header row not frozen")
            continue
        header_row = int(re.sub(r"\D", "", sheet.freeze_panes)) - 1
        if not any(str(r).startswith("A1:") for r in sheet.merged_cells.ranges):
            problems.append(f"{where}: no merged title row")
        headers = [c.value for c in sheet[header_row] if c.value is not None]
        for header in headers:
            if bool(CJK.search(str(header))) != chinese:
                problems.append(f"{where}: header {header!r} is not in {lang}")
        for row in sheet.iter_rows(min_row=header_row + 1):
            for cell in row:
                value = cell.value
                if isinstance(value, bool) or not isinstance(value, float):
                    continue
                shown = cell.number_format.split(".")[1] if "." in cell.number_format else ""
                decimals = len(shown.rstrip("%"))
                if round(value, decimals) != value:
                    problems.append(
                        f"{where} {cell.coordinate}: {value!r} has more decimals than the "
                        f"{decimals} shown ({cell.number_format})"
                    )
        if sheet.page_setup.paperSize not in (9, "9"):
            problems.append(f"{where}: not set up for A4")
        foot = [str(c.value) for c in sheet["A"] if c.value is not None][-2:]
        if not (foot and foot[0].startswith(by) and foot[-1].startswith(dated)):
            problems.append(f"{where}: no {by.strip()} and {dated.strip()} at the foot")
    return problems
