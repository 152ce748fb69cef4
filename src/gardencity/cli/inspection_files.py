"""``gardencity inspection report | survey | ledger | benchmark``: the documents and results a
campaign office files (自评报告 in two editions, survey results, the ledger, the benchmark)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from gardencity.assessment.scorecard import SCORECARD_FILE, Scorecard
from gardencity.cli.common import MESSAGES, console, lang_option, reports_errors, say
from gardencity.cli.inspection import _campaign_db, _office_names

__all__ = ["benchmark_command", "ledger_command", "report_command", "survey_command"]

EDITION_FILES = {"experts": "自评报告", "internal": "自评报告（内部稿）"}


def _ledger_summary(session: Any, ctx: Any, workspace: Path, standard_id: str) -> dict[str, Any]:
    """Register the workspace's evidence, then the completeness the report states."""
    from gardencity.inspection.ledger import item_completeness, ledger_items
    from gardencity.inspection.ledger_export import register_workspace_evidence
    from gardencity.inspection.ledger_store import ledger_frame
    from gardencity.io.workspace import Workspace
    from gardencity.standards import load_standard

    items = ledger_items(load_standard(standard_id))
    register_workspace_evidence(
        session,
        workspace,
        Workspace.open(workspace).management(),
        now=ctx.now(),
        item_ids={i.item_id for i in items},
    )
    rows = item_completeness(items, ledger_frame(session), ctx.now())
    complete = sum(1 for r in rows if r["complete"])
    return {
        "items_total": len(rows),
        "items_complete": complete,
        "completeness_pct": round(100.0 * complete / len(rows), 1) if rows else 0.0,
        "rows": rows,
    }


@click.command(name="report")
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
@click.option(
    "--edition",
    type=click.Choice(["experts", "internal", "both"]),
    default="both",
    show_default=True,
    help="experts: the copy for the review; internal: with threshold sources and confidence.",
)
@click.option("--database", help="Campaign database URL (default: the workspace's SQLite).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Folder for the outputs.")
@lang_option
@reports_errors
def report_command(
    workspace: Path,
    assessment_dir: Path | None,
    templates: Path | None,
    edition: str,
    database: str | None,
    out_dir: Path | None,
    lang: str,
) -> None:
    """Write the self-assessment report: 自评报告.pdf/.docx (experts' copy) and
    自评报告（内部稿）.pdf/.docx, with the rehearsal results found in the output folder."""
    from gardencity.inspection.campaign_summary import campaign_summary
    from gardencity.io.workspace import Workspace
    from gardencity.reports.self_assessment import (
        ReportData,
        build_document,
        read_rehearsal,
        write_self_assessment_docx,
        write_self_assessment_pdf,
    )

    ws = Workspace.open(workspace)
    out = out_dir or workspace / "inspection"
    with _campaign_db(workspace, database) as handle:
        summary = None
        if handle is not None:
            session, ctx = handle
            summary = campaign_summary(session, ctx)
            summary["ledger"] = _ledger_summary(session, ctx, workspace, ws.config.city.standard)
            session.commit()
    data = ReportData.from_outputs(
        assessment_dir or workspace / "out",
        canopy=ws.load_raster("canopy"),
        temperature=ws.load_raster("land_surface_temperature"),
        campaign=summary,
        rehearsal=read_rehearsal(out),
    )
    own = templates or (workspace / "report_templates")
    own_dir = own if own.is_dir() else None
    files: dict[str, Path] = {}
    editions = ["experts", "internal"] if edition == "both" else [edition]
    with console.status(say("drawing_report", lang)):
        for name in editions:
            doc = build_document(data, edition=name, templates=own_dir)  # type: ignore[arg-type]
            stem = EDITION_FILES[name]
            pdf = write_self_assessment_pdf(doc, out / f"{stem}.pdf", templates=own_dir)
            docx = write_self_assessment_docx(doc, out / f"{stem}.docx", templates=own_dir)
            console.print(say("written", lang, paths=f"{pdf}, {docx}"), highlight=False)
            if name == "experts":
                files = {"self_assessment_pdf": pdf, "self_assessment_docx": docx}
    if files:
        card = data.scorecard
        _register_report(workspace, database, assessment_dir, files, card, lang)


def _register_report(
    workspace: Path,
    database: str | None,
    assessment_dir: Path | None,
    files: dict[str, Path],
    scorecard: Scorecard,
    lang: str,
) -> None:
    """The report listed in the ledger as the platform's reference material (never as proof),
    when the workspace has a campaign database."""
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
    console.print(say("reference_listed", lang, items=items))


@click.command(name="survey")
@click.argument("workspace", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--database", help="Campaign database URL (default: the workspace's SQLite).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Folder for the outputs.")
@lang_option
@reports_errors
def survey_command(workspace: Path, database: str | None, out_dir: Path | None, lang: str) -> None:
    """Satisfaction survey results, population-weighted by district, with the interval and
    the verdict; writes survey_results.json (read by `report`) and 满意度调查结果.xlsx."""
    from gardencity.errors import NotFoundError
    from gardencity.inspection import survey_store
    from gardencity.inspection.rehearsal_outputs import survey_record, write_survey
    from gardencity.inspection.survey import load_survey
    from gardencity.io.workspace import Workspace
    from gardencity.vocabulary import vocabulary

    own = workspace / "survey.yaml"
    survey = load_survey(own if own.is_file() else None)
    districts = Workspace.open(workspace).load_layer("districts")
    population = {}
    if districts is not None and "population" in districts:
        population = {
            str(n): float(p)
            for n, p in zip(districts["name"], districts["population"], strict=True)
        }
    with _campaign_db(workspace, database) as handle:
        if handle is None:
            raise NotFoundError(MESSAGES.message("no_campaign_db", workspace=workspace))
        session, _ = handle
        names = survey_store.allowed_strata(session, survey)
        if not survey.strata and population:
            weights = {code: population[name] for code, name in names.items() if name in population}
            if weights:
                survey = survey.model_copy(update={"strata": weights})
        results = survey_store.results(session, survey)
    record = survey_record(results, names, survey.strata)
    city, organisation = _office_names(workspace)
    out = out_dir or workspace / "inspection"
    written = write_survey(record, out, city=city, organisation=organisation)
    s = record["satisfaction"]
    if s:
        line = say(
            "satisfaction",
            lang,
            estimate=f"{s['estimate_pct']:.1f}",
            level=f"{100 * s.get('confidence', 0.95):g}",
            low=f"{s['ci_low_pct']:.1f}",
            high=f"{s['ci_high_pct']:.1f}",
            n=record["n"],
        )
        verdict = vocabulary().label("survey_verdicts", s["verdict"], lang)
        console.print(say("survey_verdict", lang, line=line, verdict=verdict), highlight=False)
    else:
        console.print(say("no_responses", lang))
    console.print(say("written", lang, paths=[str(p) for p in written]), highlight=False)


@click.command(name="benchmark")
@click.argument("workspace", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("peers", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--assessment",
    "assessment_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="The folder `gardencity assess` wrote (default: WORKSPACE/out).",
)
@click.option("--out", "out_path", type=click.Path(path_type=Path), help="Excel file to write.")
@lang_option
@reports_errors
def benchmark_command(
    workspace: Path, peers: Path, assessment_dir: Path | None, out_path: Path | None, lang: str
) -> None:
    """Rank the city among peers on each indicator (PEERS: CSV or Excel of published figures);
    the workbook lists every peer's value with its year and source."""
    from gardencity.errors import WorkspaceError
    from gardencity.inspection.benchmark import rank_city, read_peer_figures
    from gardencity.inspection.rehearsal_outputs import benchmark_sheets
    from gardencity.office.workbook import write_workbook

    card = (assessment_dir or workspace / "out") / SCORECARD_FILE
    if not card.is_file():
        raise WorkspaceError(
            MESSAGES.message("no_assessment_outputs", card=card, workspace=workspace)
        )
    scorecard = Scorecard.read(card)
    figures = read_peer_figures(peers, known_indicators={r.id for r in scorecard.indicators})
    table = rank_city(scorecard, figures)
    shown = Table(title=say("peer_ranking_title", lang, city=scorecard.city.label(lang)))
    for column in ("indicator", "city_value", "rank", "leader", "leader_value", "gap"):
        shown.add_column(say(f"col_{column}", lang))
    names = {r.id: r.name(lang) for r in scorecard.indicators}
    for row in table.itertuples():
        shown.add_row(
            names.get(str(row.indicator_id), str(row.name_zh)),
            f"{row.value:.2f}",
            f"{row.rank}/{row.n_cities}",
            str(row.leader),
            f"{row.leader_value:.2f}",
            f"{row.behind_leader:.2f}",
        )
    console.print(shown)
    out = out_path or workspace / "inspection" / "benchmark.xlsx"
    _, organisation = _office_names(workspace)
    write_workbook(out, benchmark_sheets(table, figures, scorecard), organisation=organisation)
    console.print(say("written", lang, paths=out), highlight=False)


@click.command(name="ledger")
@click.argument("workspace", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--standard", help="Catalogue id (default: the one in city.toml).")
@click.option("--database", help="Campaign database URL (default: the workspace's SQLite).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Export folder.")
@lang_option
@reports_errors
def ledger_command(
    workspace: Path, standard: str | None, database: str | None, out_dir: Path | None, lang: str
) -> None:
    """Ledger completeness per item, and the export: one folder per item (in the standard's
    order) with its documents — the uploaded files and the evidence named in city.toml — plus
    台账索引.xlsx. The platform's own outputs are listed as reference and never count."""
    from gardencity.errors import NotFoundError
    from gardencity.inspection.ledger_export import export_ledger
    from gardencity.io.workspace import Workspace

    config = Workspace.open(workspace).config.city
    standard_id = standard or config.standard
    out = out_dir or workspace / "inspection" / "台账"
    with _campaign_db(workspace, database) as handle:
        if handle is None:
            raise NotFoundError(MESSAGES.message("no_campaign_db", workspace=workspace))
        session, ctx = handle
        summary = _ledger_summary(session, ctx, workspace, standard_id)
        index = export_ledger(session, ctx, standard_id, out, city=config.name, workspace=workspace)
        session.commit()
    table = Table(title=say("ledger_title", lang))
    columns = ("order", "item", "documents", "reviewed", "overdue", "reference")
    for column in (*columns, "ledger_completeness"):
        table.add_column(say(f"col_{column}", lang))
    for row in summary["rows"]:
        table.add_row(
            f"{row['seq']:02d}",
            row["name_zh"],
            str(row["documents"]),
            str(row["done"]),
            str(row["overdue"]),
            str(row["generated"]),
            f"{row['completeness_pct']:.0f} %",
        )
    console.print(table)
    console.print(say("written", lang, paths=index), highlight=False)
