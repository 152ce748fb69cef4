"""What every command module shares: one console, the error wrapper, the ``--lang`` option
and the messages (``messages.yaml``) in the command's language."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from gardencity.errors import GardenCityError, ValidationError, from_foreign
from gardencity.messages import Catalogue

__all__ = ["MESSAGES", "console", "lang_option", "renew_console", "reports_errors", "say"]

F = TypeVar("F", bound=Callable[..., Any])
console = Console()
MESSAGES = Catalogue(__package__)

lang_option = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    envvar="GARDENCITY_LANG",
    help="Language of the output (or GARDENCITY_LANG).",
)


def say(key: str, lang: str, /, **params: Any) -> str:
    """The command line's message ``key`` in ``lang`` (zh or en)."""
    return MESSAGES.text(key, lang, **params)


def reports_errors(func: F) -> F:
    """Print a GardenCityError as a message in the command's ``lang`` (no traceback) and
    exit with status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lang = str(kwargs.get("lang") or "zh")
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            shown = "\n".join(p.text(lang) for p in exc.problems)
            count = sum(p.severity == "error" for p in exc.problems)
            heading = say("validation_failed", lang, count=count)
            console.print(f"[bold red]{heading}[/]\n{escape(shown)}", highlight=False)
            sys.exit(2)
        except GardenCityError as exc:  # escaped: messages name city.toml keys like [storage]
            _error(exc.text(lang), lang)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as exc:
            _unexpected(exc, lang)

    return wrapper  # type: ignore[return-value]


def _error(message: str, lang: str) -> None:
    console.print(f"[bold red]{say('error', lang)}[/] {escape(message)}", highlight=False)


def _unexpected(exc: Exception, lang: str) -> None:
    """A library's error about bad input as a message with the fix (exit 2); anything else is
    a bug: a short message (exit 1), the traceback only with GARDENCITY_DEBUG=1."""
    translated = from_foreign(exc)
    if translated is not None:
        _error(translated.text(lang), lang)
        sys.exit(2)
    if os.environ.get("GARDENCITY_DEBUG"):
        raise exc
    what = escape(f"{type(exc).__name__}: {exc}")
    console.print(
        f"[bold red]{say('internal_error', lang)}[/] {what}\n{say('report_bug', lang)}",
        highlight=False,
    )
    sys.exit(1)


def renew_console() -> None:
    """Measure the terminal again (``COLUMNS``): once per invocation, so the width is current."""
    console.size = Console().size
