"""What every command module shares: one console and the error wrapper."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from rich.console import Console
from rich.markup import escape

from gardencity.errors import GardenCityError, ValidationError

__all__ = ["STATUS_STYLE", "console", "renew_console", "reports_errors"]

F = TypeVar("F", bound=Callable[..., Any])
console = Console()
STATUS_STYLE = {
    "pass": "bold green",
    "fail": "bold red",
    "pass_unverified": "green",
    "fail_unverified": "red",
    "no_threshold": "dim",
    "not_assessed": "yellow",
    "error": "magenta",
}


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

    return wrapper  # type: ignore[return-value]


def renew_console() -> None:
    """Measure the terminal again (``COLUMNS``): once per invocation, so the width is current."""
    console.size = Console().size
