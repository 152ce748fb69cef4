"""``gardencity inspection …``: prepare the experts' visit (spot checks, routes, the report)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from gardencity.cli.common import MESSAGES, console, lang_option, reports_errors, say
from gardencity.messages import pick

__all__ = ["inspection"]

KINDS = ("park", "road", "compound", "unit")


@click.group()
def inspection() -> None:
    """Prepare the inspection (迎检准备): spot checks, routes, self-assessment report."""


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


def _sites(workspace: Path, lang: str) -> tuple[Any, Any]:
    from gardencity.assessment.inputs import AssessmentInputs
    from gardencity.inspection.sites import candidate_sites
    from gardencity.io.workspace import Workspace

    inputs = AssessmentInputs(Workspace.open(workspace))
    with console.status(say("scoring_sites", lang)):
        sites = candidate_sites(
            green_spaces=inputs.get("green_spaces"),
            roads=inputs.get("roads"),
            land_use=inputs.get("land_use"),
            canopy=inputs.get("canopy"),
            vegetation=inputs.get("vegetation"),
            districts=inputs.get("zones").query("kind == 'district'"),
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
@click.option("--confidence", default=0.95, show_default=True, help="Confidence level (0–1).")
@click.option(
    "--margin", default=2.0, show_default=True, help="Target margin (± percentage points)."
)
@click.option("--database", help="Campaign database URL (default: the workspace's SQLite).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Folder for the outputs.")
@lang_option
@reports_errors
def spot_check(
    workspace: Path,
    points: int,
    per_kind: int,
    seed: int | None,
    confidence: float,
    margin: float,
    database: str | None,
    out_dir: Path | None,
    lang: str,
) -> None:
    """Rehearse the experts' sampling: green cover from random points, drawn sites, hit chances;
    writes green_cover_points.gpkg, check_sheet.xlsx (fill in, then `file-checks`),
    spot_check.json and 模拟抽查结果.xlsx (read by `report`)."""
    from gardencity.inspection.check_cases import field_check_sheet
    from gardencity.inspection.rehearsal_outputs import (
        check_sheet_sheets,
        spot_check_record,
        write_spot_check,
    )
    from gardencity.inspection.spot_checks import (
        green_coverage_sample,
        sample_sites,
    )
    from gardencity.office.workbook import write_workbook

    sites, inputs = _sites(workspace, lang)
    estimate = green_coverage_sample(
        inputs.get("built_up_area"),
        canopy=inputs.get("canopy"),
        vegetation=inputs.get("vegetation"),
        n=points,
        seed=seed,
        confidence=confidence,
    )
    _print_estimate(estimate, confidence, lang)
    _, blocked = _open_cases(workspace, database, sites)
    hits = _hit_chances(sites, blocked, per_kind, lang)
    drawn = sample_sites(sites, per_kind, seed=seed)
    out = out_dir or workspace / "inspection"
    out.mkdir(parents=True, exist_ok=True)
    assert estimate.points is not None
    estimate.points.to_file(out / "green_cover_points.gpkg", driver="GPKG")
    city, organisation = _office_names(workspace)
    record = spot_check_record(estimate, hits, margin_pct=margin)
    written = write_spot_check(record, out, city=city, organisation=organisation)
    categories = _category_names(workspace)
    write_workbook(
        out / "check_sheet.xlsx",
        check_sheet_sheets(field_check_sheet(drawn), categories, f"{city}模拟抽查现场检查表"),
        organisation=organisation,
    )
    paths = [str(out / "green_cover_points.gpkg"), str(out / "check_sheet.xlsx")]
    console.print(say("written", lang, paths=paths + [str(p) for p in written]), highlight=False)


def _print_estimate(estimate: Any, confidence: float, lang: str) -> None:
    said = say(
        "coverage_estimate",
        lang,
        estimate=f"{estimate.estimate_pct:.2f}",
        se=f"{estimate.standard_error_pct:.2f}",
        level=f"{100 * confidence:g}",
        low=f"{estimate.ci_low_pct:.2f}",
        high=f"{estimate.ci_high_pct:.2f}",
        n=estimate.n_observed,
    )
    console.print(said)


def _hit_chances(sites: Any, blocked: Any, per_kind: int, lang: str) -> list[dict[str, Any]]:
    """The chance the experts' sample of each kind hits a site with an open case (printed as
    a table, returned for the spot-check record)."""
    from gardencity.inspection.rehearsal_outputs import KIND_ZH
    from gardencity.inspection.sites import SITE_KIND_NAMES
    from gardencity.inspection.spot_checks import chance_sample_hits_problem

    table = Table(title=say("hit_chance_title", lang))
    for column in ("kind", "sites", "open", "sample", "chance"):
        table.add_column(say(f"col_{column}", lang))
    hits = []
    for kind in KINDS:
        population = int((sites["kind"] == kind).sum())
        if population == 0:
            continue
        problems = int((blocked["kind"] == kind).sum()) if len(blocked) else 0
        sample = min(per_kind, population)
        chance = chance_sample_hits_problem(population, problems, sample)
        hits.append(
            {
                "kind": kind,
                "kind_zh": KIND_ZH[kind],
                "sites": population,
                "open_problems": problems,
                "sample": sample,
                "hit_chance": chance,
            }
        )
        shown_kind = pick(SITE_KIND_NAMES.get(kind, (KIND_ZH[kind], kind)), lang)
        table.add_row(
            shown_kind, str(population), str(problems), str(sample), f"{100 * chance:.1f} %"
        )
    console.print(table)
    return hits


def _office_names(workspace: Path) -> tuple[str, str]:
    """(city name, the organisation named at the foot of spreadsheets)."""
    from gardencity.io.workspace import Workspace

    city = Workspace.open(workspace).config.city.name
    return city, f"{city}创建国家生态园林城市工作领导小组办公室"


def _category_names(workspace: Path) -> dict[str, str]:
    from gardencity.campaign.config import load_campaign_config
    from gardencity.settings import Settings

    config = load_campaign_config(Settings.for_workspace(workspace).campaign_config)
    return {code: c.name_zh for code, c in config.categories.items()}


@inspection.command(name="file-checks")
@click.argument("workspace", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("sheet", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--source", type=click.Choice(["self_check", "expert"]), default="self_check")
@click.option("--user", "username", default="inspector", show_default=True)
@click.option("--database", help="Campaign database URL (default: the workspace's SQLite).")
@lang_option
@reports_errors
def file_checks(
    workspace: Path, sheet: Path, source: str, username: str, database: str | None, lang: str
) -> None:
    """Turn every failed row of a filled check sheet (xlsx or csv) into a campaign case."""
    from sqlalchemy import select

    from gardencity.auth.models import User
    from gardencity.errors import NotFoundError
    from gardencity.inspection.check_cases import file_failed_checks, read_field_check_sheet
    from gardencity.inspection.rehearsal_outputs import read_check_sheet

    frame = read_check_sheet(sheet, _category_names(workspace))
    checks = read_field_check_sheet(frame)
    with _campaign_db(workspace, database) as handle:
        if handle is None:
            raise NotFoundError(MESSAGES.message("no_campaign_db", workspace=workspace))
        session, ctx = handle
        actor = session.scalars(select(User).where(User.username == username)).one_or_none()
        if actor is None:
            raise NotFoundError(MESSAGES.message("user_not_found", username=username))
        cases = file_failed_checks(session, ctx, actor, checks, source=source)  # type: ignore[arg-type]
        references = [c.reference for c in cases]
    filed = say(
        "checks_filed", lang, checks=len(checks), failed=len(references), references=references
    )
    console.print(filed, highlight=False)


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
@lang_option
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
    lang: str,
) -> None:
    """Plan the inspection route (考查路线表): best sites per category, no open cases, one day;
    writes route.xlsx, route.docx and route.png."""
    from gardencity.inspection.route import choose_showcase_sites, plan_inspection_route
    from gardencity.inspection.route_outputs import (
        route_table_rows,
        write_route_docx,
        write_route_map,
        write_route_xlsx,
    )

    sites, inputs = _sites(workspace, lang)
    clear, blocked = _open_cases(workspace, database, sites)
    if len(blocked):
        console.print(f"[yellow]{say('sites_avoided', lang, count=len(blocked))}[/]")
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
    table = Table(title=say("route_title", lang))
    for column in ("order", "time", "site", "type", "address", "stay", "travel"):
        table.add_column(say(f"col_{column}", lang))
    for row in route_table_rows(route):
        table.add_row(*(row[i] for i in (0, 1, 2, 3, 4, 6, 8)))
    console.print(table)
    total = say(
        "route_total",
        lang,
        total=f"{route.total_minutes:.0f}",
        given=f"{route.given_order_total_minutes:.0f}",
        feasible=say("answer_yes" if route.feasible else "answer_no", lang),
    )
    console.print(total)
    out = out_dir or workspace / "inspection"
    png = write_route_map(route, roads, out / "route.png")
    _, organisation = _office_names(workspace)
    write_route_xlsx(route, out / "route.xlsx", organisation=organisation)
    write_route_docx(route, out / "route.docx", map_png=png)
    paths = [str(out / "route.xlsx"), str(out / "route.docx"), str(png)]
    console.print(say("written", lang, paths=paths), highlight=False)
