"""Read the self-assessment report back as the experts receive it (PDF with pdftotext, DOCX
with python-docx and LibreOffice) and check it against scorecard.json; pages are rendered to
PNG under test-artifacts/ to be looked at."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from pathlib import Path
from typing import Any

from docx import Document
from docx.oxml.ns import qn

from gardencity.assessment.scorecard import IndicatorCard
from gardencity.office.word import plain_text
from gardencity.reports.self_assessment.tables import format_amount, format_value, printed_value
from gardencity.reports.self_assessment.template import wording

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
SECTIONS = (
    "城市概况",
    "创建工作开展情况",
    "评选标准各项指标完成情况",
    "存在问题与整改计划",
    "图件",
    "附件",
    "公众满意度调查",
    "模拟抽查",
    "台账资料",
)


def run(*args: str | Path, timeout: float = 300) -> str:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=True, timeout=timeout
    )
    return done.stdout


def internal_wording(text: str) -> list[str]:
    """Internal wording found in ``text``: the forbidden list and ISO dates."""
    found = [w for w in wording()["experts_forbidden"] if w.lower() in text.lower()]
    found += re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text)
    return found


def pdf_language(pdf: Path) -> str | None:
    """The document language (/Lang of the catalogue), looked up in the file's streams too
    (WeasyPrint compresses the catalogue into an object stream)."""
    data = pdf.read_bytes()
    chunks = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        end = data.find(b"endstream", match.end())
        try:
            chunks.append(zlib.decompress(data[match.end() : end]))
        except zlib.error:
            continue
    for chunk in chunks:
        found = re.search(rb"/Lang\s*\(([^)]*)\)", chunk)
        if found:
            return found.group(1).decode("ascii")
    return None


def _number(value: str) -> str:
    return rf"(?<![\d.]){re.escape(value)}(?![\d.])"


def _region(text: str, start: str, end: str | None) -> str:
    assert start in text, f"{start!r} is not in the document"
    after = text.split(start, 1)[1]
    return after.split(end, 1)[0] if end and end in after else after


def check_numbers(text: str, scorecard: dict[str, Any]) -> None:
    """Every indicator value, district value and shortfall of the scorecard, as printed."""
    flat = re.sub(r"[ \t]+", " ", text)
    table = _region(flat, "评选标准指标自评表", "各城区指标测算值")
    lines = table.splitlines()
    for result in scorecard["indicators"]:
        value = printed_value(IndicatorCard.model_validate(result))
        line = next((ln for ln in lines if result["name_zh"] in ln), None)
        assert line is not None, f"{result['name_zh']} is not in the indicator table"
        assert re.search(_number(value), line), (result["name_zh"], value, line)
    districts = _region(flat, "各城区指标测算值", "各指标计算方法")
    expected = []
    for result in scorecard["indicators"]:
        cells = [result["by_district"].get(str(d["id"])) for d in scorecard["districts"]]
        if any(c is not None for c in cells):
            expected += [format_value(c, result["unit"]) for c in cells]
    # row by row in reading order (a long indicator name may wrap onto a second line)
    assert re.findall(r"(?<![\d.])\d+\.\d{2}(?![\d])|未评估", districts) == expected
    gaps = _region(flat, "存在问题与整改计划", "迎检准备情况").replace("\n", "")
    for result in scorecard["indicators"]:
        gap = result.get("gap") or {}
        if result["status"] not in ("fail", "fail_unverified"):
            continue
        for amount in (gap.get("by_district") or {}).values():
            if amount and amount > 0:
                number = format_amount(amount, gap["unit"]).split()[0]
                assert re.search(_number(number), gaps), (result["name_zh"], number)
    population = float(scorecard["city"]["population"])
    assert f"{population / 1e4:.2f}万" in flat.replace(" ", "")


def check_pdf(pdf: Path, scorecard: dict[str, Any], artifacts: Path) -> str:
    """A4 portrait, zh-CN, embedded fonts, "— n —" page numbers, the sections, the numbers and
    no internal wording; the pages as PNG in ``artifacts``."""
    info = run("pdfinfo", pdf)
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size and abs(float(size.group(1)) - 595.3) < 1 and abs(float(size.group(2)) - 841.9) < 1
    assert pdf_language(pdf) == "zh-CN"
    fonts = run("pdffonts", pdf)
    assert "Noto-Serif-CJK-SC" in fonts and "Noto-Sans-CJK-SC" in fonts and "UKai" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # embedded
    text = run("pdftotext", "-layout", pdf, "-")
    numbers = re.findall(r"^\s*—\s*(\d+)\s*—\s*$", text, flags=re.M)
    assert [int(n) for n in numbers] == list(range(2, pages + 1)), numbers  # cover unnumbered
    for section in SECTIONS:
        assert section in text, section
    assert internal_wording(text) == []
    check_numbers(text, scorecard)
    artifacts.mkdir(parents=True, exist_ok=True)
    for old in artifacts.glob("pdf-*.png"):
        old.unlink()
    run("pdftoppm", "-r", "50", "-png", pdf, artifacts / "pdf")
    return text


def _docx_text(document: Any) -> str:
    """Paragraphs and table rows in reading order (a row's cells two spaces apart)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    parts = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            parts.append(Paragraph(child, document).text)
        elif child.tag == qn("w:tbl"):
            for row in Table(child, document).rows:
                parts.append("  ".join(cell.text for cell in row.cells))
    return plain_text("\n".join(parts))


def check_unbroken(rendered: str, scorecard: dict[str, Any]) -> None:
    """No number of the scorecard broken across lines in the rendered document ("64.6" /
    "2 万人", "75." / "0%", "22.78 公" / "顷", "2027年6月30" / "日"): each printed amount with
    its unit, each district value with its ▼ mark, the population and each date sit whole on
    one line."""
    lines = [re.sub(r"\s+", "", line) for line in rendered.splitlines()]
    assert not [ln for ln in lines if re.search(r"\d\.$", ln)], "a number broken after its point"
    dates = [ln for ln in lines if re.search(r"\d{4}年\d{1,2}月\d{1,2}(?![\d日])", ln)]
    assert not dates, f"a date broken across lines: {dates}"
    wanted = [f"{float(scorecard['city']['population']) / 1e4:.2f}万人"]
    for result in scorecard["indicators"]:
        gap = result.get("gap") or {}
        if result["status"] in ("fail", "fail_unverified"):
            for amount in (gap.get("by_district") or {}).values():
                if amount and amount > 0:
                    wanted.append(format_amount(amount, gap["unit"]).replace(" ", ""))
        for district, status in (result.get("district_status") or {}).items():
            value = result["by_district"].get(district)
            if value is not None and status in ("fail", "fail_unverified"):
                wanted.append(format_value(value, result["unit"]) + "▼")
    missing = [w for w in wanted if not any(w in ln for ln in lines)]
    assert missing == [], f"broken across lines: {missing}"


def check_docx(docx: Path, scorecard: dict[str, Any], artifacts: Path, *, figures: int) -> None:
    """A4 portrait with GB/T 9704 margins, zh-CN, office fonts, page-number fields, header
    rows repeated and rows kept whole, the same numbers and figures as the PDF, no internal
    wording; LibreOffice renders it, pages as PNG in ``artifacts``."""
    document = Document(str(docx))
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (37, 28)
    styles = document.styles.element
    lang = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert lang.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    east_asia = {
        name: document.styles[name].element.rPr.rFonts.get(qn("w:eastAsia"))
        for name in ("Normal", "Title", "Heading 1", "Heading 2")
    }
    assert east_asia == {
        "Normal": "FangSong",
        "Title": "方正小标宋简体",
        "Heading 1": "SimHei",
        "Heading 2": "KaiTi",
    }
    # headings stand apart from the body: their own short paragraphs, bold
    assert all(document.styles[name].font.bold for name in ("Heading 1", "Heading 2"))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings and all(len(h) <= 30 for h in headings), headings
    footers = section.footer._element.xml + section.even_page_footer._element.xml
    assert footers.count("PAGE") == 2 and "— " in footers
    for table in document.tables:
        first = table.rows[0]._tr
        assert first.trPr is not None and first.trPr.find(qn("w:tblHeader")) is not None
        assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in table.rows)
    text = _docx_text(document)
    assert internal_wording(text) == []
    for section_name in SECTIONS:
        assert section_name in text, section_name
    indicator = next(
        t for t in document.tables if "本市现状值" in [c.text for c in t.rows[0].cells]
    )
    values = [plain_text(row.cells[4].text) for row in indicator.rows[1:]]
    cards = [IndicatorCard.model_validate(r) for r in scorecard["indicators"]]
    assert values == [printed_value(card) for card in cards]
    assert len(document.inline_shapes) == figures
    check_numbers(text, scorecard)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is missing: make install installs libreoffice-writer-nogui"
    out = artifacts / "lo"
    profile = (artifacts / "lo-profile").as_uri()
    run(
        soffice,
        f"-env:UserInstallation={profile}",
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        out,
        docx,
    )
    converted = out / f"{docx.stem}.pdf"
    rendered = run("pdftotext", "-layout", converted, "-")
    assert scorecard["city"]["name"] in rendered and "评选标准指标自评表" in rendered
    assert re.search(r"^\s*—\s*\d+\s*—\s*$", rendered, flags=re.M), "no page numbers"
    check_unbroken(rendered, scorecard)
    for old in artifacts.glob("docx-*.png"):
        old.unlink()
    run("pdftoppm", "-r", "50", "-png", converted, artifacts / "docx")
    shutil.rmtree(artifacts / "lo-profile", ignore_errors=True)
