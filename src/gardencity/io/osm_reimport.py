"""Importing OpenStreetMap again into an existing workspace keeps the city's own settings.

``import-osm --force`` replaces the OSM layers, but what the city added itself stays:
``[rasters]``, ``[tables]``, ``[management]``, ``[layers.X]`` that read another file, the city
name, grade, region, standard and CRS (unless given again on the command line), and the
districts layer with its population (unless ``--population`` is given). Every change is
listed, and the old city.toml and city.gpkg are copied to ``backups/<time>/`` first.
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio

from gardencity.io.config import CityConfig
from gardencity.messages import Catalogue

__all__ = [
    "Carried",
    "backup_workspace",
    "carry_over",
    "layer_changes",
    "layer_counts",
    "previous_city",
]
MESSAGES = Catalogue(__package__)

_KEPT_SECTIONS = ("rasters", "tables", "management")
_KEPT_CITY_KEYS = ("name", "name_en", "crs", "standard", "grade", "region")
_FIXED_BY_OSM = {"land_use_scheme": "gb50137", "green_space_scheme": "cjjt85_2017"}


@dataclass
class Carried:
    """The merged city.toml, the old districts to keep, what changed and where the backup is."""

    config: dict[str, Any]
    districts: gpd.GeoDataFrame | None = None
    changes: list[tuple[str, str]] = field(default_factory=list)  # (zh, en)
    backup: Path | None = None


def _old_config(path: Path) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        CityConfig.model_validate(data)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError):
        return None
    return data


def previous_city(root: Path) -> dict[str, Any] | None:
    """The [city] section of an existing workspace (None if there is none or it is broken)."""
    old = _old_config(root / "city.toml")
    return None if old is None else dict(old.get("city", {}))


def backup_workspace(root: Path, when: datetime | None = None) -> Path:
    """Copy city.toml and city.gpkg to ``backups/<YYYYmmdd-HHMMSS>/``; the folder."""
    stamp = (when or datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = root / "backups" / stamp
    suffix = 1
    while target.exists():
        suffix += 1
        target = root / "backups" / f"{stamp}-{suffix}"
    target.mkdir(parents=True)
    for name in ("city.toml", "city.gpkg"):
        if (root / name).exists():
            shutil.copy2(root / name, target / name)
    return target


def _old_districts(root: Path) -> gpd.GeoDataFrame | None:
    gpkg = root / "city.gpkg"
    try:
        if "districts" not in set(pyogrio.list_layers(gpkg)[:, 0]):
            return None
        districts = pyogrio.read_dataframe(gpkg, layer="districts")
    except Exception:  # a damaged old file: nothing to keep, the backup holds it
        return None
    population = districts.get("population")
    if population is None or not (population.astype(float) > 0).any():
        return None
    return districts


def layer_counts(gpkg: Path) -> dict[str, int]:
    """Features per layer of a GeoPackage (empty if it cannot be read)."""
    try:
        names = pyogrio.list_layers(gpkg)[:, 0]
        return {str(n): int(pyogrio.read_info(gpkg, layer=n)["features"]) for n in names}
    except Exception:  # a damaged old file: the counts are only for the report
        return {}


def layer_changes(old: dict[str, int], new: dict[str, int]) -> list[tuple[str, str]]:
    """One line per layer whose feature count changed (zh, en)."""
    lines = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name, 0), new.get(name, 0)
        if before != after:
            counts = {"before": f"{before:,}", "after": f"{after:,}"}
            lines.append(MESSAGES.both("osm_layer_count", name=name, **counts))
    return lines


def carry_over(
    root: Path,
    new_config: dict[str, Any],
    *,
    given: set[str],
) -> Carried:
    """Merge the existing workspace at ``root`` into ``new_config`` (``given``: the city keys
    set on the command line, which win). The old files are backed up first."""
    old = _old_config(root / "city.toml")
    backup = backup_workspace(root)
    carried = Carried(new_config, backup=backup)
    if old is None:
        carried.changes.append(MESSAGES.both("osm_old_config_unreadable"))
        return carried
    _merge_city(old.get("city", {}), new_config["city"], given, carried.changes)
    for section in _KEPT_SECTIONS:
        if old.get(section):
            new_config[section] = old[section]
            carried.changes.append(MESSAGES.both("osm_kept_section", section=section))
    kept_layers = {n: s for n, s in old.get("layers", {}).items() if s.get("path")}
    if kept_layers:
        new_config["layers"] = kept_layers
        names = ", ".join(kept_layers)
        carried.changes.append(MESSAGES.both("osm_kept_file_layers", names=names))
    if old.get("storage", {}).get("vector"):
        carried.changes.append(MESSAGES.both("osm_was_postgis"))
    if "population" not in given:
        carried.districts = _old_districts(root)
        if carried.districts is not None:
            total = float(carried.districts["population"].astype(float).sum())
            n = len(carried.districts)
            carried.changes.append(MESSAGES.both("osm_kept_districts", n=n, total=f"{total:,.0f}"))
    return carried


def _merge_city(
    old: dict[str, Any],
    new: dict[str, Any],
    given: set[str],
    changes: list[tuple[str, str]],
) -> None:
    for key in _KEPT_CITY_KEYS:
        if key in given or old.get(key) in (None, ""):
            if key in given and old.get(key) not in (None, "", new.get(key)):
                values = {"old": repr(old[key]), "new": repr(new.get(key))}
                changes.append(MESSAGES.both("osm_city_key_given", key=key, **values))
            continue
        new[key] = old[key]
        changes.append(MESSAGES.both("osm_kept_city_key", key=key, value=repr(old[key])))
    _merge_population(old, new, given, changes)
    for key, value in _FIXED_BY_OSM.items():
        if old.get(key, value) != value:
            values = {"old": repr(old[key]), "new": repr(value)}
            changes.append(MESSAGES.both("osm_city_key_scheme", key=key, **values))


def _merge_population(
    old: dict[str, Any], new: dict[str, Any], given: set[str], changes: list[tuple[str, str]]
) -> None:
    population = old.get("population")
    if "population" in given:
        if population is not None:
            changes.append(MESSAGES.both("osm_population_given", old=f"{population:,.0f}"))
        return
    if population is not None:
        new["population"] = population
        changes.append(
            MESSAGES.both("osm_kept_city_key", key="population", value=f"{population:,.0f}")
        )
    if old.get("population_source"):
        new["population_source"] = old["population_source"]
