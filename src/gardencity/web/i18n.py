"""Page languages: Chinese by default, English on ``?lang=en`` (remembered in a cookie)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from fastapi import Request

__all__ = ["LANGS", "LANG_COOKIE", "messages", "request_lang"]

LANGS = ("zh", "en")
LANG_COOKIE = "gc_lang"


@cache
def _table() -> dict[str, tuple[str, str]]:
    raw = yaml.safe_load((Path(__file__).parent / "i18n" / "messages.yaml").read_text("utf-8"))
    return {key: (str(pair[0]), str(pair[1])) for key, pair in raw.items()}


@cache
def messages(lang: str) -> dict[str, str]:
    """Every page string in ``lang`` (zh or en)."""
    index = LANGS.index(lang) if lang in LANGS else 0
    return {key: pair[index] for key, pair in _table().items()}


def request_lang(request: Request) -> str:
    """``?lang=`` first, then the cookie, then Chinese."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return asked if asked in LANGS else "zh"
