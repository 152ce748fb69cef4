"""Sphinx configuration: the project's Markdown pages (MyST) and the API reference generated
from the docstrings. ``make docs`` builds it strictly (every warning is an error)."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from pathlib import Path
from typing import Any

import gardencity

logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin set-up chatter on import

project = "gardencity"
author = "gardencity contributors"
release = gardencity.__version__
language = "en"

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3
highlight_language = "text"  # fenced blocks without a language are trees and tables, not code
suppress_warnings = ["myst.xref_missing"]  # links to repository files outside docs/

html_theme = "furo"
html_title = f"gardencity {release}"

# each object on the page of the module that defines it (a package's re-exports are not
# repeated), without the docstrings of library base classes (SQLAlchemy, pydantic)
autodoc_default_options = {
    "members": True,
    "ignore-module-all": True,
    "exclude-members": "model_config, model_fields, model_computed_fields",
}
autodoc_inherit_docstrings = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
napoleon_numpy_docstring = True
napoleon_google_docstring = False

HERE = Path(__file__).parent
API = HERE / "api"
# modules that are not importable as a library: the entry point and Alembic's scripts
NOT_DOCUMENTED = ("gardencity.__main__", "gardencity.db.migrations")

PACKAGES = {
    "standards": "Standards catalogues",
    "io": "Workspace and input layers",
    "network": "Walking network",
    "toolkit": "Measure toolkit: the shared geometry",
    "indicators": "Measures and their families",
    "assessment": "Assessment and the scorecard",
    "whatif": "What-if engine",
    "reports": "Reports and outputs",
    "planning": "Planning help",
    "office": "Office documents: Word house style and workbooks",
    "demo": "Demo city",
    "db": "Database spine",
    "storage": "File store",
    "auth": "Organisation, users and permissions",
    "campaign": "Campaign: cases and their workflow",
    "inspection": "Inspection preparation",
    "notifications": "Notifications: channels, rules, outbox and scheduler",
    "jobs": "Jobs: assessment runs and batches",
    "api": "HTTP API",
    "web": "Web pages",
    "app": "Server application",
    "cli": "Command line",
    "errors": "Errors",
    "text": "Text safe to store and to write into documents",
    "settings": "Settings",
}


def _public_modules(package: str) -> list[str]:
    module = importlib.import_module(package)
    if not hasattr(module, "__path__"):
        return [package]
    names = [package]
    for info in pkgutil.walk_packages(module.__path__, f"{package}."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts) or info.name.startswith(NOT_DOCUMENTED):
            continue
        names.append(info.name)
    return names


def write_api_pages() -> None:
    """One page per public package, each module of it documented from its docstrings."""
    API.mkdir(exist_ok=True)
    toc = []
    for short, title in PACKAGES.items():
        package = f"gardencity.{short}"
        lines = [f"# {title} (`{package}`)", ""]
        for name in _public_modules(package):
            lines += [f"## `{name}`", "", "```{eval-rst}", f".. automodule:: {name}", "```", ""]
        (API / f"{short}.md").write_text("\n".join(lines), encoding="utf-8")
        toc.append(short)
    index = ["# API reference", "", "```{toctree}", ":maxdepth: 1", "", *toc, "```", ""]
    (API / "index.md").write_text("\n".join(index), encoding="utf-8")


write_api_pages()


_SOURCE_NAVIGATION: dict[tuple[Any, ...], str] = {}


def _shared_source_navigation(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """The navigation of the highlighted source pages (one per module, ``_modules/…``) made
    once per folder depth: those pages are in no table of contents, so the theme's site
    navigation is the same for all of them at a depth, and making it for each page took
    two fifths of the build."""
    if not pagename.startswith("_modules/") or "toctree" not in context:
        return
    make = context["toctree"]
    depth = pagename.count("/")

    def toctree(**options: Any) -> str:
        key = (depth, *sorted(options.items()))
        if key not in _SOURCE_NAVIGATION:
            _SOURCE_NAVIGATION[key] = make(**options)
        return _SOURCE_NAVIGATION[key]

    context["toctree"] = toctree


_FUNCTION_REPR = re.compile(r"<function ([\w.]+) at 0x[0-9a-f]+>")


def _functions_by_name(
    app: Any, what: str, name: str, obj: Any, options: Any, signature: str | None, returns: Any
) -> tuple[str | None, Any]:
    """A default that is a function shown by its name (``clock=system_clock``), not by
    Python's repr with its memory address, which differed from build to build."""
    return (_FUNCTION_REPR.sub(r"\1", signature) if signature else signature), returns


def setup(app: Any) -> None:
    # before the theme's own handler (priority 500), which asks for the navigation
    app.connect("html-page-context", _shared_source_navigation, priority=400)
    app.connect("autodoc-process-signature", _functions_by_name)
