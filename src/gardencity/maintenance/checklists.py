"""The maintenance check-lists as data: site types, their items with weights, grades.

Our defaults live in ``maintenance/data/checklists.yaml``; a city's ``maintenance.yaml``
overrides them — a site type or item with the same ``code`` replaces ours (an item may give
only the fields it changes), new ones are added; grades with the same code replace ours.
Every problem in the file is reported at once.

Examples
--------
>>> lists = load_checklists()
>>> lists.site_types["park"].name.zh, sum(i.weight for i in lists.site_types["park"].items)
('公园', 100.0)
>>> lists.grade_for(85.0).name.zh
'二级养护'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gardencity.errors import InvalidRequestError
from gardencity.messages import Catalogue, load_yaml

__all__ = [
    "SITE_TYPES",
    "CheckItem",
    "Checklists",
    "Grade",
    "SiteType",
    "load_checklists",
]

DEFAULTS = Path(__file__).with_name("data") / "checklists.yaml"
SITE_TYPES = ("park", "road_green", "compound", "unit_courtyard", "greenway")
MESSAGES = Catalogue(__package__)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Words(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


class CheckItem(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    weight: float = Field(gt=0, le=100)
    category: str = Field(description="the case category a failed item is filed under")
    name: Words
    criterion: Words


class SiteType(_Strict):
    name: Words
    case_site_kind: Literal["park", "road", "compound", "unit", "other"] = "other"
    items: tuple[CheckItem, ...] = Field(min_length=1)

    def item(self, code: str) -> CheckItem | None:
        return next((i for i in self.items if i.code == code), None)


class Grade(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    min: float = Field(ge=0, le=100)
    name: Words


class Checklists(_Strict):
    site_types: dict[str, SiteType]
    grades: tuple[Grade, ...] = Field(min_length=1)

    def grade_for(self, score: float) -> Grade:
        """The highest grade whose minimum ``score`` reaches (the lowest grade otherwise)."""
        ordered = sorted(self.grades, key=lambda g: g.min, reverse=True)
        return next((g for g in ordered if score >= g.min), ordered[-1])


def _merge_items(base: list[dict[str, Any]], override: list[Any]) -> list[dict[str, Any]]:
    by_code = {row["code"]: row for row in base}
    for row in override:
        if not isinstance(row, dict) or "code" not in row:
            raise InvalidRequestError(MESSAGES.message("config_entry_needs_code"))
        by_code[row["code"]] = {**by_code.get(row["code"], {}), **row}
    return list(by_code.values())


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    if "grades" in override:
        merged["grades"] = _merge_items(base.get("grades", []), override["grades"] or [])
    types = dict(base.get("site_types", {}))
    for code, spec in (override.get("site_types") or {}).items():
        mine = dict(types.get(code, {}))
        spec = spec or {}
        if "items" in spec:
            mine["items"] = _merge_items(mine.get("items", []), spec["items"] or [])
        mine.update({k: v for k, v in spec.items() if k != "items"})
        types[code] = mine
    merged["site_types"] = types
    return merged


def load_checklists(
    city_file: Path | None = None, categories: set[str] | None = None
) -> Checklists:
    """Our check-lists, overridden by ``city_file`` if given; with ``categories`` (the case
    categories of the campaign configuration) every item's category is checked too."""
    raw = load_yaml(DEFAULTS.read_text(encoding="utf-8"))
    source = city_file or DEFAULTS
    if city_file is not None:
        try:
            override = load_yaml(Path(city_file).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidRequestError(
                MESSAGES.message("config_unreadable", path=str(city_file), detail=str(exc))
            ) from exc
        if not isinstance(override, dict):
            raise InvalidRequestError(MESSAGES.message("config_not_mapping", path=str(city_file)))
        raw = _merge(raw, override)
    try:
        lists = Checklists.model_validate(raw)
    except ValidationError as exc:
        raise InvalidRequestError(
            MESSAGES.message("config_invalid", path=str(source), problems=[str(exc)])
        ) from exc
    problems = _cross_checks(lists, categories)
    if problems:
        raise InvalidRequestError(
            MESSAGES.message("config_invalid", path=str(source), problems=problems)
        )
    return lists


def _cross_checks(lists: Checklists, categories: set[str] | None) -> list[str]:
    problems = [
        f"site type '{code}' is not one of {', '.join(SITE_TYPES)}"
        for code in lists.site_types
        if code not in SITE_TYPES
    ]
    for code, spec in lists.site_types.items():
        codes = [i.code for i in spec.items]
        problems += [
            f"{code}: item '{c}' is listed twice" for c in sorted(set(codes)) if codes.count(c) > 1
        ]
        if categories is not None:
            problems += [
                f"{code}.{i.code}: unknown case category '{i.category}'"
                for i in spec.items
                if i.category not in categories
            ]
    if not any(g.min == 0 for g in lists.grades):
        problems.append("grades need one with min 0 (the grade of the lowest scores)")
    return problems
