"""The language of a request: Chinese by default, English on ``?lang=en`` (the pages remember
it in a cookie); the JSON API also reads the ``Accept-Language`` header.

The API speaks the same languages as the pages for the labels it takes from the campaign
configuration (status and category names): ``?lang=``, the pages' cookie, then the
``Accept-Language`` header, then Chinese.
"""

from __future__ import annotations

from fastapi import Request

__all__ = ["LANGS", "LANG_COOKIE", "accepted_lang", "request_lang"]

LANGS = ("zh", "en")
LANG_COOKIE = "gc_lang"


def request_lang(request: Request, *, accept_header: bool = False) -> str:
    """``?lang=`` first, then the cookie, then (with ``accept_header``, for the API) the
    ``Accept-Language`` header, then Chinese."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in LANGS:
        return str(asked)
    if accept_header:
        return accepted_lang(request.headers.get("accept-language"))
    return "zh"


def accepted_lang(header: str | None) -> str:
    """The language of ours an ``Accept-Language`` header prefers most (Chinese if none).

    Examples
    --------
    >>> accepted_lang("en-GB,en;q=0.9,zh-CN;q=0.8")
    'en'
    >>> accepted_lang("fr, zh;q=0.5, en;q=0.4")
    'zh'
    >>> accepted_lang(None), accepted_lang("de"), accepted_lang("en;q=0")
    ('zh', 'zh', 'zh')
    """
    best, best_q = "zh", 0.0
    for part in (header or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGS:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = primary, q
    return best
