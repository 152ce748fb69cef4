"""Page strings in both languages (``i18n/messages.yaml``, read by the project's one catalogue
loader :mod:`gardencity.messages`); which language a request asks for is
:mod:`gardencity.api.lang` (Chinese by default, English on ``?lang=en``, remembered in a
cookie)."""

from __future__ import annotations

from gardencity.messages import Catalogue

__all__ = ["messages"]

_PAGES = Catalogue(__package__, "i18n/messages.yaml")


def messages(lang: str) -> dict[str, str]:
    """Every page string in ``lang`` (zh or en; anything else: Chinese)."""
    return _PAGES.texts(lang if lang == "en" else "zh")
