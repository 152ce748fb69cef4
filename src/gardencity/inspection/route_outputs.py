"""The inspection route table (考查路线表) as Excel and DOCX, and its map as PNG."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import shapely

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

from gardencity.inspection.route import PlannedRoute, clock
from gardencity.inspection.sites import SITE_KIND_NAMES
from gardencity.messages import load_yaml
from gardencity.office.word import add_caption, add_office_table, add_picture, office_document
from gardencity.office.workbook import Column, Sheet, write_workbook
from gardencity.reports.maps import add_legend, add_scale_and_north, legend_entry, map_style
from gardencity.vocabulary import vocabulary

__all__ = [
    "TABLE_HEADERS",
    "route_table",
    "route_table_rows",
    "write_route_docx",
    "write_route_map",
    "write_route_xlsx",
]

TABLE_HEADERS = (
    "序号",
    "时间",
    "考查点名称",
    "类型",
    "地址",
    "看点",
    "停留（分钟）",
    "其中停车及步行（分钟）",
    "车程（分钟）",
    "车程（公里）",
)
_KIND_ZH = {kind: names[0] for kind, names in SITE_KIND_NAMES.items()} | {
    end: vocabulary().label("site_kinds", end, "zh") for end in ("start", "end")
}
_MODE_ZH = {"drive": "乘车", "walk": "步行"}
_COLUMNS = [
    Column(TABLE_HEADERS[0], "seq"),
    Column(TABLE_HEADERS[1], "time"),
    Column(TABLE_HEADERS[2], "name"),
    Column(TABLE_HEADERS[3], "class_name"),
    Column(TABLE_HEADERS[4], "address"),
    Column(TABLE_HEADERS[5], "highlight"),
    Column(TABLE_HEADERS[6], "stay", "integer"),
    Column(TABLE_HEADERS[7], "access", "integer"),
    Column(TABLE_HEADERS[8], "travel_min", "integer"),
    Column(TABLE_HEADERS[9], "travel_km", "number", 1),
]


@cache
def _labels() -> dict[str, Any]:
    text = resources.files("gardencity.inspection.data").joinpath("route_labels.yaml")
    loaded: dict[str, Any] = load_yaml(text.read_text("utf-8"))
    return loaded


def route_table(route: PlannedRoute) -> list[dict[str, Any]]:
    """The 考查路线表 rows: the briefing, each stop (time, name, class, address, what it
    shows, stay incl. parking and walking, the drive from the previous stop), lunch where it
    is taken, and the return."""
    labels = _labels()
    rows: list[dict[str, Any]] = []
    number = 0
    for stop in route.stops.to_dict("records"):
        kind = str(stop["kind"])
        if stop.get("lunch"):
            rows.append({"seq": "", "time": stop["lunch"], "name": labels["kinds"]["lunch"]})
        travel = {"travel_min": stop["travel_min"], "travel_km": stop["travel_km"]}
        if kind in ("start", "end"):
            time = f"{stop['arrive']}—{stop['depart']}" if kind == "start" else stop["arrive"]
            rows.append(
                {"seq": "", "time": time, "name": labels["kinds"][kind], "address": "出发点"}
                | ({"stay": stop["visit_min"]} if kind == "start" else travel)
            )
            continue
        number += 1
        start = _minutes_of(stop["arrive"]) + float(stop["wait_min"])
        if stop.get("lunch"):
            start = _minutes_of(stop["lunch"].split("—")[1])
        class_name = str(stop.get("class_name") or _KIND_ZH.get(kind, kind))
        rows.append(
            {
                "seq": str(number),
                "time": f"{clock(start)}—{stop['depart']}",
                "name": stop["name"],
                "class_name": class_name,
                "address": stop.get("address") or "",
                "highlight": labels["highlights"].get(class_name, ""),
                "stay": stop["visit_min"],
                "access": stop["access_min"],
            }
            | travel
        )
    return rows


def route_table_rows(route: PlannedRoute) -> list[list[str]]:
    """The table rows as lists in the order of :data:`TABLE_HEADERS` (printed text)."""
    out = []
    for row in route_table(route):
        cells: list[str] = []
        for column in _COLUMNS:
            value = row.get(column.key, "")
            if column.kind == "integer" and value != "":
                value = str(round(float(value)))
            elif column.kind == "number" and value != "":
                value = f"{float(value):.1f}"
            cells.append(str(value))
        out.append(cells)
    return out


def _minutes_of(hhmm: str) -> float:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60.0 + int(minutes)


def _summary(route: PlannedRoute) -> str:
    return (
        f"{_MODE_ZH.get(route.mode, route.mode)}，{route.day_start}—{route.day_end}；"
        f"共{len(route.stops) - 2}个考查点，车程{route.travel_minutes:.0f}分钟，"
        f"考查（含汇报会、停车及步行）{route.visit_minutes:.0f}分钟，"
        f"全程{route.total_minutes:.0f}分钟"
        + ("" if route.feasible else "；当日无法完成，请缩减考查点")
    )


def write_route_xlsx(
    route: PlannedRoute, path: Path, *, title: str = "考查路线表", organisation: str = ""
) -> Path:
    """The route table in the office layout (title, frozen header, A4) and the dropped sites."""
    notes = []
    if not route.dropped.empty:
        names = "、".join(str(n) for n in route.dropped["name"])
        notes.append(f"未排入当日的考查点（时间不足）：{names}")
    sheet = Sheet(
        "考查路线表", title, _COLUMNS, route_table(route), subtitle=_summary(route), notes=notes
    )
    write_workbook(path, [sheet], organisation=organisation or title)
    return path


def write_route_docx(
    route: PlannedRoute,
    path: Path,
    *,
    title: str = "考查路线表",
    map_png: Path | None = None,
) -> Path:
    """A Word document on A4 (landscape, for the wide table): title, summary, the table with
    its header repeated on every page, the map (if given) and the dropped sites."""
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    document = office_document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(28), Mm(26)
    section.left_margin, section.right_margin = Mm(30), Mm(30)
    width = 29.7 - 6.0
    document.add_paragraph(title, style="Title")
    document.add_paragraph(_summary(route))
    add_caption(document, f"表1　{title}")
    numeric = [column.kind != "text" for column in _COLUMNS]
    add_office_table(
        document, TABLE_HEADERS, route_table_rows(route), numeric=numeric, total_cm=width
    )
    if map_png is not None:
        add_picture(document, str(map_png), height_cm=13)
        add_caption(document, "图1　考查路线图")
    if not route.dropped.empty:
        names = "、".join(str(n) for n in route.dropped["name"])
        document.add_paragraph(f"未排入当日的考查点（时间不足）：{names}。")
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
    words = vocabulary()
    road, leg = words.style("layers", "roads"), words.style("layers", "inspection_route")
    with map_style():
        fig, ax = plt.subplots(figsize=(9, 9))
        extent = route.legs.total_bounds if not route.legs.empty else roads.total_bounds
        pad = max(extent[2] - extent[0], extent[3] - extent[1]) * 0.08 + 50
        bounds = (extent[0] - pad, extent[1] - pad, extent[2] + pad, extent[3] + pad)
        roads.cx[bounds[0] : bounds[2], bounds[1] : bounds[3]].plot(
            ax=ax, color=road.stroke, linewidth=road.points()
        )
        if not route.legs.empty:
            route.legs.plot(ax=ax, column="seq", cmap="viridis", linewidth=leg.points(), alpha=0.9)
        _draw_numbered_sites(ax, route)
        _draw_start(ax, route)
        ax.set_title(title)
        add_scale_and_north(ax, bounds, "zh")
        add_legend(ax, _route_legend())
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
    return path


def _draw_numbered_sites(ax: Any, route: PlannedRoute) -> None:
    site = vocabulary().style("layers", "inspection_sites")
    for stop in route.stops.to_dict("records"):
        if stop["kind"] in ("start", "end"):
            continue
        point = shapely.Point(stop["x"], stop["y"])
        ax.scatter([point.x], [point.y], s=180, color=site.fill, zorder=5, edgecolor=site.stroke)
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


def _draw_start(ax: Any, route: PlannedRoute) -> None:
    if route.legs.empty:
        return
    words = vocabulary()
    start = words.style("layers", "route_start")
    first = route.legs.geometry.iloc[0].coords[0]
    ax.scatter(
        [first[0]],
        [first[1]],
        marker="*",
        s=300,
        color=start.fill,
        zorder=6,
        edgecolor=start.stroke,
    )
    ax.annotate(
        words.label("layers", "route_start", "zh").removesuffix("点"),
        first,
        xytext=(10, -12),
        textcoords="offset points",
        fontsize=8,
    )


def _route_legend() -> list[Any]:
    words = vocabulary()
    road, leg = words.style("layers", "roads"), words.style("layers", "inspection_route")
    site, start = words.style("layers", "inspection_sites"), words.style("layers", "route_start")
    return [
        legend_entry(road, words.label("layers", "roads", "zh"), line=True),
        legend_entry(leg, words.label("layers", "inspection_route", "zh"), line=True),
        Line2D(
            [],
            [],
            marker="o",
            color="none",
            markerfacecolor=site.fill,
            markeredgecolor=site.stroke,
            markersize=10,
            label=words.label("layers", "inspection_sites", "zh"),
        ),
        Line2D(
            [],
            [],
            marker="*",
            color="none",
            markerfacecolor=start.fill,
            markeredgecolor=start.stroke,
            markersize=14,
            label=words.label("layers", "route_start", "zh"),
        ),
    ]
