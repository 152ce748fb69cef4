"""The self-assessment report (自评报告) as PDF and DOCX, from templates a city can edit.

Three editable templates, looked up first in the city's template folder (e.g. the workspace's
``report_templates/``), then in the package:

* ``self_assessment.yaml`` — every heading and paragraph (Jinja2 expressions over the
  assessment's figures), shared by the PDF and the DOCX;
* ``self_assessment.html.j2`` — the PDF layout (HTML + CSS, rendered by WeasyPrint with the
  Noto Sans CJK fonts embedded);
* ``reference.docx`` (optional) — a Word document whose styles, page set-up, header and
  footer the DOCX takes over (the content is appended to it).

The indicator table shows each value exactly as :func:`format_value` writes the
``scorecard.json`` value, so the table can be checked against the file.
"""

from __future__ import annotations

import base64
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2
import yaml
from jinja2.sandbox import SandboxedEnvironment

from gardencity.assessment.thresholds import CONFIDENCE_LABELS, STATUS_LABELS
from gardencity.io.raster import Raster
from gardencity.storage.text import xml_text

__all__ = [
    "ReportData",
    "format_value",
    "indicator_rows",
    "report_maps",
    "write_self_assessment_docx",
    "write_self_assessment_pdf",
]

CJK_FONT = "Noto Sans CJK SC"
PACKAGE_TEMPLATES = Path(__file__).parent / "templates"


def format_value(value: float | None, unit: str) -> str:
    """How a value is printed in the report: two decimals; yes/no items as 是/否.

    >>> format_value(48.345611, "%"), format_value(1.0, "是/否"), format_value(None, "%")
    ('48.35', '是', '—')
    """
    if value is None:
        return "—"
    if unit == "是/否":
        return "是" if value >= 1 else "否"
    return f"{value:.2f}"


def _threshold_text(threshold: dict[str, Any] | None, unit: str) -> str:
    if not threshold or threshold.get("value") is None:
        return "—"
    value = threshold["value"]
    if unit == "是/否":
        return "是"
    return f"{threshold['op']} {value:g}"


def indicator_rows(scorecard: dict[str, Any]) -> list[dict[str, str]]:
    """One row per indicator: seq, name, unit, value, threshold, status, confidence, source,
    method (all text, as printed)."""
    rows = []
    for seq, result in enumerate(scorecard["indicators"], start=1):
        threshold = result.get("threshold") or {}
        source = threshold.get("source") or ""
        title = threshold.get("source_title") or ""
        rows.append(
            {
                "seq": str(seq),
                "id": result["id"],
                "name": result["name_zh"],
                "unit": result["unit"] or "—",
                "value": format_value(result["value"], result["unit"]),
                "threshold": _threshold_text(threshold, result["unit"]),
                "status": STATUS_LABELS.get(result["status"], (result["status"],))[0],
                "confidence": CONFIDENCE_LABELS.get(threshold.get("confidence", ""), ("—",))[0]
                if threshold
                else "—",
                "source": f"{source} {title}".strip() or "—",
                "method": (result.get("method") or {}).get("text_zh", ""),
                "gap": ((result.get("gap") or {}).get("text_zh")) or "",
            }
        )
    return rows


def district_table(scorecard: dict[str, Any]) -> dict[str, Any]:
    """Indicators (rows) × districts (columns), values as printed; failing ones marked ▼."""
    districts = scorecard.get("districts", [])
    rows = []
    for result in scorecard["indicators"]:
        by_district = result.get("by_district") or {}
        if not any(v is not None for v in by_district.values()):
            continue
        cells = []
        for district in districts:
            value = by_district.get(str(district["id"]))
            status = (result.get("district_status") or {}).get(str(district["id"]), "")
            mark = " ▼" if status in ("fail", "fail_unverified") else ""
            cells.append(format_value(value, result["unit"]) + mark)
        rows.append({"name": result["name_zh"], "unit": result["unit"] or "—", "cells": cells})
    return {"districts": [d["name"] for d in districts], "rows": rows}


@dataclass
class ReportData:
    """Everything the report shows; built from an assessment's output folder."""

    scorecard: dict[str, Any]
    zones: gpd.GeoDataFrame
    diagnostics: dict[str, gpd.GeoDataFrame]
    canopy: Raster | None = None
    temperature: Raster | None = None
    campaign: dict[str, Any] | None = None
    maps: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def from_outputs(
        cls,
        out_dir: str | os.PathLike[str],
        *,
        canopy: Raster | None = None,
        temperature: Raster | None = None,
        campaign: dict[str, Any] | None = None,
    ) -> ReportData:
        """Read ``scorecard.json`` and ``diagnostics.gpkg`` written by ``gardencity assess``."""
        import json

        import pyogrio

        from gardencity.errors import WorkspaceError

        out = Path(out_dir)
        card, gpkg = out / "scorecard.json", out / "diagnostics.gpkg"
        missing = [p.name for p in (card, gpkg) if not p.is_file()]
        if missing:
            raise WorkspaceError(
                f"{out} lacks {missing}. Fix: run `gardencity assess WORKSPACE --out {out}` first."
            )
        scorecard = json.loads(card.read_text("utf-8"))
        layers = {}
        for name, geometry_type in pyogrio.list_layers(gpkg):
            if geometry_type is not None:
                layers[str(name)] = gpd.read_file(gpkg, layer=str(name))
        zones = layers.pop("zones").set_index("zone_id")
        return cls(scorecard, zones, layers, canopy, temperature, campaign)


def report_maps(data: ReportData) -> list[dict[str, str]]:
    """The maps the review asks for, each ``{"title", "img"}`` (PNG base64)."""
    from gardencity.reports.html import _maps, load_labels
    from gardencity.reports.maps import layer_map
    from gardencity.reports.raster_maps import green_cover_map, heat_island_map

    labels = load_labels("zh")
    city = data.zones[data.zones["kind"] == "built_up_area"]
    districts = data.zones[data.zones["kind"] == "district"]
    maps = []
    if data.canopy is not None:
        title = labels["map_green_cover"]
        maps.append({"title": title, "img": green_cover_map(data.canopy, districts, labels, title)})
    maps.extend(_maps(data.scorecard, data.zones, data.diagnostics, labels, "zh"))
    if data.temperature is not None:
        title = labels["map_heat_island"]
        maps.append({"title": title, "img": heat_island_map(data.temperature, city, labels, title)})
    below = data.diagnostics.get("districts_below_minimum")
    if below is not None and not below.empty:
        title = labels["map_shortfall"]
        outline = {"facecolor": "none", "edgecolor": "#444444", "linewidth": 0.9}
        img = layer_map(
            [
                (districts, outline, labels["legend_district"]),
                (below, {"color": "#f4a582", "edgecolor": "#b2182b"}, labels["legend_shortfall"]),
            ],
            city,
            labels,
            title,
        )
        maps.append({"title": title, "img": img})
    return maps


def _loader(templates: Path | None) -> jinja2.BaseLoader:
    paths = [str(templates)] if templates is not None else []
    return jinja2.FileSystemLoader([*paths, str(PACKAGE_TEMPLATES)])


def _texts(data: ReportData, templates: Path | None) -> dict[str, str]:
    source = _loader(templates).get_source(jinja2.Environment(), "self_assessment.yaml")[0]
    raw: dict[str, str] = yaml.safe_load(source)
    sc = data.scorecard
    summary = sc.get("summary", {})
    facts = {
        "city": sc["city"]["name"],
        "standard": sc["standard"]["name_zh"],
        "document": sc["standard"].get("document") or "",
        "generated": str(sc.get("generated_at", ""))[:10],
        "n_indicators": len(sc["indicators"]),
        "n_pass": summary.get("pass", 0) + summary.get("pass_unverified", 0),
        "n_fail": summary.get("fail", 0) + summary.get("fail_unverified", 0),
        "n_unverified": summary.get("pass_unverified", 0) + summary.get("fail_unverified", 0),
        "n_districts": len(sc.get("districts", [])),
        "population": f"{sc['city'].get('population') or 0:,.0f}",
        "campaign": data.campaign or {},
    }
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    texts = {}
    for key, text in raw.items():
        if key == "campaign_text" and not data.campaign:
            continue
        texts[key] = env.from_string(str(text)).render(**facts)
    return texts


def _context(data: ReportData, templates: Path | None) -> dict[str, Any]:
    if not data.maps:
        data.maps = report_maps(data)
    return {
        "T": _texts(data, templates),
        "rows": indicator_rows(data.scorecard),
        "district_table": district_table(data.scorecard),
        "maps": data.maps,
        "campaign": data.campaign,
        "font": CJK_FONT,
        "osm": data.scorecard["city"].get("data_source") == "OpenStreetMap",
    }


def write_self_assessment_pdf(
    data: ReportData, path: str | os.PathLike[str], *, templates: Path | None = None
) -> Path:
    """Render the HTML template and print it to PDF with WeasyPrint (fonts embedded)."""
    from weasyprint import HTML

    env = jinja2.Environment(loader=_loader(templates), autoescape=True)
    html = env.get_template("self_assessment.html.j2").render(**_context(data, templates))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=str(out.parent)).write_pdf(out)
    return out


def write_self_assessment_docx(
    data: ReportData, path: str | os.PathLike[str], *, templates: Path | None = None
) -> Path:
    """The same content as a Word document (styles from ``reference.docx`` when given)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    ctx = _context(data, templates)
    texts = ctx["T"]
    reference = templates / "reference.docx" if templates is not None else None
    document = Document(str(reference)) if reference and reference.is_file() else Document()
    if not (reference and reference.is_file()):
        normal = document.styles["Normal"]
        normal.font.name = CJK_FONT
        normal.font.size = Pt(10.5)
        normal.element.rPr.rFonts.set(qn("w:eastAsia"), CJK_FONT)
        section = document.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(1.8))
    document.add_heading(texts["title"], level=0)
    for key in ("subtitle", "prepared_by", "date_line"):
        document.add_paragraph(texts[key])
    document.add_heading(texts["summary_heading"], level=1)
    document.add_paragraph(texts["summary_text"])
    document.add_heading(texts["campaign_heading"], level=1)
    document.add_paragraph(texts.get("campaign_text") or texts["no_campaign_text"])
    document.add_heading(texts["indicators_heading"], level=1)
    document.add_paragraph(texts["indicators_note"])
    headers = ["序号", "指标", "单位", "测算值", "阈值", "判定", "阈值可信度", "来源"]
    keys = ["seq", "name", "unit", "value", "threshold", "status", "confidence", "source"]
    _table(document, headers, [[row[k] for k in keys] for row in ctx["rows"]])
    document.add_heading(texts["districts_heading"], level=1)
    table = ctx["district_table"]
    _table(
        document,
        ["指标", "单位", *table["districts"]],
        [[r["name"], r["unit"], *r["cells"]] for r in table["rows"]],
    )
    document.add_heading(texts["maps_heading"], level=1)
    for item in ctx["maps"]:
        document.add_picture(io.BytesIO(base64.b64decode(item["img"])), height=Cm(12.5))
        document.add_paragraph(item["title"])
    document.add_heading(texts["methods_heading"], level=1)
    for row in ctx["rows"]:
        document.add_paragraph(f"{row['seq']}. {row['name']}：{row['method']}")
    document.add_heading(texts["closing_heading"], level=1)
    document.add_paragraph(texts["closing_text"])
    if ctx["osm"]:
        document.add_paragraph("底图数据 © OpenStreetMap 贡献者，依据 ODbL 1.0 提供。")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(out))
    return out


def _table(document: Any, headers: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = xml_text(header)  # names from the city's data: no control characters
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = xml_text(str(value))
