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

__all__ = [
    "Carried",
    "backup_workspace",
    "carry_over",
    "layer_changes",
    "layer_counts",
    "previous_city",
]

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
            lines.append(
                (
                    f"图层 {name}：{before:,} → {after:,} 个要素",
                    f"layer {name}: {before:,} → {after:,} features",
                )
            )
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
        carried.changes.append(
            (
                "原 city.toml 无法读取，未能沿用其中的设置（已备份）",
                "the old city.toml could not be read, so none of its settings were kept "
                "(it is in the backup)",
            )
        )
        return carried
    _merge_city(old.get("city", {}), new_config["city"], given, carried.changes)
    for section in _KEPT_SECTIONS:
        if old.get(section):
            new_config[section] = old[section]
            carried.changes.append((f"沿用 [{section}]", f"kept [{section}]"))
    kept_layers = {n: s for n, s in old.get("layers", {}).items() if s.get("path")}
    if kept_layers:
        new_config["layers"] = kept_layers
        names = ", ".join(kept_layers)
        carried.changes.append(
            (
                f"沿用读取其他文件的图层设置：{names}",
                f"kept the layers read from other files: {names}",
            )
        )
    if old.get("storage", {}).get("vector"):
        carried.changes.append(
            (
                "原工作区从 PostGIS 读取图层；新数据写入 city.gpkg，如需继续使用 PostGIS 请再运行 "
                "gardencity push-postgis",
                "the old workspace read its layers from PostGIS; the new data are in city.gpkg: "
                "run gardencity push-postgis again to keep using PostGIS",
            )
        )
    if "population" not in given:
        carried.districts = _old_districts(root)
        if carried.districts is not None:
            total = float(carried.districts["population"].astype(float).sum())
            n = len(carried.districts)
            carried.changes.append(
                (
                    f"沿用原城区图层：{n} 个城区，人口合计 {total:,.0f}",
                    f"kept the old districts: {n} district(s), population {total:,.0f} in total",
                )
            )
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
                changes.append(
                    (
                        f"[city] {key} 由 {old[key]!r} 改为 {new.get(key)!r}（命令行指定）",
                        f"[city] {key} changed from {old[key]!r} to {new.get(key)!r} (given)",
                    )
                )
            continue
        new[key] = old[key]
        changes.append((f"沿用 [city] {key} = {old[key]!r}", f"kept [city] {key} = {old[key]!r}"))
    _merge_population(old, new, given, changes)
    for key, value in _FIXED_BY_OSM.items():
        if old.get(key, value) != value:
            changes.append(
                (
                    f"[city] {key} 由 {old[key]!r} 改为 {value!r}（OpenStreetMap 数据所用体系）",
                    f"[city] {key} changed from {old[key]!r} to {value!r} (the scheme of the "
                    f"OpenStreetMap data)",
                )
            )


def _merge_population(
    old: dict[str, Any], new: dict[str, Any], given: set[str], changes: list[tuple[str, str]]
) -> None:
    population = old.get("population")
    if "population" in given:
        if population is not None:
            changes.append(
                (
                    f"人口改用命令行给出的数值（原 [city] population = {population:,.0f} "
                    "不再使用）",
                    f"the population is now the one given (--population); [city] population = "
                    f"{population:,.0f} was dropped",
                )
            )
        return
    if population is not None:
        new["population"] = population
        changes.append(
            (
                f"沿用 [city] population = {population:,.0f}",
                f"kept [city] population = {population:,.0f}",
            )
        )
    if old.get("population_source"):
        new["population_source"] = old["population_source"]
