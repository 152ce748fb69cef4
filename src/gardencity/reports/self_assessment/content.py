"""From the data and the template to the report's blocks, section by section."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gardencity.assessment.scorecard import Scorecard, Status
from gardencity.errors import DataError
from gardencity.messages import Catalogue
from gardencity.reports.self_assessment.campaign_sections import campaign_blocks, rehearsal_blocks
from gardencity.reports.self_assessment.data import ReportData
from gardencity.reports.self_assessment.figures import report_figures
from gardencity.reports.self_assessment.model import ReportDocument
from gardencity.reports.self_assessment.tables import (
    FAILING,
    PASSING,
    chinese_date,
    district_rows,
    gap_rows,
    indicator_rows,
    reason,
)
from gardencity.reports.self_assessment.template import (
    Edition,
    ReportTemplate,
    Section,
    load_template,
    render_text,
    wording,
)

__all__ = ["build_document", "facts"]
MESSAGES = Catalogue(__package__)

Builder = Callable[[ReportDocument, ReportData, Section, ReportTemplate, dict[str, Any]], None]


def facts(data: ReportData) -> dict[str, Any]:
    """The names a template text may use (see the top of self_assessment.yaml)."""
    sc = data.scorecard
    statuses = [card.status for card in sc.indicators]
    population = float(sc.city.population or 0)
    districts = [d.name for d in sc.districts]
    return {
        "city": sc.city.name,
        "standard": sc.standard.name_zh,
        "document": sc.standard.document or "",
        "date": chinese_date(sc.generated_at[:10]),
        "n_indicators": len(statuses),
        "n_pass": sum(s in PASSING for s in statuses),
        "n_fail": sum(s in FAILING for s in statuses),
        "n_no_data": sum(card.value is None for card in sc.indicators),
        "n_districts": len(districts),
        "districts": "、".join(districts),
        "population": f"{population / 1e4:.2f}万" if population >= 1e4 else f"{population:.0f}",
        "built_up_km2": f"{data.built_up_km2:.2f}",
        "campaign": data.campaign or {},
    }


def _text(doc: ReportDocument, text: str) -> None:
    """Paragraphs separated by blank lines; a line starting "## " is a level-2 heading on its
    own (the lines after it, up to a blank line, are the paragraph under it)."""
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        body: list[str] = []
        for line in [*lines, ""]:
            if line.startswith("## ") or not line:
                _paragraph(doc, body)
                body = []
            if line.startswith("## "):
                doc.subsection(line[3:].strip())
            elif line:
                body.append(line)


def _paragraph(doc: ReportDocument, lines: list[str]) -> None:
    if not lines:
        return
    joined = lines[0]
    for line in lines[1:]:
        ascii_join = joined[-1:].isascii() and line[:1].isascii()
        joined += (" " if ascii_join else "") + line
    doc.paragraph(joined)


def _section_text(
    doc: ReportDocument, data: ReportData, section: Section, values: dict[str, Any]
) -> None:
    if section.text:
        _text(doc, render_text(section.text, values, where=f"section “{section.heading}”"))


def _overview(
    doc: ReportDocument, data: ReportData, section: Section, tpl: ReportTemplate, values: Any
) -> None:
    zones = data.zones[data.zones["kind"] == "district"]
    areas = {str(i): float(g.area) / 1e6 for i, g in zip(zones.index, zones.geometry, strict=True)}
    rows = [
        [d.name, f"{areas.get(d.id, 0.0):.2f}", _people(d.population)]
        for d in data.scorecard.districts
    ]
    if rows:
        doc.add_table(
            "各城区建成区面积与人口",
            ["城区", "建成区面积（平方公里）", "城区人口（人）"],
            rows,
            numeric=[False, True, True],
        )


def _indicators(
    doc: ReportDocument, data: ReportData, section: Section, tpl: ReportTemplate, values: Any
) -> None:
    edition: Edition = doc.edition  # type: ignore[assignment]
    rows = indicator_rows(data.scorecard, edition)
    headers = ["序号", "指标", "单位", "标准要求", "本市现状值", "完成情况"]
    keys = ["seq", "name", "unit", "threshold", "value", "status"]
    numeric = [True, False, False, True, True, False]
    if edition == "internal":
        headers += ["阈值可信度", "阈值来源"]
        keys += ["confidence", "source"]
        numeric += [False, False]
    doc.add_table(
        "评选标准指标自评表",
        headers,
        [[row[k] for k in keys] for row in rows],
        numeric=numeric,
        note="完成情况中“—”表示该项标准未规定量化要求。",
    )
    names, cells = district_rows(data.scorecard)
    if cells:
        # the unit beside the name (指标（单位）), so that the name's column is wide enough to
        # read when many districts share the page's width
        named = [[f"{row[0]}（{row[1]}）" if row[1] else row[0], *row[2:]] for row in cells]
        doc.add_table(
            "各城区指标测算值",
            ["指标（单位）", *names],
            named,
            numeric=[False, *[True] * len(names)],
            note="▼ 该城区未达到标准要求。",
        )
    doc.subsection("各指标计算方法")
    for row in rows:
        text = f"{row['seq']}．{row['name']}：{row['method']}"
        if row["reason"]:
            text += f"（{row['status']}：{row['reason']}）"
        doc.paragraph(text)
    if edition == "internal":
        doc.subsection("阈值来源与可信度（内部）")
        doc.paragraph(
            "“阈值可信度”标明标准值出处的可靠程度；标注“待核实”的判定所依据的阈值来自二手资料"
            "或尚未核实，上报前须对照正式文件逐项确认。本稿仅供创建办内部使用。"
        )


def _rectification(
    doc: ReportDocument, data: ReportData, section: Section, tpl: ReportTemplate, values: Any
) -> None:
    rules = tpl.rectification.model_copy(
        update={"deadline": render_text(tpl.rectification.deadline, values, where="deadline")}
    )
    rows = gap_rows(data.scorecard, rules, data.campaign)
    if rows:
        doc.add_table(
            "存在问题与整改计划",
            ["指标", "范围", "差距", "整改措施", "责任单位", "完成时限", "关联案卷"],
            rows,
            numeric=[False, False, True, False, False, False, False],
        )
    else:
        doc.paragraph("对照评选标准，各项已测算指标均已达到标准要求。")
    _without_value(doc, data.scorecard)


def _without_value(doc: ReportDocument, scorecard: Scorecard) -> None:
    """The indicators without a value, by status (数据不足 / 未评估), each with its reason."""
    missing = [card for card in scorecard.indicators if card.value is None]
    short = [c for c in missing if c.status is Status.INSUFFICIENT_DATA]
    if short:
        names = "；".join(f"{c.name_zh}（{reason(c)}）" for c in short)
        doc.paragraph(f"以下指标数据不足，未作达标判定，需补充数据后重新测算：{names}。")
    other = [c for c in missing if c.status is not Status.INSUFFICIENT_DATA]
    if other:
        names = "；".join(f"{c.name_zh}（{reason(c)}）" for c in other)
        doc.paragraph(f"以下指标尚未评估，需补充数据后测算：{names}。")


def _people(population: float | None) -> str:
    return "—" if population is None else f"{population:.0f}"


def _maps(
    doc: ReportDocument, data: ReportData, section: Section, tpl: ReportTemplate, values: Any
) -> None:
    if data.figures is None:
        data.figures = report_figures(data)
    for title, png in data.figures:
        doc.add_figure(title, png)
    if data.scorecard.from_openstreetmap:
        doc.paragraph(
            "底图数据 © OpenStreetMap 贡献者，依据开放数据库许可（ODbL 1.0）提供。", "note"
        )


def _attachments(
    doc: ReportDocument, data: ReportData, section: Section, tpl: ReportTemplate, values: Any
) -> None:
    items = ["评选标准指标自评表（见表" + str(_table_number(doc, "评选标准指标自评表")) + "）"]
    figures = doc.figures
    if figures:
        items.append(f"专题图件（图1—图{len(figures)}）")
    items += ["台账资料目录（台账索引.xlsx）", "公众满意度调查结果", "模拟抽查结果"]
    for number, item in enumerate(items, start=1):
        doc.paragraph(f"{number}．{item}", "attachment")


def _table_number(doc: ReportDocument, title: str) -> int | str:
    return next((t.number for t in doc.tables if t.title == title), "—")


def _campaign(
    doc: ReportDocument, data: ReportData, section: Section, tpl: ReportTemplate, values: Any
) -> None:
    campaign_blocks(doc, data.campaign, data.scorecard)


def _rehearsal(
    doc: ReportDocument, data: ReportData, section: Section, tpl: ReportTemplate, values: Any
) -> None:
    rehearsal_blocks(doc, data.rehearsal or {}, data.campaign, data.scorecard)


def _plain(
    doc: ReportDocument, data: ReportData, section: Section, tpl: ReportTemplate, values: Any
) -> None:
    return None


BUILDERS: dict[str, Builder] = {
    "overview": _overview,
    "campaign": _campaign,
    "indicators": _indicators,
    "rectification": _rectification,
    "rehearsal": _rehearsal,
    "maps": _maps,
    "attachments": _attachments,
    "text": _plain,
}


def build_document(
    data: ReportData, *, edition: Edition = "experts", templates: Path | None = None
) -> ReportDocument:
    """The report's blocks for ``edition`` from the city's (or the package's) template.

    The experts' copy is checked for internal wording (wording.yaml ``experts_forbidden``)
    before it is returned: a template text that brings it in is a DataError naming it.
    """
    tpl = load_template(templates)
    values = facts(data)
    doc = ReportDocument(
        title=render_text(tpl.title, values, where="title"),
        subtitle=render_text(tpl.subtitle, values, where="subtitle"),
        prepared_by=render_text(tpl.prepared_by, values, where="prepared_by"),
        date=render_text(tpl.date, values, where="date"),
        edition=edition,
    )
    for section in tpl.sections:
        if edition not in section.editions:
            continue
        doc.section(section.heading, numbered=section.is_numbered)
        _section_text(doc, data, section, values)
        BUILDERS[section.kind](doc, data, section, tpl, values)
    if edition == "experts":
        text = doc.text()
        found = [w for w in wording()["experts_forbidden"] if w.lower() in text.lower()]
        if found:
            raise DataError(MESSAGES.message("experts_internal_wording", found=found))
    return doc
