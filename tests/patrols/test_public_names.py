"""The patrol and maintenance modules share what they share by public names: no module takes
another module's private (underscore) helper, even within its package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "gardencity"


def _private_imports(package: str) -> list[str]:
    found = []
    for path in sorted((SRC / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gardencity"):
                found += [
                    f"{path.relative_to(SRC)}: from {node.module} import {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    return found


@pytest.mark.parametrize("package", ["patrols", "maintenance"])
def test_no_private_helper_is_imported_across_modules(package: str) -> None:
    assert _private_imports(package) == []
