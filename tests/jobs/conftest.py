"""The S demo city's assessment imported as a run (its tiles cut), one per test module."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from gardencity.jobs.runs import import_outputs, run_dir
from gardencity.reports.outputs import write_outputs


@pytest.fixture(scope="module")
def run_path(
    demo_city: Path, demo_assessment: Any, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    from gardencity.db.engine import open_database

    root = tmp_path_factory.mktemp("run")
    workspace = Path(shutil.copytree(demo_city, root / "city"))
    write_outputs(demo_assessment, root / "out")
    db = open_database(f"sqlite:///{root / 'c.db'}")
    with db.session() as session:
        run_id = import_outputs(session, workspace, root / "out").id
    db.dispose()
    return run_dir(workspace, run_id)
