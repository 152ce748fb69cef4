"""What every command module shares: one console, the error wrapper and the messages
(``messages.yaml``) in the command's language."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any, TypeVar

import click
import yaml
from rich.console import Console
from rich.markup import escape

from gardencity.errors import GardenCityError, ValidationError, from_foreign

__all__ = ["console", "renew_console", "reports_errors", "say"]

F = TypeVar("F", bound=Callable[..., Any])
console = Console()


@cache
def _messages() -> dict[str, tuple[str, str]]:
    text = resources.files(__package__).joinpath("messages.yaml").read_text("utf-8")
    return {key: (str(zh), str(en)) for key, (zh, en) in yaml.safe_load(text).items()}


def say(key: str, lang: str) -> str:
    """The command line's message ``key`` in ``lang`` (zh or en)."""
    zh, en = _messages()[key]
    return zh if lang == "zh" else en


def reports_errors(func: F) -> F:
    """Print a GardenCityError as a message (no traceback) and exit with status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            console.print(
                f"[bold red]数据检查未通过 / validation failed[/]\n{escape(str(exc))}",
                highlight=False,
            )
            sys.exit(2)
        except GardenCityError as exc:  # escaped: messages name city.toml keys like [storage]
            console.print(f"[bold red]错误 / error:[/] {escape(str(exc))}", highlight=False)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as exc:
            _unexpected(exc)

    return wrapper  # type: ignore[return-value]


def _unexpected(exc: Exception) -> None:
    """A library's error about bad input as a message with the fix (exit 2); anything else is
    a bug: a short message (exit 1), the traceback only with GARDENCITY_DEBUG=1."""
    translated = from_foreign(exc)
    if translated is not None:
        console.print(f"[bold red]错误 / error:[/] {escape(str(translated))}", highlight=False)
        sys.exit(2)
    if os.environ.get("GARDENCITY_DEBUG"):
        raise exc
    console.print(
        f"[bold red]内部错误 / internal error:[/] {escape(type(exc).__name__)}: "
        f"{escape(str(exc))}\n这是 gardencity 的缺陷，请连同所运行的命令一起报告 / this is a bug "
        f"in gardencity: please report it with the command you ran (GARDENCITY_DEBUG=1 shows "
        f"the traceback).",
        highlight=False,
    )
    sys.exit(1)


def renew_console() -> None:
    """Measure the terminal again (``COLUMNS``): once per invocation, so the width is current."""
    console.size = Console().size
