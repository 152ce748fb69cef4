"""The one spreadsheet writer: formula-like text stays text (Excel) or is neutralised (CSV),
control characters and NaN never break a file, and nothing else in the package writes
spreadsheets."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from gardencity.storage.spreadsheets import append_row, new_workbook, table_bytes, write_table

HOSTILE = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", "\tTAB", "\rCR", "普通", "a\x07b\x0bc"]
SRC = Path(__file__).resolve().parents[2] / "src" / "gardencity"


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "文本": HOSTILE,
            "数值": [1.5, float("nan"), -3, 0, 2, 3, 4, 5],
            "时间": [datetime(2026, 5, 4, 1, 0, tzinfo=UTC)] * 8,
        },
        index=pd.Index([f"r{i}" for i in range(8)], name="编号"),
    )


def test_excel_keeps_text_as_text_never_as_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_table(_frame(), path, "xlsx", sheet_name="表/一[测试]", index=True)
    book = load_workbook(path)
    sheet = book.active
    assert sheet is not None and sheet.title == "表一测试"
    assert [c.value for c in sheet[1]] == ["编号", "文本", "数值", "时间"]
    texts = [sheet.cell(row, 2) for row in range(2, 10)]
    assert [c.value for c in texts] == [*HOSTILE[:-1], "abc"]
    assert all(c.data_type == "s" for c in texts)
    assert [bool(c.quotePrefix) for c in texts] == [True] * 6 + [False, False]
    assert sheet.cell(3, 3).value is None and sheet.cell(4, 3).value == -3  # NaN: empty
    assert sheet.cell(2, 4).value == datetime(2026, 5, 4, 9, 0)  # China Standard Time
    book, sheet = new_workbook("路线")
    append_row(sheet, ['=HYPERLINK("x")', 1])
    append_row(sheet, [])
    append_row(sheet, ["ok", None, "=2"])
    assert sheet["A1"].data_type == "s" and sheet["C3"].data_type == "s" and sheet["C3"].quotePrefix


def test_csv_neutralises_formulas_and_opens_in_excel_as_utf8() -> None:
    content = table_bytes(_frame(), "csv")
    assert content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["文本", "数值", "时间"]
    assert [r[0] for r in rows[1:]] == [
        "'=1+1",
        "'+SUM(A1:A2)",
        "'-2+3",
        "'@cmd",
        "'\tTAB",
        "'\rCR",
        "普通",
        "ab\nc",
    ]
    assert [r[1] for r in rows[1:3]] == ["1.5", ""] and rows[3][1] == "-3.0"  # numbers stay
    assert rows[1][2] == "2026-05-04 09:00:00+08:00"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_empty_table_still_has_its_header(fmt: str) -> None:
    content = table_bytes(pd.DataFrame(columns=["案卷编号", "标题"]), fmt)  # type: ignore[arg-type]
    if fmt == "csv":
        assert content.decode("utf-8-sig").strip() == "案卷编号,标题"
    else:
        sheet = load_workbook(io.BytesIO(content)).active
        assert sheet is not None and [c.value for c in sheet[1]] == ["案卷编号", "标题"]


def test_no_other_spreadsheet_writer_in_the_package() -> None:
    writers = re.compile(r"\.to_excel\(|\.to_csv\(|ExcelWriter|Workbook\(|csv\.writer|DictWriter")
    found = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if writers.search(path.read_text(encoding="utf-8"))
    }
    # the demo city's weather-station table is generated numbers, not a table for people
    assert found == {"storage/spreadsheets.py", "demo/rasters.py"}
