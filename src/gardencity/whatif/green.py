"""green_space_ratio followed through edits: counted green space and adjoining 区域绿地."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gardencity.indicators.green_space import (
    NOT_CONSTRUCTION,
    green_space_covers,
    green_space_result,
)
from gardencity.toolkit import Tile, matches_classes, per_tile, shared
from gardencity.whatif.states import Layers
from gardencity.whatif.zoned import ZonedCover

__all__ = ["GreenSpaceRatio"]


class GreenSpaceRatio:
    """The counted green space's tiled union, the adjoining other green space's, and per tile
    the area of each (the other one minus the counted one) inside each zone."""

    reads: tuple[str, ...] = ("green_spaces", "land_use")

    def __init__(self, params: Mapping[str, Any], layers: Layers) -> None:
        self.p, self.layers = params, layers
        self.tolerance = float(params.get("adjacency_tolerance_m", 1.0))
        green = layers.green.frame
        counted, other = self._kinds(green)
        land = layers.parcels.frame
        covers = shared(  # the tiled unions (the measure sums areas without them): built here
            layers.run,
            green_space_covers,
            green,
            land,
            layers.run,
            counted_classes=params["counted_classes"],
            other_green_classes=params["other_green_classes"],
            adjacency_tolerance_m=params.get("adjacency_tolerance_m", 1.0),
        )
        self.counted = ZonedCover(
            list(green.index[counted]),
            green.geometry.to_numpy()[counted],
            layers.grid,
            union=covers.counted,
        )
        built = land[~land["category"].isin(NOT_CONSTRUCTION)] if "category" in land else land[:0]
        self.built_keys = built.index.to_numpy()
        self.built_tree = shapely.STRtree(built.geometry.to_numpy())
        self.others: dict[Hashable, shapely.Geometry] = dict(
            zip(green.index[other], green.geometry.to_numpy()[other], strict=True)
        )
        self.other_keys = np.array(list(self.others), dtype=object)
        self.other_tree = shapely.STRtree(np.array(list(self.others.values()), dtype=object))
        adjoining = [k for k, g in self.others.items() if self._adjoins(g)]
        same = list(green.index[covers.adjoining_rows]) == adjoining  # as the measure found
        self.other = ZonedCover(
            adjoining,
            np.array([self.others[k] for k in adjoining], dtype=object),
            layers.grid,
            union=covers.adjoining if same else None,
        )
        self.other_rows = self._other_rows(self.other.cover.pieces)

    def _kinds(self, green: pd.DataFrame) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        inside = green["in_construction_land"].fillna(True).astype(bool).to_numpy()
        counted = matches_classes(green["green_class"], self.p["counted_classes"]).to_numpy().copy()
        other = matches_classes(green["green_class"], self.p["other_green_classes"]).to_numpy()
        return counted & inside, other & ~inside

    def _adjoins(self, geom: shapely.Geometry, without: Hashable | None = None) -> bool:
        if self.counted.cover.near(geom, self.tolerance):
            return True
        hits = self.built_tree.query(geom, predicate="dwithin", distance=self.tolerance)
        parcels = self.layers.parcels
        if any(k != without and k in parcels for k in self.built_keys[hits]):
            return True
        return any(
            k != without
            and row["category"] not in NOT_CONSTRUCTION
            and shapely.dwithin(row["geometry"], geom, self.tolerance)
            for k, row in parcels.added.items()
        )

    def _other_rows(self, tiles: Any) -> dict[Tile, npt.NDArray[np.float64]]:
        """Per tile, the adjoining other green space outside the counted one in each zone."""
        grid = self.layers.grid

        def areas(tile: Tile) -> npt.NDArray[np.float64]:
            piece = self.other.cover.pieces.get(tile)
            if piece is None:
                return np.zeros(len(grid))
            counted = self.counted.cover.pieces.get(tile)
            return grid.areas(tile, piece if counted is None else piece.difference(counted))

        return per_tile(areas, list(tiles))

    def _others_near(self, geom: shapely.Geometry) -> list[Hashable]:
        hits = self.other_tree.query(geom, predicate="dwithin", distance=self.tolerance)
        keys = [k for k in self.other_keys[hits] if k in self.others]
        base = set(self.other_keys)
        keys += [
            k
            for k, g in self.others.items()
            if k not in base and shapely.dwithin(g, geom, self.tolerance)
        ]
        return keys

    def _set_other(self, key: Hashable, adjoining: bool) -> None:
        if adjoining and key not in self.other.cover:
            tiles = self.other.cover.add(key, self.others[key])
        elif not adjoining and key in self.other.cover:
            tiles = self.other.cover.remove(key)
        else:
            return
        self.other_rows.update(self._other_rows(tiles))

    def _gain(self, anchor: shapely.Geometry) -> None:
        for key in self._others_near(anchor):
            self._set_other(key, True)

    def _loss(self, anchor: shapely.Geometry, without: Hashable) -> None:
        for key in self._others_near(anchor):
            if key in self.other.cover:
                self._set_other(key, self._adjoins(self.others[key], without))

    def add_green(self, key: Hashable) -> None:
        one = self.layers.green.one(key)
        counted, other = self._kinds(one)
        geom = one.geometry.iloc[0]
        if counted[0]:
            tiles = self.counted.cover.add(key, geom)
            self.counted.update(tiles)
            self.other_rows.update(self._other_rows(tiles))
            self._gain(geom)
        elif other[0]:
            self.others[key] = geom
            self._set_other(key, self._adjoins(geom))

    def remove_green(self, key: Hashable) -> None:
        if key in self.counted.cover:
            geom = self.counted.cover.geometry(key)
            tiles = self.counted.cover.remove(key)
            self.counted.update(tiles)
            self.other_rows.update(self._other_rows(tiles))
            self._loss(geom, key)
        elif key in self.others:
            self._set_other(key, False)
            del self.others[key]

    def add_parcel(self, key: Hashable) -> None:
        self._gain(self.layers.parcels.one(key).geometry.iloc[0])

    def remove_parcel(self, key: Hashable) -> None:
        self._loss(self.layers.parcels.one(key).geometry.iloc[0], key)

    def series(self) -> pd.Series:
        zones = self.layers.zones
        a_in = pd.Series(self.counted.totals(), index=zones.index)
        rows = list(self.other_rows.values())
        other = np.sum(np.stack(rows), axis=0) if rows else np.zeros(len(zones))
        a_other = pd.Series(other, index=zones.index)
        return green_space_result(zones, a_in, a_other, float(self.p.get("other_green_cap", 0.2)))
