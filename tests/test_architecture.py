"""The import contracts (pyproject.toml, ``make lint``) hold, and the private-name contract
catches what it should."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from tests._import_contracts import private_name_imports

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_hold() -> None:
    """No cycle between packages, layers respected, no private module or name taken."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert "0 broken" in done.stdout


def test_a_private_name_from_another_package_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {
        "toypkg/__init__.py": "",
        "toypkg/maps/__init__.py": "from toypkg.maps.draw import _helper as _h\n",
        "toypkg/maps/draw.py": "def _helper():\n    return 1\n\n__version__ = 1\n",
        "toypkg/maps/legend.py": "from .draw import _helper\n",
        "toypkg/routes/__init__.py": "",
        "toypkg/routes/out.py": (
            "from toypkg.maps.draw import (\n    __version__,\n    _helper,\n)\n"
        ),
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("toypkg", cache_dir=None)
    found = private_name_imports(graph)
    assert [(f.importer, f.module, f.name, f.line) for f in found] == [
        ("toypkg.routes.out", "toypkg.maps.draw", "_helper", 1)
    ]
