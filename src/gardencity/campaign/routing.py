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

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gardencity.auth.unit_names import unit_message
from gardencity.campaign.config import CampaignConfig
from gardencity.errors import InvalidRequestError
from gardencity.messages import Catalogue, Message
from gardencity.vocabulary import vocabulary

__all__ = ["RoutingDecision", "RoutingIndex", "route_case", "route_with_index"]
MESSAGES = Catalogue(__package__)


@dataclass(frozen=True)
class RoutingDecision:
    unit_id: int | None
    leader_user_id: int | None
    grid_code: str | None
    reason: str


@dataclass(frozen=True)
class _AreaIndex:
    """Units of one kind that have an area: a spatial index over their areas."""

    tree: shapely.STRtree
    ids: np.ndarray
    areas: np.ndarray

    def containing(self, point: shapely.Point) -> list[int]:
        """Ids of the units whose area contains ``point``, smallest area first."""
        hits = self.tree.query(point, predicate="intersects")
        return [int(self.ids[i]) for i in sorted(hits, key=lambda i: (self.areas[i], self.ids[i]))]


@dataclass(frozen=True)
class RoutingIndex:
    """The grid, the unit tree and the leaders' contact points, indexed for routing.

    Built once from the frames (:meth:`from_frames`) and reused for every case until the
    organisation changes.
    """

    grid_tree: shapely.STRtree | None
    grid_codes: np.ndarray
    grid_units: list[int | None]
    parent: dict[int, int | None]
    kind: dict[int, str]
    name: dict[int, Message]  # each unit's name in both languages
    by_code: dict[str, int]
    root: int | None
    leader_of: dict[int, int]
    areas: dict[str, _AreaIndex] = field(default_factory=dict)

    @classmethod
    def from_frames(
        cls, grids: gpd.GeoDataFrame, units: pd.DataFrame, leaders: pd.DataFrame
    ) -> RoutingIndex:
        """``grids``: code, unit_id, geometry (EPSG:4326). ``units``: id, parent_id, kind,
        code, name, name_en (optional), area (shapely or None). ``leaders``: user_id,
        unit_id."""
        ids = [int(i) for i in units["id"]] if not units.empty else []

        def column(name: str) -> list[Any]:
            return list(units[name]) if not units.empty else []

        parent = {
            i: (None if p is None or pd.isna(p) else int(p))
            for i, p in zip(ids, column("parent_id"), strict=True)
        }
        kinds = dict(zip(ids, (str(k) for k in column("kind")), strict=True))
        roots = [i for i in ids if kinds[i] == "city"]
        areas: dict[str, _AreaIndex] = {}
        for unit_kind in set(kinds.values()):
            pairs = [
                (i, a)
                for i, a in zip(ids, column("area"), strict=True)
                if kinds[i] == unit_kind and a is not None and not shapely.is_empty(a)
            ]
            if pairs:
                geoms = np.array([a for _, a in pairs], dtype=object)
                areas[unit_kind] = _AreaIndex(
                    shapely.STRtree(geoms),
                    np.array([i for i, _ in pairs]),
                    shapely.area(geoms),
                )
        leader_of: dict[int, int] = {}
        pairs_of_leaders = zip(leaders.get("unit_id", []), leaders.get("user_id", []), strict=True)
        for unit_id, user_id in sorted(pairs_of_leaders, reverse=True):
            leader_of[int(unit_id)] = int(user_id)  # the smallest user id wins
        grid_units = [None if u is None or pd.isna(u) else int(u) for u in grids.get("unit_id", [])]
        return cls(
            grid_tree=shapely.STRtree(grids.geometry.to_numpy()) if not grids.empty else None,
            grid_codes=np.array([str(c) for c in grids.get("code", [])], dtype=object),
            grid_units=grid_units,
            parent=parent,
            kind=kinds,
            name={
                i: unit_message(str(n), en if isinstance(en, str) else None)
                for i, n, en in zip(
                    ids,
                    column("name"),
                    column("name_en") if "name_en" in units else [None] * len(ids),
                    strict=True,
                )
            },
            by_code=dict(zip((str(c) for c in column("code")), ids, strict=True)),
            root=roots[0] if roots else None,
            leader_of=leader_of,
            areas=areas,
        )

    def locate(self, lonlat: tuple[float, float]) -> int | None:
        """Row of the grid cell containing ``lonlat`` (on a shared edge: the smallest code)."""
        if self.grid_tree is None:
            return None
        hits = self.grid_tree.query(shapely.Point(lonlat), predicate="intersects")
        if len(hits) == 0:
            return None
        return int(min(hits, key=lambda i: str(self.grid_codes[i])))

    def chain(self, unit_id: int | None) -> list[int]:
        """``unit_id`` and the units above it, nearest first."""
        out: list[int] = []
        while unit_id is not None and unit_id not in out:
            out.append(unit_id)
            unit_id = self.parent.get(unit_id)
        return out

    def containing(self, unit_kind: str, point: shapely.Point) -> list[int]:
        found = self.areas.get(unit_kind)
        return found.containing(point) if found is not None else []

    def leader(self, unit_id: int | None) -> int | None:
        for unit in self.chain(unit_id):
            if unit in self.leader_of:
                return self.leader_of[unit]
        return None


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
    index = RoutingIndex.from_frames(grids, units, leaders)
    return route_with_index(lonlat, category_code, index, config)


_LEVELS = ("street", "district", "city")
_LADDER = {"park_or_street": "street", "street": "street", "district": "district"}


def route_with_index(
    lonlat: tuple[float, float], category_code: str, index: RoutingIndex, config: CampaignConfig
) -> RoutingDecision:
    """:func:`route_case` on a prepared :class:`RoutingIndex`."""
    category = config.categories.get(category_code)
    if category is None:
        raise InvalidRequestError(MESSAGES.message("errors.unknown_category", code=category_code))
    point = shapely.Point(lonlat)
    row = index.locate(lonlat)
    grid_code = str(index.grid_codes[row]) if row is not None else None
    grid_unit = index.grid_units[row] if row is not None else None

    def up_to(unit_kind: str) -> int | None:
        for unit_id in index.chain(grid_unit):
            if index.kind.get(unit_id) == unit_kind:
                return unit_id
        found = index.containing(unit_kind, point)
        return found[0] if found else None

    where = _said("in_grid", code=grid_code) if grid_code else _said("outside_grid")
    rule = category.responsible
    unit_id: int | None = None
    why: Message | None = None
    category_name = Message((category.name_zh, category.name_en))
    if rule.startswith("unit:"):
        code = rule.split(":", 1)[1]
        if code in index.by_code:
            unit_id = index.by_code[code]
            unit = index.name.get(unit_id) or Message.literal(code, code)
            why = _said("by_unit_code", category=category_name, unit=unit)
    if unit_id is None and rule == "park_or_street":
        found = index.containing("responsible", point)
        if found:
            unit_id, why = found[0], _said("inside_unit", unit=index.name.get(found[0]))
    words = vocabulary()
    for level in _LEVELS[_LEVELS.index(_LADDER.get(rule, "city")) :]:
        if unit_id is not None:
            break
        candidate = up_to(level) if level != "city" else index.root
        if candidate is not None:
            unit_id = candidate
            why = _said(
                "by_level",
                where=where,
                category=category_name,
                level=Message(
                    (words.label("levels", level, "zh"), words.label("levels", level, "en"))
                ),
                unit=index.name.get(candidate),
            )
    if unit_id is None or why is None:
        why = _said("no_unit", where=where)
    return RoutingDecision(unit_id, index.leader(unit_id), grid_code, MESSAGES.stored(why))


def _said(key: str, **params: Any) -> Message:
    return MESSAGES.message(f"routing.{key}", **params)
