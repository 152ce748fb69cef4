"""An import-linter contract the built-in ones lack: no import of another package's private
*name* (``from gardencity.reports.maps import _decorate``).

import-linter's ``private_modules`` contract guards private modules (``indicators/_cells.py``);
this one reads each module's ``from … import …`` statements and refuses a name that starts with
an underscore unless the importer lives where the name is private to — the package of the
module that defines it (for a package's ``__init__``, the package itself). Known exceptions
are listed in ``ignore_imports`` as ``importer -> module:name`` and must still exist.

Registered in ``pyproject.toml`` (``[tool.importlinter] contract_types``); ``make lint``
runs it with the others.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output

__all__ = ["PrivateNamesContract", "private_name_imports"]


@dataclass(frozen=True, order=True)
class PrivateNameImport:
    importer: str
    module: str
    name: str
    line: int

    @property
    def key(self) -> str:
        return f"{self.importer} -> {self.module}:{self.name}"


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _source(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _is_package(module: str) -> bool:
    spec = importlib.util.find_spec(module)
    return spec is not None and spec.submodule_search_locations is not None


def _absolute(importer: str, node: ast.ImportFrom, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def private_name_imports(graph: ImportGraph) -> list[PrivateNameImport]:
    """Every ``from M import _name`` where the importer is outside the package ``_name`` is
    private to (names that are modules are left to the ``private_modules`` contract)."""
    found = []
    for importer in sorted(graph.modules):
        path = _source(importer)
        if path is None:
            continue
        package = _is_package(importer)
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            module = _absolute(importer, node, package)
            if module not in graph.modules:
                continue
            scope = module if _is_package(module) else module.rpartition(".")[0]
            for alias in node.names:
                if not _is_private(alias.name) or f"{module}.{alias.name}" in graph.modules:
                    continue
                if importer == scope or importer.startswith(f"{scope}."):
                    continue
                found.append(PrivateNameImport(importer, module, alias.name, node.lineno))
    return found


class PrivateNamesContract(Contract):
    """Private names may only be imported from within the package they are private to."""

    type_name = "private_names"

    ignore_imports = fields.SetField(subfield=fields.StringField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        ignored = set(self.ignore_imports or ())  # type: ignore[call-overload]
        found = private_name_imports(graph)
        illegal = [f for f in found if f.key not in ignored]
        stale = sorted(ignored - {f.key for f in found})
        warnings = [f"ignored import no longer found: {key}" for key in stale]
        return ContractCheck(
            kept=not illegal and not stale,
            warnings=warnings,
            ignored_import_count=len(found) - len(illegal),
            metadata={"illegal": illegal, "stale": stale},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        output.print_error("Private names imported from outside their package:", bold=False)
        output.new_line()
        for item in check.metadata["illegal"]:
            output.print_error(f"- {item.key} (l.{item.line})", bold=False)
        for key in check.metadata["stale"]:
            output.print_error(f"- no longer imported, remove from ignore_imports: {key}")
        output.new_line()
