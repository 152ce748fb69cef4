"""The self-assessment report: PDF with Chinese text, maps and the scorecard's numbers; a DOCX
that LibreOffice opens; templates a city edits."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from docx import Document
from PIL import Image

from gardencity.io.workspace import Workspace
from gardencity.reports import write_outputs
from gardencity.reports.self_assessment import (
    PACKAGE_TEMPLATES,
    ReportData,
    format_value,
    write_self_assessment_docx,
    write_self_assessment_pdf,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report_data(demo_city: Path, demo_assessment, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("assess")
    write_outputs(demo_assessment, out)
    ws = Workspace.open(demo_city)
    data = ReportData.from_outputs(
        out,
        canopy=ws.load_raster("canopy"),
        temperature=ws.load_raster("land_surface_temperature"),
        campaign={
            "total": 12,
            "closed": 9,
            "closure_rate": 75.0,
            "overdue": 1,
            "by_status": {"已结案": 9, "处置中": 3},
        },
    )
    return data, json.loads((out / "scorecard.json").read_text("utf-8"))


def _run(*args: str | Path) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True)
    return done.stdout


def test_pdf_has_chinese_text_maps_and_the_scorecard_numbers(report_data, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data, scorecard = report_data
    pdf = write_self_assessment_pdf(data, tmp_path / "自评报告.pdf")
    fonts = _run("pdffonts", pdf)
    assert "Noto-Sans-CJK-SC" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # embedded
    text = _run("pdftotext", "-layout", pdf, "-")
    assert "示范市创建国家生态园林城市自评报告" in text
    assert "三、指标完成情况表" in text and "结案率 75.0%" in text
    # every row of the indicator table: the value printed is the scorecard's value
    table = text.split("三、指标完成情况表")[1].split("四、各城区指标")[0]
    found = {}
    for line in table.splitlines():
        match = re.match(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s", line)
        if match:
            found[int(match.group(1))] = (match.group(2), match.group(4))
    assert sorted(found) == list(range(1, len(scorecard["indicators"]) + 1))
    for seq, result in enumerate(scorecard["indicators"], start=1):
        name, value = found[seq]
        assert name == result["name_zh"]
        assert value == format_value(result["value"], result["unit"])
        if result["value"] is not None and result["unit"] != "是/否":
            assert float(value) == round(result["value"], 2)
    # the maps: one captioned figure each, rendered as coloured images
    captions = re.findall(r"图\s*(\d+)\s+(\S+)", text)
    titles = [c[1] for c in captions]
    for expected in (
        "建成区绿化覆盖（乔木、灌木、草地）",
        "林荫路判定（次干路、支路人行道与非机动车道）",
        "城市热岛（地表温度）",
        "公园服务半径未覆盖的居住用地（直线距离）",
    ):
        assert expected in titles
    images = _run("pdfimages", "-list", pdf).splitlines()[2:]
    assert sum(1 for line in images if line.split()[2] == "image") == len(captions)
    pages = text.split("\f")
    cover_page = next(i for i, p in enumerate(pages, 1) if re.search(r"图\s*1\s+建成区绿化覆盖", p))
    _run("pdftoppm", "-r", "50", "-png", "-f", cover_page, "-l", cover_page, pdf, tmp_path / "pg")
    png = next(tmp_path.glob("pg-*.png"))
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    green = (rgb[..., 1] > rgb[..., 0] + 30) & (rgb[..., 1] > rgb[..., 2] + 30)
    assert green.mean() > 0.05, "the green-cover map is not on the page"


def test_docx_opens_in_libreoffice_and_matches_the_scorecard(report_data, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data, scorecard = report_data
    docx = write_self_assessment_docx(data, tmp_path / "自评报告.docx")
    document = Document(str(docx))
    indicator_table = document.tables[0]
    values = [row.cells[3].text for row in indicator_table.rows[1:]]
    assert values == [format_value(r["value"], r["unit"]) for r in scorecard["indicators"]]
    assert len(document.inline_shapes) >= 6
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is missing: make install installs libreoffice-writer-nogui"
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "lo"),
            str(docx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    converted = tmp_path / "lo" / "自评报告.pdf"
    text = _run("pdftotext", converted, "-")
    assert "示范市创建国家生态园林城市自评报告" in text and "城市林荫路覆盖率" in text


def test_a_city_edits_the_templates(report_data, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data, _ = report_data
    own = tmp_path / "report_templates"
    own.mkdir()
    texts = (PACKAGE_TEMPLATES / "self_assessment.yaml").read_text("utf-8")
    (own / "self_assessment.yaml").write_text(
        texts.replace("一、自评概况", "一、我市创建工作总体情况"), "utf-8"
    )
    docx = write_self_assessment_docx(data, tmp_path / "r.docx", templates=own)
    headings = [p.text for p in Document(str(docx)).paragraphs]
    assert "一、我市创建工作总体情况" in headings
    html = (PACKAGE_TEMPLATES / "self_assessment.html.j2").read_text("utf-8")
    (own / "self_assessment.html.j2").write_text(
        html.replace(
            "<h2>{{ T.summary_heading }}</h2>", "<h2>{{ T.summary_heading }}（本市版式）</h2>"
        ),
        "utf-8",
    )
    pdf = write_self_assessment_pdf(data, tmp_path / "r.pdf", templates=own)
    assert "一、我市创建工作总体情况（本市版式）" in _run("pdftotext", pdf, "-")
