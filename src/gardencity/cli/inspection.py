"""``gardencity inspection …``: prepare the experts' visit (spot checks, routes, the report)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from gardencity.cli.common import console, reports_errors

__all__ = ["inspection"]

KINDS = ("park", "road", "compound", "unit")


@click.group()
def inspection() -> None:
    """迎检准备 / prepare the inspection: spot checks, routes, self-assessment report."""


@contextmanager
def _campaign_db(workspace: Path, database: str | None) -> Iterator[Any]:
    """(session, ctx) of the campaign database, or None when the workspace has none."""
    from gardencity.campaign.config import load_campaign_config
    from gardencity.campaign.context import ServiceContext
    from gardencity.db.engine import open_database
    from gardencity.settings import Settings
    from gardencity.storage.files import FileStore

    settings = Settings.for_workspace(workspace, **({"database_url": database} if database else {}))
    if not database and not (workspace / "campaign" / "campaign.db").is_file():
        yield None
        return
    db = open_database(settings.database_url)
    ctx = ServiceContext(
        load_campaign_config(settings.campaign_config), FileStore(settings.files_dir)
    )
    try:
        with db.session() as session:
            yield session, ctx
    finally:
        db.dispose()


def _sites(workspace: Path) -> tuple[Any, Any]:
    from gardencity.assessment.inputs import AssessmentInputs
    from gardencity.inspection.sites import candidate_sites
    from gardencity.io.workspace import Workspace

    inputs = AssessmentInputs(Workspace.open(workspace))
    with console.status("候选考查点评分 / scoring candidate sites …"):
        sites = candidate_sites(
            green_spaces=inputs.get("green_spaces"),
            roads=inputs.get("roads"),
            land_use=inputs.get("land_use"),
            canopy=inputs.get("canopy"),
            vegetation=inputs.get("vegetation"),
        )
    return sites, inputs


def _open_cases(workspace: Path, database: str | None, sites: Any) -> tuple[Any, Any]:
    from gardencity.inspection.check_cases import open_case_locations
    from gardencity.inspection.sites import exclude_sites_with_open_cases

    with _campaign_db(workspace, database) as handle:
        if handle is None:
            return sites, sites.iloc[0:0]
        cases = open_case_locations(handle[0])
    return exclude_sites_with_open_cases(sites, cases)


@inspection.command(name="spot-check")
@click.argument("workspace", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--points", default=500, show_default=True, help="Random points for green cover.")
@click.option("--per-kind", default=5, show_default=True, help="Sites drawn per category.")
@click.option("--seed", type=int, default=None, help="Seed for a repeatable draw.")
@click.option("--database", help="Campaign database URL (default: the workspace's SQLite).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Folder for the outputs.")
@reports_errors
def spot_check(
    workspace: Path,
    points: int,
    per_kind: int,
    seed: int | None,
    database: str | None,
    out_dir: Path | None,
) -> None:
    """Rehearse the experts' sampling: green cover from random points, drawn sites, hit chances;
    writes green_cover_points.gpkg and check_sheet.xlsx (fill in, then `file-checks`)."""
    from gardencity.inspection.check_cases import field_check_sheet
    from gardencity.inspection.spot_checks import (
        chance_sample_hits_problem,
        green_coverage_sample,
        sample_sites,
    )

    sites, inputs = _sites(workspace)
    estimate = green_coverage_sample(
        inputs.get("built_up_area"),
        canopy=inputs.get("canopy"),
        vegetation=inputs.get("vegetation"),
        n=points,
        seed=seed,
    )
    console.print(
        f"绿化覆盖率抽样估计 / green coverage estimate: [bold]{estimate.estimate_pct:.2f} %[/] "
        f"± {estimate.standard_error_pct:.2f} (SE), 95 % 区间 / interval "
        f"{estimate.ci_low_pct:.2f}–{estimate.ci_high_pct:.2f} %  (n = {estimate.n_observed})"
    )
    _, blocked = _open_cases(workspace, database, sites)
    table = Table(title="专家抽查命中未整改问题的概率 / chance the experts hit an open problem")
    for column in ("类别 kind", "候选 sites", "有未结案卷 open", "抽查 sample", "概率 chance"):
        table.add_column(column)
    for kind in KINDS:
        population = int((sites["kind"] == kind).sum())
        if population == 0:
            continue
        problems = int((blocked["kind"] == kind).sum()) if len(blocked) else 0
        sample = min(per_kind, population)
        chance = chance_sample_hits_problem(population, problems, sample)
        table.add_row(kind, str(population), str(problems), str(sample), f"{100 * chance:.1f} %")
    console.print(table)
    drawn = sample_sites(sites, per_kind, seed=seed)
    out = out_dir or workspace / "inspection"
    out.mkdir(parents=True, exist_ok=True)
    assert estimate.points is not None
    estimate.points.to_file(out / "green_cover_points.gpkg", driver="GPKG")
    sheet = field_check_sheet(drawn)
    sheet.to_excel(out / "check_sheet.xlsx", index=False)
    console.print(f"写出 / written: {out / 'green_cover_points.gpkg'}, {out / 'check_sheet.xlsx'}")


@inspection.command(name="file-checks")
@click.argument("workspace", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("sheet", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--source", type=click.Choice(["self_check", "expert"]), default="self_check")
@click.option("--user", "username", default="inspector", show_default=True)
@click.option("--database", help="Campaign database URL (default: the workspace's SQLite).")
@reports_errors
def file_checks(
    workspace: Path, sheet: Path, source: str, username: str, database: str | None
) -> None:
    """Turn every failed row of a filled check sheet (xlsx or csv) into a campaign case."""
    import pandas as pd
    from sqlalchemy import select

    from gardencity.auth.models import User
    from gardencity.errors import NotFoundError
    from gardencity.inspection.check_cases import file_failed_checks, read_field_check_sheet

    frame = pd.read_csv(sheet) if sheet.suffix == ".csv" else pd.read_excel(sheet)
    checks = read_field_check_sheet(frame)
    with _campaign_db(workspace, database) as handle:
        if handle is None:
            raise NotFoundError(
                f"{workspace} has no campaign database. Fix: run `gardencity serve {workspace}` "
                "once, or give --database."
            )
        session, ctx = handle
        actor = session.scalars(select(User).where(User.username == username)).one_or_none()
        if actor is None:
            raise NotFoundError(f"user {username!r} not found. Fix: --user an inspector's name.")
        cases = file_failed_checks(session, ctx, actor, checks, source=source)  # type: ignore[arg-type]
        references = [c.reference for c in cases]
    console.print(
        f"检查 {len(checks)} 处，未通过 {len(references)} 处，已立案 / filed: {references}"
    )


def _point(text: str | None, crs: Any, default: Any) -> Any:
    if not text:
        return default
    import geopandas as gpd
    import shapely

    try:
        lon, lat = (float(v) for v in text.split(","))
    except ValueError as exc:
        raise click.BadParameter(f"{text!r}: give lon,lat in WGS 84, e.g. 114.2,22.69") from exc
    return gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(crs).iloc[0]


@inspection.command(name="route")
@click.argument("workspace", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--parks", default=5, show_default=True)
@click.option("--roads", "n_roads", default=3, show_default=True)
@click.option("--compounds", default=3, show_default=True)
@click.option("--units", default=2, show_default=True)
@click.option("--start", help="Start point lon,lat (WGS 84); default: the built-up area centre.")
@click.option("--end", help="End point lon,lat (default: back to the start).")
@click.option("--day", default="08:30-17:30", show_default=True, help="Day window HH:MM-HH:MM.")
@click.option("--mode", type=click.Choice(["drive", "walk"]), default="drive", show_default=True)
@click.option("--database", help="Campaign database URL (default: the workspace's SQLite).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Folder for the outputs.")
@reports_errors
def route_command(
    workspace: Path,
    parks: int,
    n_roads: int,
    compounds: int,
    units: int,
    start: str | None,
    end: str | None,
    day: str,
    mode: str,
    database: str | None,
    out_dir: Path | None,
) -> None:
    """Plan the inspection route (考查路线表): best sites per category, no open cases, one day;
    writes route.xlsx, route.docx and route.png."""
    from gardencity.inspection.route import choose_showcase_sites, plan_inspection_route
    from gardencity.inspection.route_outputs import (
        write_route_docx,
        write_route_map,
        write_route_xlsx,
    )

    sites, inputs = _sites(workspace)
    clear, blocked = _open_cases(workspace, database, sites)
    if len(blocked):
        console.print(f"[yellow]{len(blocked)} 处候选点有未结案卷，已避开 / avoided[/]")
    per_kind = {"park": parks, "road": n_roads, "compound": compounds, "unit": units}
    chosen = choose_showcase_sites(clear, per_kind)
    roads = inputs.get("roads")
    centre = inputs.get("built_up_area").geometry.iloc[0].centroid
    begin, _, finish = day.partition("-")
    origin = _point(start, roads.crs, centre)
    route = plan_inspection_route(
        chosen,
        roads,
        start=origin,
        end=_point(end, roads.crs, origin),
        day_start=begin,
        day_end=finish or "17:30",
        mode=mode,  # type: ignore[arg-type]
    )
    table = Table(title="考查路线表 / inspection route")
    for column in ("序号", "考查点", "类别", "到达", "离开", "途中(分)"):
        table.add_column(column)
    for stop in route.stops.to_dict("records"):
        table.add_row(
            str(stop["seq"]),
            str(stop["name"]),
            str(stop["kind"]),
            str(stop["arrive"]),
            str(stop["depart"]),
            f"{stop['travel_min']:.1f}",
        )
    console.print(table)
    console.print(
        f"全程 / total {route.total_minutes:.0f} 分钟 (按原顺序 / given order "
        f"{route.given_order_total_minutes:.0f}); "
        f"可行 / feasible: {'是' if route.feasible else '否'}"
    )
    out = out_dir or workspace / "inspection"
    png = write_route_map(route, roads, out / "route.png")
    write_route_xlsx(route, out / "route.xlsx")
    write_route_docx(route, out / "route.docx", map_png=png)
    console.print(f"写出 / written: {out / 'route.xlsx'}, {out / 'route.docx'}, {png}")


@inspection.command(name="report")
@click.argument("workspace", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--assessment",
    "assessment_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="The folder `gardencity assess` wrote (default: WORKSPACE/out).",
)
@click.option(
    "--templates",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder with the city's own templates (default: WORKSPACE/report_templates).",
)
@click.option("--database", help="Campaign database URL (default: the workspace's SQLite).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Folder for the outputs.")
@reports_errors
def report_command(
    workspace: Path,
    assessment_dir: Path | None,
    templates: Path | None,
    database: str | None,
    out_dir: Path | None,
) -> None:
    """Write the self-assessment report (自评报告.pdf and 自评报告.docx)."""
    from gardencity.inspection.campaign_summary import campaign_summary
    from gardencity.io.workspace import Workspace
    from gardencity.reports.self_assessment import (
        ReportData,
        write_self_assessment_docx,
        write_self_assessment_pdf,
    )

    ws = Workspace.open(workspace)
    with _campaign_db(workspace, database) as handle:
        summary = campaign_summary(*handle) if handle is not None else None
    data = ReportData.from_outputs(
        assessment_dir or workspace / "out",
        canopy=ws.load_raster("canopy"),
        temperature=ws.load_raster("land_surface_temperature"),
        campaign=summary,
    )
    own = templates or (workspace / "report_templates")
    own_dir = own if own.is_dir() else None
    out = out_dir or workspace / "inspection"
    with console.status("绘制专题图、排版 / drawing maps, typesetting …"):
        pdf = write_self_assessment_pdf(data, out / "自评报告.pdf", templates=own_dir)
        docx = write_self_assessment_docx(data, out / "自评报告.docx", templates=own_dir)
    console.print(f"写出 / written: {pdf}, {docx}")
    files = {"self_assessment_pdf": pdf, "self_assessment_docx": docx}
    _register_report(workspace, database, assessment_dir, files, data.scorecard)


def _register_report(
    workspace: Path,
    database: str | None,
    assessment_dir: Path | None,
    files: dict[str, Path],
    scorecard: dict[str, Any],
) -> None:
    """The report as generated ledger evidence, when the workspace has a campaign database
    (the run is named when the report was built from ``runs/<id>``)."""
    from gardencity.inspection.generated_evidence import register_generated_evidence
    from gardencity.jobs.models import AssessmentRun

    with _campaign_db(workspace, database) as handle:
        if handle is None:
            return
        session, ctx = handle
        run_id = None
        if assessment_dir is not None and assessment_dir.parent.name == "runs":
            number = assessment_dir.name
            if number.isdigit() and session.get(AssessmentRun, int(number)) is not None:
                run_id = int(number)
        docs = register_generated_evidence(
            session, files, scorecard, now=ctx.now(), run_id=run_id, workspace=workspace
        )
        items = len({d.item_id for d in docs})
    console.print(f"台账已登记 {items} 个条目 / ledger evidence registered for {items} items")


@inspection.command(name="benchmark")
@click.argument("workspace", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("peers", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--assessment",
    "assessment_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="The folder `gardencity assess` wrote (default: WORKSPACE/out).",
)
@click.option("--out", "out_path", type=click.Path(path_type=Path), help="Excel file to write.")
@reports_errors
def benchmark_command(
    workspace: Path, peers: Path, assessment_dir: Path | None, out_path: Path | None
) -> None:
    """Rank the city among peers on each indicator (PEERS: CSV or Excel of published figures)."""
    import json

    from gardencity.errors import WorkspaceError
    from gardencity.inspection.benchmark import rank_city, read_peer_figures

    card = (assessment_dir or workspace / "out") / "scorecard.json"
    if not card.is_file():
        raise WorkspaceError(f"{card} not found. Fix: run `gardencity assess {workspace}` first.")
    scorecard = json.loads(card.read_text("utf-8"))
    figures = read_peer_figures(peers, known_indicators={r["id"] for r in scorecard["indicators"]})
    table = rank_city(scorecard, figures)
    shown = Table(title=f"{scorecard['city']['name']} 与同类城市对比 / peer ranking")
    for column in ("指标", "本市", "名次", "领先城市", "领先值", "差距"):
        shown.add_column(column)
    for row in table.itertuples():
        shown.add_row(
            str(row.name_zh),
            f"{row.value:.2f}",
            f"{row.rank}/{row.n_cities}",
            str(row.leader),
            f"{row.leader_value:.2f}",
            f"{row.behind_leader:.2f}",
        )
    console.print(shown)
    out = out_path or workspace / "inspection" / "benchmark.xlsx"
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_excel(out, index=False)
    console.print(f"写出 / written: {out}")


@inspection.command(name="ledger")
@click.argument("workspace", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--standard", help="Catalogue id (default: the one in city.toml).")
@click.option("--database", help="Campaign database URL (default: the workspace's SQLite).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Export folder.")
@reports_errors
def ledger_command(
    workspace: Path, standard: str | None, database: str | None, out_dir: Path | None
) -> None:
    """Ledger completeness per item, and the export: one folder per item (catalogue order)
    with the uploaded files, plus 台账索引.xlsx."""
    from gardencity.errors import NotFoundError
    from gardencity.inspection.ledger import item_completeness, ledger_items
    from gardencity.inspection.ledger_store import export_ledger, ledger_frame
    from gardencity.io.workspace import Workspace
    from gardencity.standards import load_standard

    config = Workspace.open(workspace).config.city
    standard_id = standard or config.standard
    out = out_dir or workspace / "inspection" / "台账"
    with _campaign_db(workspace, database) as handle:
        if handle is None:
            raise NotFoundError(
                f"{workspace} has no campaign database. Fix: run `gardencity serve {workspace}` "
                "once, or give --database."
            )
        session, ctx = handle
        rows = item_completeness(
            ledger_items(load_standard(standard_id)), ledger_frame(session), ctx.now()
        )
        index = export_ledger(session, ctx, standard_id, out, city=config.name)
    table = Table(title="台账完整度 / ledger completeness")
    for column in ("序号", "考核项目", "文件", "已审核", "超期", "完整度"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            f"{row['seq']:02d}",
            row["name_zh"],
            str(row["documents"]),
            str(row["done"]),
            str(row["overdue"]),
            f"{row['completeness_pct']:.0f} %",
        )
    console.print(table)
    console.print(f"写出 / written: {index}")
