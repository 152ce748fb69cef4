"""The vocabulary's colours as CSS custom properties (``/static/vocabulary.css``), so the
pages' stylesheet and scripts take every colour from the one vocabulary: the theme
(``--ink``, ``--brand``, ``--surface``, …), ``--status-<status>-fill|text|stroke|mark|border``,
``--case-<state>-fill|text``, ``--layer-<layer>-fill|stroke``, ``--flag-<flag>-…``,
``--mark-<mark>-…`` and ``--priority-<priority>-…``.

>>> css = vocabulary_css()
>>> "--brand: #" in css, "--status-pass-fill: #" in css, "--layer-districts-stroke" in css
(True, True, True)
"""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter, Response

from gardencity.vocabulary import vocabulary

__all__ = ["router", "vocabulary_css"]

router = APIRouter(include_in_schema=False)
_PARTS = ("fill", "text", "stroke", "mark")


@cache
def vocabulary_css() -> str:
    words = vocabulary()
    lines = [":root {"]
    for key, term in words.theme.items():  # the pages' theme: --ink, --brand, …
        if term.style is not None and term.style.fill:
            lines.append(f"  --{key.replace('_', '-')}: {term.style.fill};")
    groups = (
        ("status", words.statuses),
        ("case", words.case_statuses),
        ("layer", words.layers),
        ("flag", words.flags),
        ("mark", words.marks),
        ("priority", words.priorities),
        ("coverage", words.patrol_coverage),
    )
    for prefix, group in groups:
        for key, term in group.items():
            if term.style is None:
                continue
            for part in _PARTS:
                colour = getattr(term.style, part)
                if colour:
                    lines.append(f"  --{prefix}-{key}-{part}: {colour};")
            if prefix == "status":
                border = "dashed" if term.style.dashed else "solid"
                lines.append(f"  --{prefix}-{key}-border: {border};")
    lines.append("}")
    return "\n".join(lines) + "\n"


@router.get("/static/vocabulary.css")
async def vocabulary_stylesheet() -> Response:
    return Response(
        vocabulary_css(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=300"},
    )
