"""Commands on one city's workspace: build it (demo city, OpenStreetMap, layers, PostGIS),
check it and assess it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gardencity.cli.common import console, lang_option, reports_errors, say
from gardencity.messages import Message

if TYPE_CHECKING:
    import geopandas as gpd

    from gardencity.assessment import Assessment

__all__ = [
    "assess",
    "demo_city",
    "import_layer_command",
    "import_osm_command",
    "init_command",
    "push_postgis_command",
    "validate",
]


def _status_text(status: str, lang: str) -> str:
    """A status as the terminal shows it: its label in its style."""
    from gardencity.vocabulary import vocabulary

    words = vocabulary()
    style = words.style("statuses", status).terminal or ""
    return f"[{style}]{words.label('statuses', status, lang)}[/]"


@click.command()
@click.argument("workspace", type=click.Path(path_type=Path))
@click.option("--standard", help="Catalogue id or path (default: the one in city.toml).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Output folder (default: WORKSPACE/out).",
)
@lang_option
@reports_errors
def assess(workspace: Path, standard: str | None, out_dir: Path | None, lang: str) -> None:
    """Compute every indicator, print the scorecard, write scorecard.json, diagnostics.gpkg
    and report.html."""
    from gardencity.assessment import run_assessment
    from gardencity.reports import (
        FigureWorker,
        start_diagnostics,
        start_figures,
        write_outputs,
    )

    out = out_dir or Path(workspace) / "out"
    # opened before the progress bar starts its thread: the worker is a fork of this process
    with (
        FigureWorker() as figures,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar,
        start_diagnostics(out, figures) as diagnostics,  # each layer written once built
    ):
        task = bar.add_task(say("assessing", lang), total=None)

        def progress(step: Message, done: int, total: int) -> None:
            bar.update(task, description=step.render(lang), completed=done, total=total)

        drawn = []  # the district figures, given once the indicators are decided
        early = start_figures(figures, lang)  # each figure drawn once what it shows is computed

        def decided(assessment: Assessment) -> None:
            drawn.append(early.district.figures(assessment.scorecard(), assessment.zones))

        def layer_built(name: str, layer: gpd.GeoDataFrame) -> None:
            diagnostics.add(name, layer)
            early.layer_built(name, layer)

        assessment = run_assessment(
            workspace,
            standard=standard,
            progress=progress,
            executor=figures.executor,
            decided=decided,
            layer_built=layer_built,
            zones_read=early.zones_read,
            indicator_computed=early.indicator_computed,
            measure_computed=early.measure_computed,
        )
        bar.update(task, description=say("writing_report", lang))
        paths = write_outputs(
            assessment,
            out,
            lang=lang,
            figures=figures,
            drawn=drawn[0] if drawn else None,
            diagnostics=diagnostics,
            layer_maps=early.layer_maps,
        )
    _print_scorecard(assessment, lang)
    for name, path in paths.items():
        console.print(f"{say(f'output_{name}', lang)}: {path}")


def _print_scorecard(assessment: Assessment, lang: str) -> None:
    """The scorecard as a table, then why each withheld indicator was withheld."""
    from gardencity.assessment.scorecard import Status
    from gardencity.vocabulary import vocabulary

    scorecard = assessment.scorecard()
    name = scorecard.standard.name_zh if lang == "zh" else scorecard.standard.name_en
    table = Table(title=f"{scorecard.city.label(lang)} — {name}")
    for column in ("indicator", "value", "threshold", "confidence", "completeness", "status"):
        table.add_column(say(f"col_{column}", lang), overflow="fold")
    table.add_column(say("col_shortfall", lang), overflow="fold")
    for r in scorecard.indicators:
        threshold = r.threshold
        table.add_row(
            r.name(lang),
            _value_text(r.value, r.unit, lang),
            "—"
            if threshold is None or threshold.value is None
            else f"{vocabulary().label('operators', threshold.op, lang)} {threshold.value}",
            vocabulary().label("confidences", threshold.confidence, lang) if threshold else "—",
            _share_text(r.completeness),
            _status_text(r.status, lang),
            "" if r.gap is None else (r.gap.text_zh if lang == "zh" else r.gap.text_en),
        )
    console.print(table)
    withheld = (Status.NOT_ASSESSED, Status.INSUFFICIENT_DATA, Status.ERROR)
    for card in scorecard.indicators:
        if card.status in withheld:
            note = escape(card.note_in(lang))
            console.print(f"[yellow]{escape(card.name(lang))}[/]: {note}", highlight=False)


def _share_text(completeness: dict[str, Any] | None) -> str:
    share = (completeness or {}).get("share")
    return "—" if share is None else f"{share:.0%}"


def _value_text(value: float | None, unit: str, lang: str) -> str:
    if value is None:
        return "—"
    if unit == "是/否":
        return say("answer_yes" if value >= 1 else "answer_no", lang)
    return f"{value:,.2f} {unit}"


@click.command()
@click.argument("workspace", type=click.Path(path_type=Path))
@lang_option
@reports_errors
def validate(workspace: Path, lang: str) -> None:
    """Check a workspace and list every problem with how to fix it, and the indicators the
    data leave unassessed."""
    from gardencity.assessment.review import review_workspace
    from gardencity.io.workspace import Workspace

    problems = review_workspace(Workspace.open(workspace))
    if not problems:
        console.print(f"[green]{say('no_problems', lang)}[/]")
        return
    for problem in problems:
        colour = "red" if problem.severity == "error" else "yellow"
        console.print(f"[{colour}]{escape(problem.text(lang))}[/]", highlight=False)
    if any(p.severity == "error" for p in problems):
        sys.exit(2)


@click.command("demo-city")
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--size",
    type=click.Choice(["S", "M", "L", "XL"]),
    default="S",
    show_default=True,
    help="S ≈ 16 km², M ≈ 100 km², L ≈ 1,000 km² (2 m canopy), XL ≈ 1,500 km² with a 1 m "
    "canopy raster of 1.6 G pixels (about 370,000 residential parcels, 8,900 parks).",
)
@click.option("--seed", type=int, default=20221, show_default=True)
@click.option("--force", is_flag=True, help="Replace an existing workspace.")
@lang_option
@reports_errors
def demo_city(out: Path, size: str, seed: int, force: bool, lang: str) -> None:
    """Generate the synthetic demo city 示范市."""
    from gardencity.demo import generate_demo_city

    with console.status(say("generating_demo", lang, size=size)):
        path = generate_demo_city(out, size, seed=seed, overwrite=force)
    console.print(say("demo_written", lang, path=path), highlight=False)


@click.command("init")
@click.argument("workspace", type=click.Path(path_type=Path))
@click.option("--name", required=True, help="City name (城市名称).")
@click.option("--crs", required=True, help="Working CRS in metres, e.g. EPSG:4547.")
@click.option(
    "--standard",
    default="national_ecological_garden_city_2022",
    show_default=True,
    help="Catalogue id or path.",
)
@click.option("--name-en", default="", help="English city name.")
@lang_option
@reports_errors
def init_command(
    workspace: Path, name: str, crs: str, standard: str, name_en: str, lang: str
) -> None:
    """Create an empty workspace (city.toml) to fill with `import-layer`."""
    from gardencity.io.scaffold import init_workspace, next_steps

    root = init_workspace(workspace, name=name, crs=crs, standard=standard, name_en=name_en)
    console.print(say("workspace_created", lang, path=root / "city.toml"), highlight=False)
    for line in next_steps(root, lang):
        console.print(escape(line), highlight=False)


@click.command("import-osm")
@click.argument("osm_file", type=click.Path(exists=True, path_type=Path))
@click.argument("workspace", type=click.Path(path_type=Path))
@click.option(
    "--boundary",
    help="Polygon file, or bbox:minlon,minlat,maxlon,maxlat (default: the extract's bounds).",
)
@click.option("--name", help="City name.")
@click.option("--population", type=float, help="Urban population of the area.")
@click.option("--crs", help="Working CRS (default: the local Gauss-Krüger or UTM zone).")
@click.option("--standard", help="Catalogue id or path.")
@click.option(
    "--force",
    is_flag=True,
    help="Replace an existing workspace's OSM data (its own settings are kept; backup first).",
)
@lang_option
@reports_errors
def import_osm_command(
    osm_file: Path,
    workspace: Path,
    boundary: str | None,
    name: str | None,
    population: float | None,
    crs: str | None,
    standard: str | None,
    force: bool,
    lang: str,
) -> None:
    """Build a workspace from an OpenStreetMap extract (.osm or .osm.pbf)."""
    from gardencity.io.osm import import_osm

    report = import_osm(
        osm_file,
        workspace,
        boundary=boundary,
        name=name,
        population=population,
        crs=crs,
        standard=standard,
        overwrite=force,
    )
    for line in report.header(lang):
        console.print(escape(line), highlight=False)
    table = Table(title=f"OSM → {workspace}")
    for column in ("layer", "found", "kept", "dropped", "repaired", "size", "missing"):
        table.add_column(say(f"col_{column}", lang), overflow="fold")
    for s in report.layers:
        table.add_row(
            ("! " if s.blocking else "") + s.layer,
            str(s.found),
            str(s.features),
            str(s.dropped),
            str(s.repaired),
            s.size,
            escape(s.note_zh if lang == "zh" else s.note),
        )
    console.print(table)
    for line in report.footer(lang):
        console.print(escape(line), highlight=False)


def _layer_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from gardencity.io.layers import LAYERS

    if value not in LAYERS:
        import difflib

        close = difflib.get_close_matches(value, list(LAYERS), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise click.BadParameter(f"unknown layer '{value}'.{hint} Use one of: {', '.join(LAYERS)}.")
    return value


def _field_mapping(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> dict[str, str]:
    mapping = {}
    for item in value:
        ours, sep, theirs = item.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise click.BadParameter(
                f"'{item}' is not OURS=THEIRS. Fix: name our field and yours, e.g. "
                f"--field code=DLBM (our field `code` is your field `DLBM`)."
            )
        mapping[ours.strip()] = theirs.strip()
    return mapping


@click.command("import-layer")
@click.argument("workspace", type=click.Path(path_type=Path))
@click.argument("layer", callback=_layer_name)
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--source-layer", help="Layer inside a multi-layer source file.")
@click.option(
    "--field", "fields", multiple=True, callback=_field_mapping, help="Field mapping OURS=THEIRS."
)
@click.option("--gcj02", is_flag=True, help="The source coordinates are GCJ-02.")
@lang_option
@reports_errors
def import_layer_command(
    workspace: Path,
    layer: str,
    source: Path,
    source_layer: str | None,
    fields: dict[str, str],
    gcj02: bool,
    lang: str,
) -> None:
    """Add or replace one layer of a workspace (atomic: the old data survives a failure)."""
    from gardencity.io.importing import import_layer_report

    report = import_layer_report(
        workspace,
        layer,
        source,
        layer=source_layer,
        fields=fields,
        coordinates="gcj02" if gcj02 else None,
    )
    imported = say("layer_imported", lang, layer=layer, count=report.count, workspace=workspace)
    console.print(escape(imported), highlight=False)
    for problem in [*report.repairs, *report.hints]:
        console.print(f"[yellow]{escape(problem.text(lang))}[/]", highlight=False)


@click.command("push-postgis")
@click.argument("workspace", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("database_url")
@click.option("--schema", default="public", show_default=True, help="Schema for the tables.")
@click.option("--force", is_flag=True, help="Copy again into a workspace already on PostGIS.")
@lang_option
@reports_errors
def push_postgis_command(
    workspace: Path, database_url: str, schema: str, force: bool, lang: str
) -> None:
    """Copy the workspace's vector layers into PostGIS and make city.toml read from there.

    DATABASE_URL is postgresql://USER@HOST:PORT/DATABASE; give the password in PGPASSWORD or
    ~/.pgpass (it is never written to city.toml). Tables are replaced, with spatial indexes;
    the old city.toml is kept as city.toml.bak.
    """
    from gardencity.io.postgis_push import push_to_postgis

    report = push_to_postgis(workspace, database_url, schema=schema, force=force)
    table = Table(title=f"{workspace} → {report.url} ({report.schema})")
    for column in ("col_table", "col_features", "SRID", "col_geometry"):
        table.add_column(column if column == "SRID" else say(column, lang))
    for layer in report.layers:
        table.add_row(
            f"{report.schema}.{layer.name}",
            str(layer.features),
            str(layer.srid or "—"),
            layer.geometry_type or "—",
        )
    console.print(table)
    console.print(say("now_reads_postgis", lang, backup=report.backup), highlight=False)
    if report.password_dropped:
        console.print(f"[yellow]{say('password_not_written', lang)}[/]")
