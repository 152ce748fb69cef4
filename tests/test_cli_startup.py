"""The program's start-up: what ``gardencity assess`` imports in its own process, and the
heap start-up leaves, frozen out of the cycle collector."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from gardencity.cli import YOUNG_COLLECTION_THRESHOLD

# the campaign server's stack and the figures' library: never in the assess command's process
NOT_IMPORTED_BY_ASSESS = (
    "alembic",
    "fastapi",
    "httpx",
    "matplotlib",
    "sqlalchemy",
    "starlette",
    "uvicorn",
)

# runs the program as ``python -m gardencity`` does, then tells what its process holds
PROGRAM = """
import atexit, gc, json, runpy, sys
def tell():
    print(json.dumps({"modules": sorted(sys.modules), "frozen": gc.get_freeze_count(),
                      "threshold": gc.get_threshold()[0]}))
atexit.register(tell)
sys.argv = ["gardencity", *sys.argv[1:]]
runpy.run_module("gardencity", run_name="__main__")
"""


def _program(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True, check=True
    )
    told: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return told


def test_assess_imports_neither_the_server_stack_nor_matplotlib(
    demo_city: Path, tmp_path: Path
) -> None:
    if sys.platform != "linux":
        pytest.skip("the figures are drawn by the command itself where it cannot fork")
    out = tmp_path / "out"
    told = _program("assess", str(demo_city), "--out", str(out), "--lang", "en")
    assert (out / "report.html").is_file()
    modules = set(told["modules"])  # type: ignore[call-overload]
    assert "gardencity.assessment" in modules  # the program did assess
    top_level = {name.partition(".")[0] for name in modules}
    assert top_level.isdisjoint(NOT_IMPORTED_BY_ASSESS), top_level & set(NOT_IMPORTED_BY_ASSESS)
    # the walking cells are snapped (k-d tree) and walked (sparse graph) in the command's
    # fork: this process never imports scipy
    assert "scipy" not in top_level


def test_the_program_freezes_what_start_up_imported() -> None:
    """Frozen: geopandas, pandas, scipy… are not walked at each full collection, nor at exit;
    the youngest objects are collected less often."""
    told = _program("--version")
    assert told["frozen"] > 100_000  # type: ignore[operator]
    assert told["threshold"] == YOUNG_COLLECTION_THRESHOLD > 700


def test_the_programs_imports_are_not_walked_by_the_collector() -> None:
    """``python -m gardencity``: no collection while start-up imports (each would walk the
    hundreds of thousands of objects imported so far), then they are frozen."""
    script = (
        "import atexit, gc, runpy, sys\n"
        "passes = []\n"
        "gc.callbacks.append(lambda phase, info: passes.append(phase))\n"
        "atexit.register(lambda: print(passes.count('start'), gc.get_freeze_count()))\n"
        "sys.argv = ['gardencity', '--version']\n"
        "runpy.run_module('gardencity', run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    collections, frozen = map(int, done.stdout.strip().splitlines()[-1].split())
    assert collections <= 2  # Python's defaults: hundreds
    assert frozen > 100_000


def test_the_command_groups_imports_are_collected_a_few_times_not_hundreds() -> None:
    """The installed command imports the command group first (its collector as Python's):
    the imports go without collections, then the collector is as it was."""
    script = (
        "import gc\n"
        "passes = []\n"
        "gc.callbacks.append(lambda phase, info: passes.append(phase))\n"
        "import gardencity.cli\n"
        "print(passes.count('start'), gc.isenabled())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    collections, enabled = done.stdout.strip().splitlines()[-1].split()
    assert int(collections) < 50  # without the pause: about 300
    assert enabled == "True"


def test_the_command_groups_imports_are_put_where_no_young_collection_walks_them() -> None:
    """What the command group's imports made goes to the oldest generation at once, so that
    no young collection walks it after the pause (the first one walked all of it), nor the
    next older one; thawed, a caller can still collect it."""
    script = (
        "import gc\n"
        "import gardencity.cli\n"
        "young = len(gc.get_objects(0)) + len(gc.get_objects(1))\n"
        "print(young, len(gc.get_objects(2)), gc.get_freeze_count())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    young, old, frozen = map(int, done.stdout.strip().splitlines()[-1].split())
    assert young < 10_000 and old > 100_000  # before: about 80,000 young, 10,000 old
    assert frozen == 0


def test_a_caller_of_the_command_group_keeps_its_collector() -> None:
    """Python's defaults: nothing frozen, the youngest objects collected every 700."""
    script = (
        "import gc\n"
        "from gardencity.cli import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(gc.get_freeze_count(), gc.get_threshold()[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "0 700"


def test_the_installed_command_is_the_program() -> None:
    (command,) = entry_points(group="console_scripts", name="gardencity")
    assert command.value == "gardencity.cli:run"


@pytest.mark.parametrize(
    ("args", "status"), [(["--version"], 0), (["assess", "/no/such/workspace"], 2)]
)
def test_the_program_ends_without_freeing_every_object_one_by_one(
    args: list[str], status: int
) -> None:
    """What is registered to run at exit runs and every line printed is there, with the
    command's exit status; the objects left are not then freed one by one (the
    interpreter's tear-down, a tenth of a second after an assessment)."""
    script = (
        "import atexit, runpy, sys\n"
        "class Left:\n"
        "    def __del__(self):\n"
        "        print('freed at tear-down', flush=True)\n"
        "left = Left()\n"
        "atexit.register(lambda: print('exit functions ran'))\n"
        "sys.argv = ['gardencity', *sys.argv[1:]]\n"
        "runpy.run_module('gardencity', run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == status, done.stderr
    assert "exit functions ran" in done.stdout
    assert "freed at tear-down" not in done.stdout
    if status == 0:
        assert "gardencity, version" in done.stdout
    else:
        assert "/no/such/workspace" in done.stderr + done.stdout
