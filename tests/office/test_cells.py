"""Cell safety of the one spreadsheet writer: formula-like text stays text (Excel) or is
neutralised (CSV), control characters and NaN never break a file, and nothing else in the
package writes spreadsheets."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook

from gardencity.office.cells import append_row, csv_bytes
from gardencity.office.workbook import Column, Sheet, sheet_from_frame, workbook_bytes

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


def test_excel_keeps_text_as_text_never_as_a_formula() -> None:
    sheet_spec = sheet_from_frame(
        _frame(), "表/一[测试]", "=标题", decimals={"数值": 1}, index=True
    )
    book = load_workbook(io.BytesIO(workbook_bytes([sheet_spec], organisation="@单位")))
    sheet = book.active
    assert sheet is not None and sheet.title == "表一测试"
    assert sheet["A1"].value == "=标题" and sheet["A1"].data_type == "s"  # the title too
    assert [c.value for c in sheet[2]] == ["编号", "文本", "数值", "时间"]
    texts = [sheet.cell(row, 2) for row in range(3, 11)]
    assert [c.value for c in texts] == [*HOSTILE[:-1], "abc"]
    assert all(c.data_type == "s" for c in texts)
    assert [bool(c.quotePrefix) for c in texts] == [True] * 6 + [False, False]
    assert sheet.cell(4, 3).value is None and sheet.cell(5, 3).value == -3  # NaN: empty
    foot = [sheet.cell(row, 1).value for row in range(12, sheet.max_row + 1)]
    assert "编制单位：@单位" in foot
    plain = Workbook().active
    assert plain is not None
    append_row(plain, ['=HYPERLINK("x")', 1])
    append_row(plain, [])
    append_row(plain, ["ok", None, "=2"])
    assert plain["A1"].data_type == "s" and plain["C3"].data_type == "s" and plain["C3"].quotePrefix


def test_csv_neutralises_formulas_and_opens_in_excel_as_utf8() -> None:
    content = csv_bytes(_frame())
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
    indexed = list(csv.reader(io.StringIO(csv_bytes(_frame(), index=True).decode("utf-8-sig"))))
    assert indexed[0][0] == "编号" and indexed[1][0] == "r0"


def test_an_empty_table_still_has_its_header() -> None:
    empty = pd.DataFrame(columns=["案卷编号", "标题"])
    assert csv_bytes(empty).decode("utf-8-sig").strip() == "案卷编号,标题"
    spec = Sheet("空", "空表", [Column("案卷编号", "a"), Column("标题", "b")], [])
    sheet = load_workbook(io.BytesIO(workbook_bytes([spec], organisation="x"))).active
    assert sheet is not None and [c.value for c in sheet[2]] == ["案卷编号", "标题"]


def test_no_other_spreadsheet_writer_in_the_package() -> None:
    writers = re.compile(r"\.to_excel\(|\.to_csv\(|ExcelWriter|Workbook\(|csv\.writer|DictWriter")
    found = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if writers.search(path.read_text(encoding="utf-8"))
    }
    # the demo city's weather-station table is generated numbers, not a table for people
    assert found == {"office/cells.py", "office/workbook.py", "demo/rasters.py"}


def test_word_tables_and_captions_drop_control_characters(tmp_path: Path) -> None:
    from docx import Document

    from gardencity.office.word import add_caption, add_office_table, office_document

    document = office_document()
    add_caption(document, "表1\x0b考查点")
    add_office_table(document, ["名称", "得分"], [["中心公园\x07一号", "=1+1"]])
    document.save(str(tmp_path / "t.docx"))
    text = [c.text for c in Document(str(tmp_path / "t.docx")).tables[0].rows[1].cells]
    assert text == ["中心公园一号", "=1+1"]
