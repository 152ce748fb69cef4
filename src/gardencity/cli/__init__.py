"""The ``gardencity`` command: thin wrappers around the library, with readable output.

One module per command group; this module builds the root group and registers each of them
explicitly (the campaign server's commands only when its extra is installed). :func:`run` is
the program (``gardencity``, ``python -m gardencity``); :data:`main` the command group.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click

from gardencity import __version__


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cycle collector paused while the command modules import numpy, pandas, geopandas,
    scipy… (hundreds of thousands of objects that live as long as the process), then left
    as it was found. What the imports made is put in the oldest generation at once (frozen,
    then thawed there), where no young collection walks it: else the first young
    collection afterwards would walk every object imported (a twentieth of a second), and
    the next older one again. Where a caller has frozen objects of its own, they are left
    frozen, and the imports left young."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if collecting:
            gc.enable()


with _collector_paused():
    from gardencity.cli import batch, planning, standards, workspace
    from gardencity.cli.common import renew_console

__all__ = ["YOUNG_COLLECTION_THRESHOLD", "leave", "main", "run"]

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
    keeps its collector as it was. The program ends as :func:`leave` ends it."""
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
    code: str | int | None = 0
    try:
        main()
    except SystemExit as ending:
        code = ending.code
    finally:
        gc.freeze()
    leave(code)


def leave(code: str | int | None) -> None:
    """The end of the program's process with the exit status ``code`` (as
    :class:`SystemExit` takes it: None is 0, a text is printed and is 1): what is registered
    to run at exit runs and the standard streams are flushed, as at any exit, but the
    interpreter does not then free every module and object one by one (a tenth of a second
    after an assessment of a middling city, once its outputs are all written and closed).
    Where a thread other than this one still runs, the interpreter ends as usual (it waits
    for such a thread)."""
    if threading.active_count() > 1:
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed stream, a reader gone (EPIPE)
            stream.flush()
    os._exit(status)
