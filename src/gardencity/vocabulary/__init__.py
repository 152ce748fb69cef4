"""The presentation vocabulary: labels (zh/en) and styles, defined once in ``vocabulary.yaml``.

The report, the QGIS styles of ``diagnostics.gpkg``, the command line and the pages (through
``/api/v1/vocabulary``) take every label and colour of a status, a unit or a map layer from
here, so a change to one of them is one change to the data file. So do the words the pages
show for a case (its source, priority, events and actions), a unit's level, a ranking's
period and flag, and the way a shortfall is written (gap kinds).

Examples
--------
>>> vocabulary().label("statuses", "insufficient_data", "zh")
'数据不足'
>>> vocabulary().label("units", "ha", "en")
'ha'
>>> vocabulary().style("layers", "road_shade_segments").width
0.8
>>> rgba("#ff8000", 0.6)
'255,128,0,153'
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gardencity.messages import load_yaml

__all__ = [
    "GROUPS",
    "Label",
    "Style",
    "Term",
    "Vocabulary",
    "rgba",
    "vocabulary",
]

Lang = Literal["zh", "en"]
GROUPS = (
    "statuses",
    "confidences",
    "units",
    "case_statuses",
    "layers",
    "green_classes",
    "canopy_classes",
    "gap_kinds",
    "case_sources",
    "priorities",
    "levels",
    "case_events",
    "case_actions",
    "periods",
    "flags",
    "marks",
    "patrol_coverage",
    "operators",
    "road_grades",
    "road_sides",
    "site_kinds",
    "public_roles",
    "map_marks",
    "place_kinds",
    "unit_kinds",
    "survey_verdicts",
    "fields",
    "theme",
    "value_ramp",
)
PAGE_GROUPS = (
    "statuses",
    "confidences",
    "units",
    "case_sources",
    "priorities",
    "levels",
    "case_events",
    "case_actions",
    "periods",
    "flags",
    "marks",
    "patrol_coverage",
    "public_roles",
)
Colour = str


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str
    en: str


class Style(BaseModel):
    """How a term is drawn; colours as ``#rrggbb``, widths in millimetres."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    fill: Colour | None = Field(default=None, pattern=r"^#[0-9a-f]{6}$")
    fill_opacity: float = Field(default=1.0, ge=0, le=1)
    stroke: Colour | None = Field(default=None, pattern=r"^#[0-9a-f]{6}$")
    width: float = Field(default=0.3, ge=0)
    dash: tuple[float, ...] | None = None
    hatch: str | None = None
    text: Colour | None = Field(default=None, pattern=r"^#[0-9a-f]{6}$")
    mark: Colour | None = Field(default=None, pattern=r"^#[0-9a-f]{6}$")
    dashed: bool = False
    terminal: str | None = None

    def points(self) -> float:
        """The width in typographic points (matplotlib)."""
        return self.width * 72 / 25.4

    def pixels(self) -> float:
        """The width in CSS pixels (Leaflet)."""
        return round(self.width * 96 / 25.4, 1)


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: Label | None = None
    style: Style | None = None


class Vocabulary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    statuses: dict[str, Term]
    confidences: dict[str, Term]
    units: dict[str, Term]
    case_statuses: dict[str, Term]
    layers: dict[str, Term]
    green_classes: dict[str, Term]
    canopy_classes: dict[str, Term]
    gap_kinds: dict[str, Term]
    case_sources: dict[str, Term]
    priorities: dict[str, Term]
    levels: dict[str, Term]
    case_events: dict[str, Term]
    case_actions: dict[str, Term]
    periods: dict[str, Term]
    flags: dict[str, Term]
    marks: dict[str, Term]
    patrol_coverage: dict[str, Term]
    operators: dict[str, Term]
    road_grades: dict[str, Term]
    road_sides: dict[str, Term]
    site_kinds: dict[str, Term]
    public_roles: dict[str, Term]
    map_marks: dict[str, Term]
    place_kinds: dict[str, Term]
    unit_kinds: dict[str, Term]
    survey_verdicts: dict[str, Term]
    theme: dict[str, Term]
    fields: dict[str, Term]
    value_ramp: dict[str, Term]

    def group(self, group: str) -> dict[str, Term]:
        if group not in GROUPS:
            raise KeyError(f"No vocabulary group '{group}'. Fix: use one of {', '.join(GROUPS)}.")
        terms: dict[str, Term] = getattr(self, group)
        return terms

    def label(self, group: str, key: str, lang: str) -> str:
        """The label of ``key`` in ``lang``; the key itself where the vocabulary has none."""
        term = self.group(group).get(key)
        if term is None or term.label is None:
            return key
        return term.label.zh if lang == "zh" else term.label.en

    def pair(self, group: str, key: str) -> tuple[str, str]:
        """The label of ``key`` in both languages, (中文, English)."""
        return self.label(group, key, "zh"), self.label(group, key, "en")

    def labels(self, group: str, lang: str) -> dict[str, str]:
        """Every labelled term of ``group`` in ``lang``."""
        terms = self.group(group).items()
        return {key: self.label(group, key, lang) for key, term in terms if term.label is not None}

    def page_labels(self, lang: str) -> dict[str, dict[str, str]]:
        """The labels of every group the pages write in words (not the map's layers and
        classes, which the map takes with their styles from ``/api/v1/vocabulary``)."""
        return {group: self.labels(group, lang) for group in PAGE_GROUPS}

    def style(self, group: str, key: str) -> Style:
        term = self.group(group).get(key)
        if term is None or term.style is None:
            raise KeyError(f"No style for '{key}' in the vocabulary's {group}.")
        return term.style

    def css_rules(self, group: str, selector: str) -> str:
        """CSS rules that colour each styled term of ``group`` (a badge: background, text and
        border); ``selector`` names the class, e.g. ``".conf-{}"``."""
        rules = []
        for key, term in self.group(group).items():
            style = term.style
            if style is None:
                continue
            parts = []
            if style.fill:
                parts.append(f"background: {style.fill}")
            if style.text:
                parts.append(f"color: {style.text}")
            if style.stroke and style.fill:
                line = "dashed" if style.dashed else "solid"
                parts.append(f"border: 1px {line} {style.stroke}")
            rules.append(f"{selector.format(key)} {{ {'; '.join(parts)}; }}")
        return "\n".join(rules)

    def for_lang(self, lang: str) -> dict[str, Any]:
        """The vocabulary in one language, as the browser takes it:
        ``{group: {key: {"label": ..., "style": {...}}}}``."""
        out: dict[str, Any] = {}
        for group in GROUPS:
            out[group] = {
                key: {
                    "label": self.label(group, key, lang),
                    **({"style": _browser_style(term.style)} if term.style else {}),
                }
                for key, term in self.group(group).items()
            }
        return out


def _browser_style(style: Style) -> dict[str, Any]:
    shown = style.model_dump(exclude_none=True, exclude_defaults=True)
    shown["fill_opacity"] = style.fill_opacity
    shown["weight"] = style.pixels()
    if style.dash:
        shown["dash_array"] = " ".join(f"{round(d * 96 / 25.4):g}" for d in style.dash)
    return shown


def rgba(colour: str, opacity: float = 1.0) -> str:
    """``#rrggbb`` and an opacity as QGIS writes a colour: ``r,g,b,a`` (0–255)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},{round(opacity * 255)}"


@cache
def vocabulary() -> Vocabulary:
    """The vocabulary (read once)."""
    text = resources.files(__package__).joinpath("vocabulary.yaml").read_text("utf-8")
    return Vocabulary.model_validate(load_yaml(text))
