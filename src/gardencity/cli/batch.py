"""``gardencity assess-batch``: many cities on Dask distributed, one combined table."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gardencity.cli.common import console, lang_option, reports_errors, say

__all__ = ["assess_batch_command"]


@click.command("assess-batch")
@click.argument(
    "workspaces", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False)
)
@click.option("--scheduler", help="Address of a running Dask scheduler (default: a LocalCluster).")
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Worker processes of the LocalCluster.",
)
@click.option(
    "--retries",
    default=1,
    show_default=True,
    type=click.IntRange(0, 10),
    help="Tries again a city whose task failed.",
)
@click.option("--standard", help="Catalogue id or path for every city (default: each city's).")
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    default=Path("batch.csv"),
    show_default=True,
    help="Combined table (.csv or .xlsx).",
)
@click.option(
    "--reports",
    "reports_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write each city's scorecard, report and diagnostics here.",
)
@lang_option
@reports_errors
def assess_batch_command(
    workspaces: tuple[Path, ...],
    scheduler: str | None,
    workers: int,
    retries: int,
    standard: str | None,
    out_path: Path,
    reports_dir: Path | None,
    lang: str,
) -> None:
    """Assess many city WORKSPACES on Dask (one task per city) and write one table."""
    from gardencity.jobs.batch import assess_batch

    if out_path.suffix.lower() not in {".csv", ".xlsx"}:
        raise click.BadParameter("use a .csv or .xlsx file name", param_hint="--out")
    with Progress(
        TextColumn(f"[bold]{say('assessing', lang)}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
    ) as bar:
        task = bar.add_task("", total=len(workspaces))

        def report(done: int, total: int, workspace: str, ok: bool) -> None:
            mark = "✓" if ok else "✗"
            bar.update(
                task, completed=done, total=total, description=f"{mark} {Path(workspace).name}"
            )

        result = assess_batch(
            workspaces,
            scheduler=scheduler,
            n_workers=workers,
            retries=retries,
            standard=standard,
            out_dir=reports_dir,
            progress=report,
        )
    table = result.table
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if out_path.suffix.lower() == ".xlsx":
        from gardencity.office.workbook import sheet_from_frame, write_workbook

        numbers = {str(c): 2 for c in table.columns if table[c].dtype.kind == "f"}
        sheet = sheet_from_frame(table, "批量评估", "批量评估结果", decimals=numbers, index=True)
        write_workbook(out_path, [sheet], organisation="园林城市创建评估平台")
    else:
        from gardencity.office.cells import write_csv

        write_csv(table, out_path, index=True)
    done = len(result.scorecards)
    seconds = f"{result.seconds:.1f}"
    console.print(say("batch_assessed", lang, done=done, seconds=seconds, path=out_path))
    for workspace, error in result.failures.items():
        console.print(f"[red]✗ {workspace}: {escape(error.render(lang))}[/]", highlight=False)
    if result.failures:
        raise SystemExit(1)
