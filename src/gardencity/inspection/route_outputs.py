"""The inspection route table (考查路线表) as Excel and DOCX, and its map as PNG."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib
import shapely

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from gardencity.inspection.route import PlannedRoute
from gardencity.inspection.sites import SITE_KIND_NAMES
from gardencity.reports.maps import _decorate, _style
from gardencity.storage.spreadsheets import append_row, new_workbook
from gardencity.storage.text import xml_text

__all__ = [
    "TABLE_HEADERS",
    "route_table_rows",
    "write_route_docx",
    "write_route_map",
    "write_route_xlsx",
]

TABLE_HEADERS = (
    "序号",
    "考查点",
    "类别",
    "评分",
    "到达",
    "离开",
    "考查时长（分钟）",
    "途中（分钟）",
    "途中（公里）",
)
_KIND_ZH = {kind: names[0] for kind, names in SITE_KIND_NAMES.items()} | {
    "start": "出发",
    "end": "返回",
}
_MODE_ZH = {"drive": "乘车", "walk": "步行"}


def route_table_rows(route: PlannedRoute) -> list[list[object]]:
    """The table rows in the order of :data:`TABLE_HEADERS`."""
    rows: list[list[object]] = []
    for stop in route.stops.to_dict("records"):
        score = stop["score"]
        rows.append(
            [
                stop["seq"],
                stop["name"],
                _KIND_ZH.get(str(stop["kind"]), str(stop["kind"])),
                "" if score != score else round(float(score), 1),
                stop["arrive"],
                stop["depart"],
                stop["visit_min"],
                stop["travel_min"],
                stop["travel_km"],
            ]
        )
    return rows


def _summary(route: PlannedRoute) -> str:
    return (
        f"{_MODE_ZH.get(route.mode, route.mode)}，{route.day_start}–{route.day_end}；"
        f"共 {len(route.stops) - 2} 个考查点，途中 {route.travel_minutes:.0f} 分钟，"
        f"考查 {route.visit_minutes:.0f} 分钟，全程 {route.total_minutes:.0f} 分钟"
        f"（按原顺序需 {route.given_order_total_minutes:.0f} 分钟）"
        + ("" if route.feasible else "；当日无法完成，请缩减考查点")
    )


def write_route_xlsx(route: PlannedRoute, path: Path, *, title: str = "考查路线表") -> Path:
    """One sheet with the title, a summary line, the table, and the dropped sites."""
    from openpyxl.styles import Alignment, Font

    book, sheet = new_workbook("考查路线表")
    append_row(sheet, [title])
    sheet["A1"].font = Font(bold=True, size=14)
    append_row(sheet, [_summary(route)])
    append_row(sheet, list(TABLE_HEADERS))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in route_table_rows(route):
        append_row(sheet, row)
    if not route.dropped.empty:
        append_row(sheet, [])
        append_row(sheet, ["未排入当日的考查点（时间不足）"])
        for item in route.dropped.itertuples():
            kind = _KIND_ZH.get(str(item.kind), str(item.kind))
            append_row(sheet, ["", item.name, kind, item.score])
    for column, width in zip("ABCDEFGHI", (6, 28, 8, 8, 8, 8, 14, 12, 12), strict=True):
        sheet.column_dimensions[column].width = width
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_route_docx(
    route: PlannedRoute,
    path: Path,
    *,
    title: str = "考查路线表",
    map_png: Path | None = None,
) -> Path:
    """A Word document: title, summary, the table, the map (if given) and the dropped sites."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Noto Sans CJK SC"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    document.add_heading(title, level=1)
    document.add_paragraph(_summary(route))
    table = document.add_table(rows=1, cols=len(TABLE_HEADERS))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, TABLE_HEADERS, strict=True):
        cell.text = header
    for row in route_table_rows(route):
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = xml_text(str(value))  # site names from the city's data
    if map_png is not None:
        document.add_paragraph()
        document.add_picture(str(map_png), width=Cm(15))
    if not route.dropped.empty:
        document.add_paragraph("未排入当日的考查点（时间不足）：")
        for item in route.dropped.itertuples():
            name = xml_text(f"{item.name}（{_KIND_ZH.get(str(item.kind))}）")
            document.add_paragraph(name, "List Bullet")
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def write_route_map(
    route: PlannedRoute,
    roads: gpd.GeoDataFrame,
    path: Path,
    *,
    title: str = "考查路线图",
) -> Path:
    """PNG: roads in grey, the route legs in colour, sites numbered in visiting order."""
    with _style():
        fig, ax = plt.subplots(figsize=(9, 9))
        extent = route.legs.total_bounds if not route.legs.empty else roads.total_bounds
        pad = max(extent[2] - extent[0], extent[3] - extent[1]) * 0.08 + 50
        bounds = (extent[0] - pad, extent[1] - pad, extent[2] + pad, extent[3] + pad)
        roads.cx[bounds[0] : bounds[2], bounds[1] : bounds[3]].plot(
            ax=ax, color="#bbbbbb", linewidth=0.6
        )
        if not route.legs.empty:
            route.legs.plot(ax=ax, column="seq", cmap="viridis", linewidth=3, alpha=0.9)
        for stop in route.stops.to_dict("records"):
            if stop["kind"] in ("start", "end"):
                continue
            point = shapely.Point(stop["x"], stop["y"])
            ax.scatter([point.x], [point.y], s=180, color="#c0392b", zorder=5, edgecolor="white")
            ax.annotate(
                str(stop["seq"]),
                (point.x, point.y),
                ha="center",
                va="center",
                color="white",
                fontsize=8,
                zorder=6,
                weight="bold",
            )
            ax.annotate(
                str(stop["name"]),
                (point.x, point.y),
                xytext=(8, 8),
                textcoords="offset points",
                fontsize=7,
                zorder=6,
            )
        if not route.legs.empty:
            first = route.legs.geometry.iloc[0].coords[0]
            ax.scatter(
                [first[0]],
                [first[1]],
                marker="*",
                s=300,
                color="#f39c12",
                zorder=6,
                edgecolor="black",
            )
            ax.annotate(
                "出发/返回", first, xytext=(10, -12), textcoords="offset points", fontsize=8
            )
        ax.set_xlim(bounds[0], bounds[2])
        ax.set_ylim(bounds[1], bounds[3])
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(title)
        _decorate(ax, bounds, {"km": "公里", "north": "北"})
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
    return path
