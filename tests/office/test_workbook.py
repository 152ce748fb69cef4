"""The office workbook: what every spreadsheet the platform hands out looks like, and the
lint that checks it (which a plain pandas export fails)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd

from gardencity.office.workbook import Column, Sheet, display_width, write_workbook
from tests._office import lint_workbook


def test_a_sheet_is_laid_out_for_an_office(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    rows = [
        {"name": "鼓楼区中心公园", "area": 12.345678, "count": 3.0, "note": "ok\x07"},
        {"name": "口袋公园", "area": 0.333333, "count": 1, "note": None},
    ]
    columns = [
        Column("名称", "name"),
        Column("面积（公顷）", "area", "number", 2),
        Column("数量（个）", "count", "integer"),
        Column("备注", "note"),
    ]
    write_workbook(
        path,
        [Sheet("公园", "示范市公园一览", columns, rows, subtitle="截至2026年5月1日")],
        organisation="示范市园林绿化局",
        day="2026年5月1日",
    )
    assert lint_workbook(path) == []
    sheet = openpyxl.load_workbook(path)["公园"]
    assert sheet["A1"].value == "示范市公园一览" and "A1:D1" in sheet.merged_cells
    assert sheet.freeze_panes == "A4" and sheet.print_title_rows == "$1:$3"
    assert [c.value for c in sheet[3]] == ["名称", "面积（公顷）", "数量（个）", "备注"]
    assert sheet["B4"].value == 12.35 and sheet["B4"].number_format == "0.00"
    assert sheet["C4"].value == 3 and isinstance(sheet["C4"].value, int)
    assert sheet["D4"].value == "ok"  # control characters dropped
    assert sheet.page_setup.paperSize == 9 and sheet.page_setup.fitToWidth == 1
    assert sheet.column_dimensions["A"].width >= display_width("鼓楼区中心公园")
    foot = [c.value for c in sheet["A"] if c.value][-2:]
    assert foot == ["编制单位：示范市园林绿化局", "日期：2026年5月1日"]


def test_the_lint_fails_a_plain_export(tmp_path: Path) -> None:
    path = tmp_path / "plain.xlsx"
    pd.DataFrame({"site_id": ["park:1"], "score": [96.0612345]}).to_excel(path, index=False)
    problems = lint_workbook(path)
    assert any("header row not frozen" in p for p in problems)
    assert any("name is not in zh" in p for p in problems)


def test_an_english_readers_workbook_has_its_foot_footer_dates_and_fonts_in_english(
    tmp_path: Path,
) -> None:
    path = tmp_path / "en.xlsx"
    rows = [{"park": "Central Park", "opened": date(2026, 5, 1)}]
    columns = [Column("Park", "park"), Column("Opened", "opened")]
    sheet_spec = Sheet("Parks", "Demo City: parks", columns, rows)
    write_workbook(path, [sheet_spec], organisation="Demo City", day=date(2026, 12, 3), lang="en")
    assert lint_workbook(path, lang="en") == []
    assert lint_workbook(path) != []  # not a Chinese office's workbook
    sheet = openpyxl.load_workbook(path)["Parks"]
    assert sheet["B3"].value == "1 May 2026"
    foot = [c.value for c in sheet["A"] if c.value][-2:]
    assert foot == ["Prepared by: Demo City", "Date: 3 December 2026"]
    assert sheet.oddFooter.center.text == "Page &P of &N"
    assert {sheet["A1"].font.name, sheet["A3"].font.name} == {"Arial", "Times New Roman"}
