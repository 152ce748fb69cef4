"""The self-assessment report as the experts receive it: DOCX and PDF of the S and M demo
cities read back (A4 portrait, zh-CN, page numbers, the sections, every number equal to
scorecard.json, no internal wording), pages rendered to test-artifacts/; the internal
edition; templates a city edits; an indicator without a value is never a zero."""

from __future__ import annotations

import copy
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from gardencity.assessment.scorecard import Status
from gardencity.errors import DataError
from gardencity.io.workspace import Workspace
from gardencity.reports.outputs import write_diagnostics
from gardencity.reports.self_assessment import (
    PACKAGE_TEMPLATES,
    ReportData,
    build_document,
    format_value,
    write_self_assessment_docx,
    write_self_assessment_pdf,
)
from tests.reports._readback import ARTIFACTS, check_docx, check_pdf, internal_wording, run

pytestmark = pytest.mark.slow

CAMPAIGN: dict[str, Any] = {
    "total": 12,
    "closed": 9,
    "closure_rate": 75.0,
    "overdue": 1,
    "by_status": {"已结案": 9, "处置中": 3},
    "by_district": [
        {"name": "鼓楼区", "filed": 7, "closed": 5, "overdue": 1, "closure_rate": 71.4},
        {"name": "云龙区", "filed": 5, "closed": 4, "overdue": 0, "closure_rate": 80.0},
    ],
    "by_unit": [
        {"name": "园林绿化局", "filed": 3, "closed": 3, "overdue": 0, "closure_rate": 100.0}
    ],
    "by_indicator": {"park_area_per_capita": {"鼓楼区": ["ZX-0007"], "": ["ZX-0007"]}},
    "organisation": {
        "districts": 4,
        "streets": 8,
        "communities": 16,
        "departments": 1,
        "responsible": 4,
        "leaders": 2,
    },
    "targets": [
        {
            "action": "口袋公园建设",
            "district": "鼓楼区",
            "metric": "新增公园绿地（公顷）",
            "target": 12.0,
            "reported": 7.5,
            "completion_pct": 62.5,
        }
    ],
    "flags": {"period": "2026年11月1日至2026年11月30日", "red": ["云龙区"], "black": ["鼓楼区"]},
    "ledger": {"items_total": 19, "items_complete": 3, "completeness_pct": 15.8},
}
REHEARSAL: dict[str, Any] = {
    "spot_check": {
        "green_coverage": {
            "n_points": 500,
            "n_observed": 500,
            "n_green": 241,
            "estimate_pct": 48.2,
            "standard_error_pct": 2.23,
            "ci_low_pct": 43.82,
            "ci_high_pct": 52.58,
            "confidence": 0.95,
            "target_margin_pct": 2.0,
            "points_for_margin": 2398,
        },
        "hit_chances": [
            {
                "kind": "park",
                "kind_zh": "公园",
                "sites": 40,
                "open_problems": 2,
                "sample": 5,
                "hit_chance": 0.2372,
            }
        ],
    },
    "survey": {
        "n": 400,
        "satisfaction": {
            "estimate_pct": 91.3,
            "ci_low_pct": 88.2,
            "ci_high_pct": 93.7,
            "confidence": 0.95,
            "required_pct": 85.0,
            "verdict": "pass",
            "weighting": "population",
        },
        "by_district": [
            {
                "code": "d1",
                "district": "鼓楼区",
                "n": 135,
                "weight_pct": 33.8,
                "satisfied_pct": 90.4,
            }
        ],
    },
}


def _assessed(assessment: Any, out: Path) -> None:
    """What the report reads of an assessment's outputs: scorecard.json and diagnostics.gpkg
    (report.html, which draws maps of its own, is not needed)."""
    assessment.scorecard().write(out / "scorecard.json")
    write_diagnostics(assessment.diagnostics, out / "diagnostics.gpkg")


def _check_both(pdf: Path, docx: Path, scorecard: dict[str, Any], name: str, figures: int) -> str:
    """The PDF and the DOCX read back side by side (pdftotext/pdftoppm and LibreOffice are
    processes of their own, so the two checks overlap)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        text = pool.submit(check_pdf, pdf, scorecard, ARTIFACTS / name)
        docx_done = pool.submit(check_docx, docx, scorecard, ARTIFACTS / name, figures=figures)
        docx_done.result()
        return text.result()


def _data(city: Path, out: Path) -> tuple[ReportData, dict[str, Any]]:
    ws = Workspace.open(city)
    data = ReportData.from_outputs(
        out,
        canopy=ws.load_raster("canopy"),
        temperature=ws.load_raster("land_surface_temperature"),
        campaign=copy.deepcopy(CAMPAIGN),
        rehearsal=copy.deepcopy(REHEARSAL),
    )
    return data, json.loads((out / "scorecard.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def s_report(demo_city: Path, demo_assessment, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("assess")
    _assessed(demo_assessment, out)
    return _data(demo_city, out)


@pytest.fixture(scope="session")
def m_report(demo_city_m: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The M demo city assessed and its experts' copy written once per session."""
    from gardencity.assessment import run_assessment

    city = demo_city_m
    out = tmp_path_factory.mktemp("assess-m")
    _assessed(run_assessment(city), out)
    data, scorecard = _data(city, out)
    doc = build_document(data, edition="experts")
    folder = tmp_path_factory.mktemp("report-m")
    pdf = write_self_assessment_pdf(doc, folder / "自评报告.pdf")
    docx = write_self_assessment_docx(doc, folder / "自评报告.docx")
    return pdf, docx, scorecard, len(doc.figures)


def test_s_city_experts_copy_reads_back(s_report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data, scorecard = s_report
    doc = build_document(data, edition="experts")
    pdf = write_self_assessment_pdf(doc, tmp_path / "自评报告.pdf")
    docx = write_self_assessment_docx(doc, tmp_path / "自评报告.docx")
    text = _check_both(pdf, docx, scorecard, "self_assessment_S", len(doc.figures))
    page_numbers = re.compile(r"^\s*—\s*\d+\s*—\s*$", flags=re.M)  # a sentence may run on
    joined = re.sub(r"\s+", "", page_numbers.sub("", text))
    assert "结案率75.0%" in joined and "红旗的单位：云龙区" in joined
    assert "满意率为91.3%" in joined and "需布设2398个样点" in joined
    assert "ZX-0007" in joined  # the case linked to the park shortfall of 鼓楼区
    assert "≥43" in joined and "2026年" in joined
    # the DOCX carries every table and figure of the PDF
    captions = re.findall(r"^\s*表\s*\d+", text, flags=re.M)
    assert len(Document(str(docx)).tables) == len(doc.tables) == len(captions)


def test_m_city_experts_copy_reads_back(m_report) -> None:  # type: ignore[no-untyped-def]
    pdf, docx, scorecard, figures = m_report
    _check_both(pdf, docx, scorecard, "self_assessment_M", figures)


def test_internal_copy_keeps_sources_and_confidence(s_report) -> None:  # type: ignore[no-untyped-def]
    data, _ = s_report
    internal = build_document(data, edition="internal").text()
    assert "阈值可信度" in internal and "S2" in internal and "待核实" in internal
    assert internal_wording(build_document(data, edition="experts").text()) == []


def test_a_heading_line_is_a_heading_of_its_own(s_report) -> None:  # type: ignore[no-untyped-def]
    """ "## 组织领导" followed by its text on the next line: the heading, then the paragraph
    (not one heading "（一）组织领导市委、市政府…")."""
    data, _ = s_report
    blocks = build_document(data, edition="experts").blocks
    at = next(i for i, b in enumerate(blocks) if b.kind == "heading" and "组织领导" in b.text)
    assert blocks[at].text == "（一）组织领导"
    assert blocks[at + 1].kind == "paragraph" and blocks[at + 1].text.startswith("市委、市政府")


def test_an_indicator_without_a_value_is_not_a_zero(s_report) -> None:  # type: ignore[no-untyped-def]
    """数据不足 and 未评估 are shown as such, with their reason, in the table and the text."""
    data, _ = s_report
    changed = copy.copy(data)
    changed.scorecard = data.scorecard.model_copy(deep=True)
    short, missing = changed.scorecard.indicators[0], changed.scorecard.indicators[1]
    short.value, short.status, short.by_district = None, Status.INSUFFICIENT_DATA, {}
    short.note_zh = "数据不足：植被图层仅覆盖建成区的 40.0%（至少需要 90%），不作达标判定。"
    missing.value, missing.status, missing.by_district = None, Status.NOT_ASSESSED, {}
    missing.note_zh = "缺少植被图层"
    doc = build_document(changed, edition="experts")
    table = next(t for t in doc.tables if t.title == "评选标准指标自评表")
    assert table.rows[0][4:6] == ["数据不足", "数据不足"]
    assert table.rows[1][4:6] == ["未评估", "未评估"]
    assert format_value(None, "%") == "未评估"
    text = doc.text()
    assert "以下指标数据不足，未作达标判定" in text and "植被图层仅覆盖建成区的 40.0%" in text
    assert "以下指标尚未评估" in text and "乔灌木占比（缺少植被图层）" in text
    assert not re.search(r"城市建成区绿化覆盖率\S*：[^（]*0\.00", text)


def _template(own: Path, edit: Any) -> Path:
    import yaml

    own.mkdir(exist_ok=True)
    raw = yaml.safe_load((PACKAGE_TEMPLATES / "self_assessment.yaml").read_text("utf-8"))
    edit(raw)
    (own / "self_assessment.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return own


def test_a_city_adds_removes_and_reorders_sections(s_report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data, _ = s_report

    def edit(raw: dict[str, Any]) -> None:
        sections = raw["sections"]
        sections[:] = [s for s in sections if s["kind"] != "rehearsal"]  # removed
        overview = sections.pop(0)
        sections.insert(1, overview)  # moved after the campaign section
        sections.insert(3, {"heading": "公园城市建设", "text": "## 做法\n\n我市推行“公园+”。"})

    own = _template(tmp_path / "report_templates", edit)
    doc = build_document(data, edition="experts", templates=own)
    headings = [b.text for b in doc.blocks if b.kind == "heading" and b.level == 1]
    assert headings[:4] == [
        "一、创建工作开展情况",
        "二、城市概况",
        "三、评选标准各项指标完成情况",
        "四、公园城市建设",
    ]
    assert not any("迎检准备" in h for h in headings)
    assert "（一）做法" in doc.text() and "我市推行“公园+”。" in doc.text()
    docx = write_self_assessment_docx(doc, tmp_path / "r.docx", templates=own)
    assert "四、公园城市建设" in [p.text for p in Document(str(docx)).paragraphs]
    html = (PACKAGE_TEMPLATES / "self_assessment.html.j2").read_text("utf-8")
    (own / "self_assessment.html.j2").write_text(
        html.replace("<h2>{{ b.text }}</h2>", "<h2>{{ b.text }}（本市版式）</h2>"), "utf-8"
    )
    pdf = write_self_assessment_pdf(doc, tmp_path / "r.pdf", templates=own)
    assert "四、公园城市建设（本市版式）" in run("pdftotext", pdf, "-")


def test_an_unknown_section_is_refused_with_the_kinds(s_report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data, _ = s_report
    own = _template(
        tmp_path / "t1",
        lambda raw: raw["sections"].append({"kind": "highlights", "heading": "特色与亮点"}),
    )
    with pytest.raises(DataError) as error:
        build_document(data, templates=own)
    assert "highlights" in str(error.value) and "kind: text" in str(error.value)
    old = tmp_path / "t2"
    old.mkdir()
    (old / "self_assessment.yaml").write_text("title: x\nsummary_heading: 一、概况\n", "utf-8")
    with pytest.raises(DataError, match="旧格式") as error:
        build_document(data, templates=old)
    assert "old format" in error.value.text("en")
    leak = _template(
        tmp_path / "t3",
        lambda raw: raw["sections"].append({"heading": "说明", "text": "数值由 gardencity 测算"}),
    )
    with pytest.raises(DataError, match="内部用语") as error:
        build_document(data, edition="experts", templates=leak)
    assert "internal wording" in error.value.text("en")
