"""Page strings in both languages (``i18n/messages.yaml``); which language a request asks for
is :mod:`gardencity.api.lang` (Chinese by default, English on ``?lang=en``, remembered in a
cookie)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from gardencity.api.lang import LANGS

__all__ = ["messages"]


@cache
def _table() -> dict[str, tuple[str, str]]:
    raw = yaml.safe_load((Path(__file__).parent / "i18n" / "messages.yaml").read_text("utf-8"))
    return {key: (str(pair[0]), str(pair[1])) for key, pair in raw.items()}


@cache
def messages(lang: str) -> dict[str, str]:
    """Every page string in ``lang`` (zh or en)."""
    index = LANGS.index(lang) if lang in LANGS else 0
    return {key: pair[index] for key, pair in _table().items()}
