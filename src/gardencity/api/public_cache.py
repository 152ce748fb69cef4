"""A short-lived cache of public read responses (the public map, Open311 lists).

They are the same for every caller, and residents' apps poll them, so each server process
keeps a rendered response for ``Settings.public_cache_seconds`` and says so in
``Cache-Control: public, max-age=…`` (what a reverse proxy or the browser may do anyway): a
new report shows on the public map within that time. A reporter follows their own report by
its reference, which is never cached. Only successful responses are kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request, Response

__all__ = ["PublicCache"]

_MAX_ENTRIES = 512


@dataclass(frozen=True)
class _Entry:
    body: bytes
    media_type: str | None
    stored_at: float


class PublicCache:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def respond(
        self,
        request: Request,
        build: Callable[[], Response],
        *,
        lang: str | None = None,
        base_url: str | None = None,
    ) -> Response:
        """The cached response for this URL (and label language ``lang``, if the response
        has labels; and ``base_url``, if the response's links were built from the request's
        host) if fresh, else ``build()`` (kept if it is a 200). Whatever of the request a
        response depends on beyond path and query must be part of the key."""
        if self.seconds <= 0:
            return build()
        query = sorted(request.query_params.multi_items())
        key = f"{request.url.path}?{query}#{lang}@{base_url}"
        now = self._clock()
        entry = self._entries.get(key)
        if entry is None or now - entry.stored_at >= self.seconds:
            response = build()
            if response.status_code != 200:
                return response
            entry = _Entry(bytes(response.body), response.media_type, now)
            with self._lock:
                if len(self._entries) >= _MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = entry
        age = int(now - entry.stored_at)
        headers = {"Cache-Control": f"public, max-age={int(self.seconds)}", "Age": str(age)}
        if lang is not None:
            headers |= {"Content-Language": lang, "Vary": "Accept-Language, Cookie"}
        return Response(entry.body, media_type=entry.media_type, headers=headers)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
