"""Route a new case to its responsible unit by area and category (pure function).

The category's ``responsible`` rule names the kind of unit that handles it:

* ``park_or_street`` — the responsible unit (park office, residential compound …) whose area
  contains the point, the smallest if several; otherwise the street;
* ``street`` — the street the grid cell belongs to (its community's parent);
* ``district`` — the district above that street (or whose area contains the point);
* ``city`` — the root unit; ``unit:<code>`` — that unit (e.g. a department).

Each rule falls back upwards (street → district → city) and the decision says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from gardencity.campaign.config import CampaignConfig
from gardencity.errors import InvalidRequestError

__all__ = ["RoutingDecision", "locate_grid", "route_case"]

_TREES: dict[int, tuple[Any, shapely.STRtree]] = {}


@dataclass(frozen=True)
class RoutingDecision:
    unit_id: int | None
    leader_user_id: int | None
    grid_code: str | None
    reason: str


def locate_grid(grids: gpd.GeoDataFrame, lonlat: tuple[float, float]) -> int | None:
    """Row position of the grid cell containing ``lonlat`` (a point on a shared edge goes to
    the cell with the smallest code), or None outside the grid."""
    if grids.empty:
        return None
    cached = _TREES.get(id(grids))
    if cached is None or cached[0] is not grids:
        _TREES.clear()
        cached = (grids, shapely.STRtree(grids.geometry.to_numpy()))
        _TREES[id(grids)] = cached
    hits = cached[1].query(shapely.Point(lonlat), predicate="intersects")
    if len(hits) == 0:
        return None
    codes = grids["code"].to_numpy()
    return int(min(hits, key=lambda i: str(codes[i])))


def route_case(
    lonlat: tuple[float, float],
    category_code: str,
    *,
    grids: gpd.GeoDataFrame,
    units: pd.DataFrame,
    leaders: pd.DataFrame,
    config: CampaignConfig,
) -> RoutingDecision:
    """Decide the responsible unit, the leader (包挂) and the grid code of a case.

    ``grids``: code, unit_id, geometry (EPSG:4326). ``units``: id, parent_id, kind, code,
    name, area (shapely or None). ``leaders``: user_id, unit_id.
    """
    category = config.categories.get(category_code)
    if category is None:
        raise InvalidRequestError(f"unknown category '{category_code}'")
    point = shapely.Point(lonlat)
    row = locate_grid(grids, lonlat)
    grid_code = str(grids["code"].iloc[row]) if row is not None else None
    grid_unit = grids["unit_id"].iloc[row] if row is not None else None
    by_id = units.set_index("id") if not units.empty else units
    parent = by_id["parent_id"].to_dict() if not units.empty else {}
    kind = by_id["kind"].to_dict() if not units.empty else {}
    name = by_id["name"].to_dict() if not units.empty else {}

    def chain(unit_id: Any) -> list[int]:
        out: list[int] = []
        while unit_id is not None and not pd.isna(unit_id) and int(unit_id) not in out:
            out.append(int(unit_id))
            unit_id = parent.get(int(unit_id))
        return out

    def containing(unit_kind: str) -> list[int]:
        if units.empty:
            return []
        rows = units[(units["kind"] == unit_kind) & units["area"].notna()]
        inside = [
            (shapely.area(a), int(i))
            for i, a in zip(rows["id"], rows["area"], strict=True)
            if shapely.intersects(a, point)
        ]
        return [i for _, i in sorted(inside)]

    def up_to(unit_kind: str) -> int | None:
        for unit_id in chain(grid_unit):
            if kind.get(unit_id) == unit_kind:
                return unit_id
        found = containing(unit_kind)
        return found[0] if found else None

    where = f"网格 {grid_code}" if grid_code else "网格外 / outside the grid"
    rule = category.responsible
    unit_id: int | None = None
    why = ""
    if rule.startswith("unit:"):
        code = rule.split(":", 1)[1]
        match = units[units["code"] == code] if not units.empty else units
        if not match.empty:
            unit_id, why = int(match["id"].iloc[0]), f"类别「{category.name_zh}」由 {code} 处置"
    if unit_id is None and rule == "park_or_street":
        found = containing("responsible")
        if found:
            unit_id, why = found[0], f"位于责任单位「{name.get(found[0])}」范围内"
    ladder = {"park_or_street": "street", "street": "street", "district": "district"}
    for level in ("street", "district", "city")[
        ("street", "district", "city").index(ladder.get(rule, "city")) :
    ]:
        if unit_id is not None:
            break
        candidate = up_to(level) if level != "city" else _root(units)
        if candidate is not None:
            unit_id = candidate
            handler = f"{_KIND_ZH[level]}「{name.get(candidate)}」"
            why = f"{where}；类别「{category.name_zh}」由{handler}处置"
    if unit_id is None:
        why = f"{where}；未找到责任单位 / no unit found: dispatch by hand"
    leader = _leader(chain(unit_id), leaders)
    return RoutingDecision(unit_id, leader, grid_code, why)


_KIND_ZH = {"street": "街道", "district": "城区", "city": "市级"}


def _root(units: pd.DataFrame) -> int | None:
    if units.empty:
        return None
    roots = units[units["kind"] == "city"]
    return int(roots["id"].iloc[0]) if not roots.empty else None


def _leader(chain: list[int], leaders: pd.DataFrame) -> int | None:
    if leaders.empty:
        return None
    for unit_id in chain:
        hit = leaders[leaders["unit_id"] == unit_id]
        if not hit.empty:
            return int(hit["user_id"].min())
    return None
