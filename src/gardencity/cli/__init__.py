"""The ``gardencity`` command: thin wrappers around the library, with readable output.

One module per command group; this module builds the root group and registers each of them
explicitly (the campaign server's commands only when its extra is installed).
"""

from __future__ import annotations

import click

from gardencity import __version__
from gardencity.cli import batch, planning, standards, workspace
from gardencity.cli.common import renew_console

__all__ = ["main"]


@click.group()
@click.version_option(__version__, prog_name="gardencity")
def main() -> None:
    """gardencity — Garden City campaign platform (园林城市创建评估平台).

    Commands print in Chinese, or in English with --lang en (or GARDENCITY_LANG=en)."""
    renew_console()


for _command in (
    workspace.assess,
    workspace.validate,
    workspace.demo_city,
    workspace.init_command,
    workspace.import_osm_command,
    workspace.import_layer_command,
    workspace.push_postgis_command,
    standards.standards,
    batch.assess_batch_command,
    planning.plan_command,
):
    main.add_command(_command)


def _register_server_commands() -> None:
    """The campaign commands need the ``server`` extra; without it the rest still works."""
    try:
        from gardencity.cli import campaign, inspection, inspection_files
    except ImportError as exc:  # pragma: no cover - only without the server extra
        reason = str(exc)

        @main.command(name="serve")
        def _missing() -> None:
            """Run the campaign server (needs: pip install 'gardencity[server]')."""
            raise click.ClickException(f"the server extra is not installed ({reason})")

        return
    for subcommand in (
        inspection_files.report_command,
        inspection_files.survey_command,
        inspection_files.benchmark_command,
        inspection_files.ledger_command,
    ):
        inspection.inspection.add_command(subcommand)
    for command in (
        campaign.serve,
        campaign.escalate,
        campaign.clean_photos,
        campaign.recompute_patrol_coverage,
        campaign.backup_command,
        campaign.restore_command,
        inspection.inspection,
    ):
        main.add_command(command)


_register_server_commands()
