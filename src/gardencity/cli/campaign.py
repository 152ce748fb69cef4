"""``gardencity serve`` and the campaign's maintenance commands (escalate, backup, restore,
clean-photos)."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from gardencity.cli.common import console, lang_option, reports_errors, say

__all__ = [
    "backup_command",
    "clean_photos",
    "escalate",
    "recompute_patrol_coverage",
    "restore_command",
    "serve",
]


def _settings(  # type: ignore[no-untyped-def]
    workspace: Path | None, database: str | None, files: Path | None, lang: str
):
    from gardencity.settings import Settings

    overrides: dict[str, object] = {}
    if database:
        overrides["database_url"] = database
    if files:
        overrides["files_dir"] = files
    if workspace is not None:
        return Settings.for_workspace(workspace, **overrides)
    if not database:
        raise click.UsageError(say("workspace_or_database", lang))
    overrides.setdefault("files_dir", Path("gardencity-files"))
    return Settings(**overrides)  # type: ignore[arg-type]


def _seed_if_empty(settings, workspace: Path | None, lang: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from gardencity.auth.models import User
    from gardencity.auth.roles import role_label
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
                console.print(f"[yellow]{say('no_users_yet', lang)}[/]")
                return
            ws = Workspace.open(workspace)
            districts = ws.load_layer("districts")
            if districts is None or districts.empty:
                districts = ws.load_layer("built_up_area")
            assert districts is not None
            ctx = ServiceContext(
                load_campaign_config(settings.campaign_config), FileStore(settings.files_dir)
            )
            seed = seed_organisation(
                session,
                ctx,
                districts,
                city_name=ws.config.city.name,
                city_name_en=ws.config.city.name_en or None,
            )
        table = Table(title=say("demo_users", lang))
        for column in ("col_user", "col_role", "col_password"):
            table.add_column(say(column, lang))
        for username, password in seed.passwords.items():
            table.add_row(username, role_label(seed.roles[username]).render(lang), password)
        console.print(table)
        key_line = say("api_key_line", lang, key=seed.api_key, cells=seed.grid_cells)
        console.print(key_line, highlight=False)
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
@lang_option
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
    lang: str,
) -> None:
    """Run the campaign server and its web pages: embedded SQLite in WORKSPACE, or --database
    for PostgreSQL. With a WORKSPACE the pages show its latest assessment; if there is none,
    the given --assessment outputs are imported, or an assessment is started as a job."""
    import uvicorn

    from gardencity.app import create_app, freeze_startup_heap
    from gardencity.settings import settings_environment

    settings = _settings(workspace, database, files, lang)
    _seed_if_empty(settings, workspace, lang)
    app = create_app(settings)
    if workspace is not None:
        _first_run(app, Path(workspace), outputs, start=not no_assess, lang=lang)
    where = settings.database_url.split("@")[-1]
    console.print(say("serving", lang, host=host, port=port, database=where), highlight=False)
    # uvicorn would believe X-Forwarded-For from 127.0.0.1 whatever the settings say; the app
    # itself reads proxy headers, from the trusted proxies only (api/security.py)
    if workers == 1:
        freeze_startup_heap()
        uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
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
        proxy_headers=False,
    )


def _first_run(app, workspace: Path, outputs: Path | None, *, start: bool, lang: str) -> None:  # type: ignore[no-untyped-def]
    """Give the pages an assessment: import ``outputs`` or start a run, unless one exists."""
    from gardencity.jobs.runs import import_outputs, latest_run, start_run

    with app.state.db.session() as session:
        if latest_run(session) is not None:
            return
        if outputs is not None:
            run = import_outputs(session, workspace.resolve(), outputs)
            console.print(say("run_imported", lang, run_id=run.id, outputs=outputs))
            return
        if not start:
            return
        run = start_run(session, user_id=None)
        run_id = run.id
    app.state.jobs.submit(run_id)
    console.print(say("run_started", lang, run_id=run_id))


@click.command()
@click.argument("workspace", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--database", help="SQLAlchemy URL (default: the workspace's SQLite).")
@lang_option
@reports_errors
def escalate(workspace: Path | None, database: str | None, lang: str) -> None:
    """Escalate overdue cases (`gardencity serve` does it on its own schedule; this command is
    for cities that run it from cron or a systemd timer). The notifications of each
    escalation are queued with it; a running server delivers them."""
    from gardencity.campaign.config import load_campaign_config
    from gardencity.campaign.context import ServiceContext, system_clock
    from gardencity.campaign.service import escalate_overdue
    from gardencity.db.engine import open_database
    from gardencity.notifications.config import load_notification_config
    from gardencity.notifications.outbox import Notifier
    from gardencity.storage.files import FileStore

    settings = _settings(workspace, database, None, lang)
    db = open_database(settings.database_url)
    campaign = load_campaign_config(settings.campaign_config)
    notifier = Notifier(load_notification_config(settings.campaign_config), campaign, system_clock)
    ctx = ServiceContext(campaign, FileStore(settings.files_dir), listener=notifier)
    with db.session() as session:
        raised = escalate_overdue(session, ctx)
        console.print(say("escalated", lang, count=len(raised)))
        for case in raised:
            line = say(
                "escalated_case", lang, reference=case.reference, level=case.escalation_level
            )
            console.print(line, highlight=False)
    db.dispose()


@click.command(name="recompute-patrol-coverage")
@click.argument("workspace", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--database", help="SQLAlchemy URL (default: the workspace's SQLite).")
@lang_option
@reports_errors
def recompute_patrol_coverage(workspace: Path | None, database: str | None, lang: str) -> None:
    """Compute each grid cell's daily patrol coverage again from every stored track point
    (the server keeps it up to date as points arrive): run it after changing the ``patrols:``
    settings sight_m, max_accuracy_m or max_gap_s, or after importing another grid."""
    from gardencity.db.engine import open_database
    from gardencity.patrols.config import load_patrol_config
    from gardencity.patrols.daily import recompute

    settings = _settings(workspace, database, None, lang)
    db = open_database(settings.database_url)
    config = load_patrol_config(settings.campaign_config)
    try:
        with db.session() as session:
            days = recompute(session, config=config, zone=settings.timezone)
    finally:
        db.dispose()
    console.print(say("patrol_coverage_recomputed", lang, days=days))


@click.command(name="clean-photos")
@click.argument("workspace", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--database", help="SQLAlchemy URL (default: the workspace's SQLite).")
@click.option("--files", type=click.Path(path_type=Path), help="The photo and document store.")
@lang_option
@reports_errors
def clean_photos(
    workspace: Path | None, database: str | None, files: Path | None, lang: str
) -> None:
    """Remove the metadata (GPS position, phone model …) from photos stored before uploads
    were cleaned (they are already cleaned whenever served); run once after upgrading, or
    after restoring an older backup."""
    from gardencity.campaign.config import load_campaign_config
    from gardencity.campaign.context import ServiceContext
    from gardencity.campaign.media import clean_stored_photos
    from gardencity.db.engine import open_database
    from gardencity.inspection.ledger_store import stores_file
    from gardencity.storage.files import FileStore

    settings = _settings(workspace, database, files, lang)
    db = open_database(settings.database_url)
    ctx = ServiceContext(
        load_campaign_config(settings.campaign_config), FileStore(settings.files_dir)
    )
    try:
        with db.session() as session:
            report = clean_stored_photos(session, ctx, used_elsewhere=stores_file)
    finally:
        db.dispose()
    cleaned = say("photos_cleaned", lang, cleaned=report.cleaned, removed=report.removed_files)
    console.print(cleaned)
    if report.unreadable:
        unreadable = say("photos_unreadable", lang, ids=report.unreadable)
        console.print(f"[yellow]{escape(unreadable)}[/]")


@click.command(name="backup")
@click.argument("workspace", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--database", help="SQLAlchemy URL (default: the workspace's SQLite).")
@click.option("--files", type=click.Path(path_type=Path), help="The photo and document store.")
@click.option("--out", "archive", required=True, type=click.Path(path_type=Path))
@lang_option
@reports_errors
def backup_command(
    workspace: Path | None, database: str | None, files: Path | None, archive: Path, lang: str
) -> None:
    """Write the campaign database and its files to one archive (restorable anywhere)."""
    from gardencity.db.backup import backup

    settings = _settings(workspace, database, files, lang)
    manifest = backup(settings.database_url, settings.files_dir, archive)
    rows = sum(t["rows"] for t in manifest.tables.values())
    files_count = len(manifest.files)
    console.print(say("backup_written", lang, archive=archive, rows=rows, files=files_count))


@click.command(name="restore")
@click.argument("archive", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("workspace", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--database", help="SQLAlchemy URL (default: the workspace's SQLite).")
@click.option("--files", type=click.Path(path_type=Path), help="The photo and document store.")
@click.option("--force", is_flag=True, help="Replace the data of a database that is not empty.")
@lang_option
@reports_errors
def restore_command(
    archive: Path,
    workspace: Path | None,
    database: str | None,
    files: Path | None,
    force: bool,
    lang: str,
) -> None:
    """Restore an archive written by `gardencity backup` (checked first; all or nothing)."""
    from gardencity.db.backup import restore

    settings = _settings(workspace, database, files, lang)
    manifest = restore(archive, settings.database_url, settings.files_dir, force=force)
    rows = sum(t["rows"] for t in manifest.tables.values())
    console.print(say("restored", lang, rows=rows, files=len(manifest.files)))
