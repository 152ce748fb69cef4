"""``gardencity serve`` and the campaign's maintenance commands (escalate)."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.table import Table

from gardencity.cli.common import console, reports_errors

__all__ = ["backup_command", "escalate", "restore_command", "serve"]


def _settings(workspace: Path | None, database: str | None, files: Path | None):  # type: ignore[no-untyped-def]
    from gardencity.settings import Settings

    overrides: dict[str, object] = {}
    if database:
        overrides["database_url"] = database
    if files:
        overrides["files_dir"] = files
    if workspace is not None:
        return Settings.for_workspace(workspace, **overrides)
    if not database:
        raise click.UsageError("give a WORKSPACE (embedded SQLite) or --database URL")
    overrides.setdefault("files_dir", Path("gardencity-files"))
    return Settings(**overrides)  # type: ignore[arg-type]


def _seed_if_empty(settings, workspace: Path | None) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from gardencity.auth.models import User
    from gardencity.campaign.config import load_campaign_config
    from gardencity.campaign.context import ServiceContext
    from gardencity.campaign.seed import seed_organisation
    from gardencity.db.engine import open_database
    from gardencity.io.workspace import Workspace
    from gardencity.storage.files import FileStore

    db = open_database(settings.database_url)
    try:
        with db.session() as session:
            if session.scalar(select(func.count()).select_from(User)):
                return
            if workspace is None:
                console.print(
                    "[yellow]数据库为空 / the database has no users yet: start once with a "
                    "WORKSPACE to create the organisation from its districts.[/]"
                )
                return
            ws = Workspace.open(workspace)
            districts = ws.load_layer("districts")
            if districts is None or districts.empty:
                districts = ws.load_layer("built_up_area")
            assert districts is not None
            ctx = ServiceContext(
                load_campaign_config(settings.campaign_config), FileStore(settings.files_dir)
            )
            seed = seed_organisation(session, ctx, districts, city_name=ws.config.city.name)
        table = Table(title="示范账号（只显示一次）/ demo users (shown once)")
        for column in ("用户名 / user", "角色 / role", "密码 / password"):
            table.add_column(column)
        for username, password in seed.passwords.items():
            table.add_row(username, seed.roles[username], password)
        console.print(table)
        console.print(f"Open311 api_key: {seed.api_key}  ({seed.grid_cells} 个网格 / grid cells)")
    finally:
        db.dispose()


@click.command()
@click.argument("workspace", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--database", help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db.")
@click.option("--files", type=click.Path(path_type=Path), help="Photo and document store.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--assessment",
    "outputs",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Outputs of `gardencity assess` (scorecard.json …) to show when no run exists yet.",
)
@click.option("--no-assess", is_flag=True, help="Do not start an assessment when none exists.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes (production on PostgreSQL: about two per core).",
)
@reports_errors
def serve(
    workspace: Path | None,
    database: str | None,
    files: Path | None,
    host: str,
    port: int,
    outputs: Path | None,
    no_assess: bool,
    workers: int,
) -> None:
    """Run the campaign server and its web pages: embedded SQLite in WORKSPACE, or --database
    for PostgreSQL. With a WORKSPACE the pages show its latest assessment; if there is none,
    the given --assessment outputs are imported, or an assessment is started as a job."""
    import uvicorn

    from gardencity.app import create_app, freeze_startup_heap
    from gardencity.settings import settings_environment

    settings = _settings(workspace, database, files)
    _seed_if_empty(settings, workspace)
    app = create_app(settings)
    if workspace is not None:
        _first_run(app, Path(workspace), outputs, start=not no_assess)
    console.print(
        f"gardencity: http://{host}:{port}/  (API http://{host}:{port}/api/docs; "
        f"{settings.database_url.split('@')[-1]})"
    )
    if workers == 1:
        freeze_startup_heap()
        uvicorn.run(app, host=host, port=port, log_level="info")
        return
    # each worker process builds its own app from the same settings (GARDENCITY_* variables)
    os.environ.update(settings_environment(settings))
    uvicorn.run(
        "gardencity.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def _first_run(app, workspace: Path, outputs: Path | None, *, start: bool) -> None:  # type: ignore[no-untyped-def]
    """Give the pages an assessment: import ``outputs`` or start a run, unless one exists."""
    from gardencity.jobs.runs import import_outputs, latest_run, start_run

    with app.state.db.session() as session:
        if latest_run(session) is not None:
            return
        if outputs is not None:
            run = import_outputs(session, workspace.resolve(), outputs)
            console.print(f"评估 #{run.id} 已导入 / assessment imported from {outputs}")
            return
        if not start:
            return
        run = start_run(session, user_id=None)
        run_id = run.id
    app.state.jobs.submit(run_id)
    console.print(f"评估 #{run_id} 已开始 / assessment {run_id} started (see the Assessments page)")


@click.command()
@click.argument("workspace", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--database", help="SQLAlchemy URL (default: the workspace's SQLite).")
@reports_errors
def escalate(workspace: Path | None, database: str | None) -> None:
    """Escalate overdue cases (run it every hour from cron or a systemd timer)."""
    from gardencity.campaign.config import load_campaign_config
    from gardencity.campaign.context import ServiceContext
    from gardencity.campaign.service import escalate_overdue
    from gardencity.db.engine import open_database
    from gardencity.storage.files import FileStore

    settings = _settings(workspace, database, None)
    db = open_database(settings.database_url)
    ctx = ServiceContext(
        load_campaign_config(settings.campaign_config), FileStore(settings.files_dir)
    )
    with db.session() as session:
        raised = escalate_overdue(session, ctx)
        console.print(f"升级 / escalated: {len(raised)}")
        for case in raised:
            console.print(f"  {case.reference} → level {case.escalation_level}")
    db.dispose()


@click.command(name="backup")
@click.argument("workspace", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--database", help="SQLAlchemy URL (default: the workspace's SQLite).")
@click.option("--files", type=click.Path(path_type=Path), help="The photo and document store.")
@click.option("--out", "archive", required=True, type=click.Path(path_type=Path))
@reports_errors
def backup_command(
    workspace: Path | None, database: str | None, files: Path | None, archive: Path
) -> None:
    """Write the campaign database and its files to one archive (restorable anywhere)."""
    from gardencity.db.backup import backup

    settings = _settings(workspace, database, files)
    manifest = backup(settings.database_url, settings.files_dir, archive)
    rows = sum(t["rows"] for t in manifest.tables.values())
    console.print(
        f"备份完成 / backup written: {archive} ({rows} rows, {len(manifest.files)} files)"
    )


@click.command(name="restore")
@click.argument("archive", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("workspace", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--database", help="SQLAlchemy URL (default: the workspace's SQLite).")
@click.option("--files", type=click.Path(path_type=Path), help="The photo and document store.")
@click.option("--force", is_flag=True, help="Replace the data of a database that is not empty.")
@reports_errors
def restore_command(
    archive: Path, workspace: Path | None, database: str | None, files: Path | None, force: bool
) -> None:
    """Restore an archive written by `gardencity backup` (checked first; all or nothing)."""
    from gardencity.db.backup import restore

    settings = _settings(workspace, database, files)
    manifest = restore(archive, settings.database_url, settings.files_dir, force=force)
    rows = sum(t["rows"] for t in manifest.tables.values())
    console.print(f"恢复完成 / restored: {rows} rows, {len(manifest.files)} files")
