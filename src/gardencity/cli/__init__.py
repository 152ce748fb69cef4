"""The ``gardencity`` command: thin wrappers around the library, with readable output.

One module per command group; this module builds the root group and registers each of them
explicitly (the campaign server's commands only when its extra is installed). :func:`run` is
the program (``gardencity``, ``python -m gardencity``); :data:`main` the command group.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import click

from gardencity import __version__


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cycle collector paused while the command modules import numpy, pandas, geopandas,
    scipy… (hundreds of thousands of objects that live as long as the process), then left
    as it was found: a few passes walk them afterwards, rather than hundreds meanwhile."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


with _collector_paused():
    from gardencity.cli import batch, planning, standards, workspace
    from gardencity.cli.common import renew_console

__all__ = ["YOUNG_COLLECTION_THRESHOLD", "main", "run"]

#: allocations between collections of the youngest generation in the program (Python: 700)
YOUNG_COLLECTION_THRESHOLD = 7_000


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


with _collector_paused():
    _register_server_commands()


def run() -> None:
    """The ``gardencity`` program: :data:`main` in a process of its own.

    What start-up imported (numpy, pandas, geopandas, scipy… hundreds of thousands of
    objects) lives as long as the process: frozen out of the cycle collector, it is not
    walked again at every full collection of the command, nor at exit; what the command
    leaves is frozen too, so that the interpreter's last collections at exit have almost
    nothing to walk. The youngest objects are collected ten times less often than
    Python's default: an assessment makes millions of short-lived containers (frames,
    arrays, geometries), which reference counting frees anyway; each collection of them
    also walks the survivors. Only for a process of its own: a caller of :data:`main`
    keeps its collector as it was."""
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
    try:
        main()
    finally:
        gc.freeze()
