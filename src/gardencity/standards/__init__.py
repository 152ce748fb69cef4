"""Standards catalogue as data: one YAML file per edition, plus a city's own files.

>>> [s.id for s in list_standards()][:2]
['gb55014_2021', 'gbt50563_2010']
>>> std = load_standard("national_ecological_garden_city_2022")
>>> std.indicator("green_coverage_ratio").select_threshold().value
43.0
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError as PydanticValidationError

from gardencity.errors import StandardError
from gardencity.messages import Catalogue, Listing, Message, load_yaml
from gardencity.standards.schema import IndicatorSpec, Standard, Threshold

__all__ = ["IndicatorSpec", "Standard", "Threshold", "list_standards", "load_standard"]
MESSAGES = Catalogue(__package__)

_DATA = "gardencity.standards.data"


def _bundled_ids() -> list[str]:
    return sorted(
        p.name.removesuffix(".yaml")
        for p in resources.files(_DATA).iterdir()
        if p.name.endswith(".yaml")
    )


def list_standards() -> list[Standard]:
    """Every bundled edition, sorted by id."""
    return [load_standard(i) for i in _bundled_ids()]


def load_standard(id_or_path: str | os.PathLike[str]) -> Standard:
    """Load a bundled edition by id, or a city's own catalogue file by path.

    A city's file may say ``extends: <id>``: its indicators replace ours with the same id
    (field by field; ``thresholds`` as a whole) and the others are added.
    """
    text = str(id_or_path)
    if text in _bundled_ids():
        raw = resources.files(_DATA).joinpath(f"{text}.yaml").read_text(encoding="utf-8")
        return _parse(load_yaml(raw), f"{text}.yaml (bundled)")
    path = Path(text)
    if not path.is_file():
        known = list(_bundled_ids())
        raise StandardError(MESSAGES.message("unknown_standard", name=text, known=known))
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise StandardError(MESSAGES.message("not_yaml", path=path, detail=exc)) from exc
    if not isinstance(data, dict):
        raise StandardError(MESSAGES.message("not_a_mapping", path=path))
    base_id = data.get("extends")
    if base_id:
        if base_id not in _bundled_ids():
            known = list(_bundled_ids())
            raise StandardError(
                MESSAGES.message("extends_unknown", path=path, base=base_id, known=known)
            )
        data = _merge(load_standard(base_id).model_dump(), data)
    return _parse(data, str(path))


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **{k: v for k, v in override.items() if k != "indicators"}}
    merged["sources"] = {**base.get("sources", {}), **override.get("sources", {})}
    by_id = {ind["id"]: ind for ind in base["indicators"]}
    order = [ind["id"] for ind in base["indicators"]]
    for ind in override.get("indicators", []) or []:
        if not isinstance(ind, dict) or "id" not in ind:
            raise StandardError(MESSAGES.message("override_without_id", entry=repr(ind)))
        if ind["id"] in by_id:
            by_id[ind["id"]] = {**by_id[ind["id"]], **ind}
        else:
            by_id[ind["id"]] = ind
            order.append(ind["id"])
    merged["indicators"] = [by_id[i] for i in order]
    return merged


def _parse(data: dict[str, Any], origin: str) -> Standard:
    try:
        standard = Standard.model_validate(data)
    except PydanticValidationError as exc:
        problems = []
        indicators = data.get("indicators") or []
        for err in exc.errors():
            loc = err["loc"]
            where = ".".join(str(x) for x in loc)
            if (
                len(loc) > 1
                and loc[0] == "indicators"
                and isinstance(loc[1], int)
                and loc[1] < len(indicators)
                and isinstance(indicators[loc[1]], dict)
            ):
                where = f"indicator '{indicators[loc[1]].get('id', loc[1])}': " + ".".join(
                    str(x) for x in loc[2:]
                )
            problems.append(f"  - {where}: {err['msg']}")
        listed = Listing(tuple(problems), ("\n", "\n"))
        raise StandardError(
            MESSAGES.message(
                "catalogue_fields", origin=origin, count=len(problems), problems=listed
            )
        ) from None
    found: list[Message] = []
    seen: set[str] = set()
    for spec in standard.indicators:
        if spec.id in seen:
            found.append(MESSAGES.message("duplicate_id", id=spec.id))
        seen.add(spec.id)
        for rule in spec.thresholds:
            if rule.source not in standard.sources:
                found.append(MESSAGES.message("unlisted_source", id=spec.id, source=rule.source))
    if found:
        listed = Listing(tuple(found), ("\n", "\n"))
        raise StandardError(
            MESSAGES.message("catalogue_ids", origin=origin, count=len(found), problems=listed)
        )
    return standard
