"""What each incrementally followed measure keeps between edits (see engine.py)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gardencity.assessment.inputs import AssessmentInputs
from gardencity.indicators.accessibility import (
    ServiceCover,
    WalkingReach,
    covered_pieces,
    entrance_nodes,
    service_cover,
    walking_reach,
)
from gardencity.indicators.green_space import parks_per_10k_result
from gardencity.io.threads import prepared_copies
from gardencity.network import Snap, WalkGraph, multi_source_distances, snap_xy
from gardencity.toolkit import (
    CellTable,
    EditableCover,
    cell_table,
    eligible_parks,
    matches_classes,
    ratio_result,
    residential_pieces,
    shared,
)
from gardencity.whatif.shade import Canopy
from gardencity.whatif.zoned import ZonedCover, ZoneGrid

# the tile of the measures' tiled covers (TiledCover's default), shared by the engine's own
COVER_TILE_M = 2000.0

__all__ = [
    "Layers",
    "MeasureState",
    "ParkArea",
    "ParksPer10k",
    "StraightCoverage",
    "WalkingCoverage",
]


class _Rows:
    """A layer's rows by key: the assessed frame, minus removed rows, plus added ones."""

    def __init__(self, frame: gpd.GeoDataFrame) -> None:
        if not frame.index.is_unique:
            frame = frame.reset_index(drop=True)
        self.frame = frame
        self.added: dict[Hashable, dict[str, Any]] = {}
        self.removed: set[Hashable] = set()

    def __contains__(self, key: Hashable) -> bool:
        return key in self.added or (key in self.frame.index and key not in self.removed)

    def get(self, key: Hashable) -> dict[str, Any] | None:
        if key not in self:
            return None
        if key in self.added:
            return self.added[key]
        return {**self.frame.loc[key].to_dict(), "geometry": self.frame.geometry.loc[key]}

    def current(self) -> gpd.GeoDataFrame:
        """The layer as edited: the assessed rows left, then the added ones."""
        kept = self.frame.drop(index=list(self.removed))
        if not self.added:
            return kept
        added = gpd.GeoDataFrame(
            list(self.added.values()), index=list(self.added), geometry="geometry", crs=kept.crs
        )
        return gpd.GeoDataFrame(pd.concat([kept, added]), geometry="geometry", crs=kept.crs)

    def one(self, key: Hashable) -> gpd.GeoDataFrame:
        row = self.get(key)
        assert row is not None
        return gpd.GeoDataFrame([row], index=[key], geometry="geometry", crs=self.frame.crs)


class Layers:
    """The edited layers and the fixed inputs the followed measures read."""

    def __init__(self, inputs: AssessmentInputs) -> None:
        self.zones: gpd.GeoDataFrame = inputs.get("zones")
        self.green = _Rows(inputs.get("green_spaces"))
        self.parcels = _Rows(inputs.get("land_use"))
        self.historic: gpd.GeoDataFrame | None = inputs.get("historic_districts")
        self.gates: gpd.GeoDataFrame | None = inputs.get("park_entrances")
        self.walk_graph: WalkGraph | None = inputs.get("walk_graph")
        self.canopy = Canopy(inputs)
        self.grid = ZoneGrid(self.zones.geometry.to_numpy(), COVER_TILE_M)
        self.run = inputs.run  # the base run's intermediates, shared with the measures
        self.versions = dict.fromkeys(EDITED_LAYERS, 0)  # edits so far, per layer

    def add_green(self, key: Hashable, row: dict[str, Any]) -> None:
        self.green.added[key] = row
        self.versions["green_spaces"] += 1

    def remove_green(self, key: Hashable) -> None:
        if self.green.added.pop(key, None) is None:
            self.green.removed.add(key)
        self.versions["green_spaces"] += 1

    def add_parcel(self, key: Hashable, row: dict[str, Any]) -> None:
        self.parcels.added[key] = row
        self.versions["land_use"] += 1

    def remove_parcel(self, key: Hashable) -> None:
        if self.parcels.added.pop(key, None) is None:
            self.parcels.removed.add(key)
        self.versions["land_use"] += 1

    def edited(self, names: tuple[str, ...]) -> bool:
        """Whether any of the layers ``names`` differs from the assessed one now (edits taken
        out again leave it as it was)."""
        rows = {"green_spaces": self.green, "land_use": self.parcels}
        for name in names:
            if name in rows and (rows[name].added or rows[name].removed):
                return True
            if name in ("canopy", "vegetation") and self.canopy.corridors:
                return True
        return False

    def shade(self, key: Hashable, corridor: shapely.Geometry) -> None:
        self.canopy.shade(key, corridor)
        self.versions["canopy"] += 1
        self.versions["vegetation"] += 1

    def unshade(self, key: Hashable) -> shapely.Geometry:
        corridor = self.canopy.unshade(key)
        self.versions["canopy"] += 1
        self.versions["vegetation"] += 1
        return corridor


EDITED_LAYERS = ("green_spaces", "land_use", "canopy", "vegetation")


class MeasureState(Protocol):
    reads: tuple[str, ...]  # the edited layers its measure reads

    def add_green(self, key: Hashable) -> None: ...
    def remove_green(self, key: Hashable) -> None: ...
    def add_parcel(self, key: Hashable) -> None: ...
    def remove_parcel(self, key: Hashable) -> None: ...
    def series(self) -> pd.Series | None: ...  # None: as in the base run


class _Rowset:
    """Rows (pieces or cells) with a zone and a parcel label; appendable, removable by parcel,
    summed per zone."""

    def __init__(self, zones: pd.Index, zone: npt.NDArray[Any], label: npt.NDArray[Any]) -> None:
        self.zones = zones
        self.zone = zones.get_indexer(pd.Index(zone))
        self.label = np.asarray(label).astype(object)
        self.alive = np.ones(len(self.zone), dtype=bool)
        self.edits = 0  # rows appended or dropped so far
        self._totals: tuple[int, int, pd.Series] | None = None  # sums of the fixed values

    def append_rows(self, zone: npt.NDArray[Any], key: Hashable) -> None:
        self.zone = np.concatenate([self.zone, self.zones.get_indexer(pd.Index(zone))])
        labels = np.empty(len(zone), dtype=object)
        labels[:] = [key] * len(zone)
        self.label = np.concatenate([self.label, labels])
        self.alive = np.concatenate([self.alive, np.ones(len(zone), dtype=bool)])
        self.edits += 1

    def drop(self, key: Hashable) -> None:
        self.alive &= self.label != key
        self.edits += 1

    def fixed_sums(self, values: npt.NDArray[np.float64]) -> pd.Series:
        """:meth:`sums` of values that change only with the rows (the rows' areas), kept
        until rows are appended or dropped."""
        kept = self._totals
        if kept is None or kept[0] != self.edits or kept[1] != id(values):
            kept = self._totals = (self.edits, id(values), self.sums(values))
        return kept[2].copy()

    def sums(self, values: npt.NDArray[np.float64]) -> pd.Series:
        """Per zone: the sum of ``values`` (one per row) over the rows left."""
        if self.edits == 0:  # every row alive: no copies of the arrays
            totals = np.bincount(self.zone, weights=values, minlength=len(self.zones))
            return pd.Series(totals, index=self.zones, dtype=float)
        alive = self.alive
        totals = np.bincount(self.zone[alive], weights=values[alive], minlength=len(self.zones))
        return pd.Series(totals, index=self.zones, dtype=float)


class _Pieces(_Rowset):
    """Residential pieces with their geometries, found again by location."""

    def __init__(
        self,
        zones: pd.Index,
        geoms: npt.NDArray[np.object_],
        zone: npt.NDArray[Any],
        label: npt.NDArray[Any],
    ) -> None:
        super().__init__(zones, zone, label)
        self.geoms = np.asarray(geoms, dtype=object)
        self.n_base = len(self.geoms)
        self.tree = shapely.STRtree(self.geoms)

    def query(self, geom: shapely.Geometry) -> npt.NDArray[np.int64]:
        hits = np.asarray(self.tree.query(geom, predicate="intersects"), dtype=np.int64)
        extra = np.flatnonzero(shapely.intersects(self.geoms[self.n_base :], geom)) + self.n_base
        out: npt.NDArray[np.int64] = np.concatenate([hits, extra])
        return out[self.alive[out]]

    def append(self, geoms: npt.NDArray[np.object_], zone: npt.NDArray[Any], key: Hashable) -> None:
        self.geoms = np.concatenate([self.geoms, np.asarray(geoms, dtype=object)])
        self.append_rows(zone, key)


def _residential(layers: Layers, key: Hashable | None = None) -> gpd.GeoDataFrame:
    """Residential pieces by zone with the parcel key in ``parcel`` (all, or one parcel's)."""
    land = layers.parcels.frame if key is None else layers.parcels.one(key)
    pieces = shared(layers.run, residential_pieces, land, layers.zones)
    residential = land[land["category"] == "residential"]
    return pieces.assign(parcel=residential.index.to_numpy()[pieces["source"].to_numpy()])


def _eligible(layers: Layers, p: Mapping[str, Any], key: Hashable | None) -> gpd.GeoDataFrame:
    green = layers.green.frame if key is None else layers.green.one(key)
    return eligible_parks(
        green,
        layers.historic,
        bands=p["bands"],
        eligible_classes=p["eligible_classes"],
        require_open=p.get("require_open", True),
    )


class StraightCoverage:
    """park_service_coverage: the buffers' tiled union and each piece's covered area."""

    name = "park_service_coverage"
    reads: tuple[str, ...] = ("green_spaces", "land_use")

    def __init__(
        self, params: Mapping[str, Any], layers: Layers, *, cover: EditableCover | None = None
    ) -> None:
        self.p, self.layers = params, layers
        self.quad_segs = int(params.get("quad_segs", 16))
        covered: npt.NDArray[np.float64] | None = None
        if cover is None:  # the service cover and covered areas of the base run's measure
            served, covered = self._base_run(layers)
            cover = EditableCover(served.parks.index, served.buffers, union=served.cover)
        self.cover = cover
        pieces = _residential(layers)
        self.pieces = _Pieces(
            layers.zones.index,
            pieces.geometry.to_numpy(),
            pieces["zone_id"].to_numpy(),
            pieces["parcel"].to_numpy(),
        )
        self.area = shapely.area(self.pieces.geoms)
        self.covered = (
            self.cover.overlap_areas(self.pieces.geoms) if covered is None else covered.copy()
        )

    def _base_run(self, layers: Layers) -> tuple[ServiceCover, npt.NDArray[np.float64]]:
        method = {
            "bands": self.p["bands"],
            "eligible_classes": self.p["eligible_classes"],
            "require_open": self.p.get("require_open", True),
            "quad_segs": self.p.get("quad_segs", 16),  # as the measure has it (the run's key)
        }
        green, run = layers.green.frame, layers.run
        served = shared(run, service_cover, green, layers.historic, run, **method)
        land = layers.parcels.frame
        pieces = shared(
            run, covered_pieces, layers.zones, land, green, layers.historic, run, **method
        )
        return served, pieces.covered_m2

    def _buffers(self, parks: gpd.GeoDataFrame) -> npt.NDArray[np.object_]:
        return np.asarray(
            shapely.buffer(
                parks.geometry.to_numpy(), parks["radius_m"].to_numpy(), quad_segs=self.quad_segs
            ),
            dtype=object,
        )

    def _recount(self, reach: shapely.Geometry) -> None:
        idx = self.pieces.query(reach)
        self.covered[idx] = self.cover.overlap_areas(self.pieces.geoms[idx])

    def add_green(self, key: Hashable) -> None:
        parks = _eligible(self.layers, self.p, key)
        if len(parks):
            buffer = self._buffers(parks)[0]
            self.cover.add(key, buffer)
            self._recount(buffer)

    def remove_green(self, key: Hashable) -> None:
        if key in self.cover:
            buffer = self.cover.geometry(key)
            self.cover.remove(key)
            self._recount(buffer)

    def add_parcel(self, key: Hashable) -> None:
        pieces = _residential(self.layers, key)
        geoms = pieces.geometry.to_numpy()
        self.pieces.append(geoms, pieces["zone_id"].to_numpy(), key)
        self.area = np.concatenate([self.area, shapely.area(geoms)])
        self.covered = np.concatenate([self.covered, self.cover.overlap_areas(geoms)])

    def remove_parcel(self, key: Hashable) -> None:
        self.pieces.drop(key)

    def series(self) -> pd.Series:
        return ratio_result(
            self.pieces.sums(self.covered),
            self.pieces.fixed_sums(self.area),
            name=self.name,
            numerator_unit="m2",
            denominator_unit="m2",
        )


class WalkingCoverage:
    """park_service_coverage_walking: network distance to every node per radius, and the
    residential cells snapped to the network."""

    reads: tuple[str, ...] = ("green_spaces", "land_use")

    def __init__(self, params: Mapping[str, Any], layers: Layers) -> None:
        assert layers.walk_graph is not None
        self.p, self.layers, self.graph = params, layers, layers.walk_graph
        self.cell_size = float(params.get("cell_size_m", 25.0))
        self.max_entrance = float(params.get("entrance_max_distance_m", 50.0))
        reach = self._base_reach(layers)  # the base run's measure walked these
        parks = reach.parks
        if reach.snap is None:
            park_i, node_i = entrance_nodes(self.graph, parks, layers.gates, self.max_entrance)
        else:
            park_i, node_i = reach.park_i, reach.node_i
        keys = parks.index.to_numpy()
        radii = parks["radius_m"].to_numpy()
        order = np.argsort(park_i, kind="stable")
        split = np.searchsorted(park_i[order], np.arange(len(parks) + 1)).tolist()
        nodes_by_park = node_i[order]
        self.entrances: dict[Hashable, tuple[float, npt.NDArray[np.int64]]] = {
            key: (radius, nodes_by_park[start:end])
            for key, radius, start, end in zip(
                keys.tolist(), radii.astype(float).tolist(), split[:-1], split[1:], strict=True
            )
        }
        self.node_distance = {
            float(r): reach.node_distance[float(r)].copy()  # the engine's own: edits change it
            if reach.snap is not None
            else multi_source_distances(self.graph, node_i[radii[park_i] == r], float(r))
            for r in np.unique(radii)
        }
        zone, label, self.cell_area, self.snap = self._cells(
            _residential(layers), reach.table, reach.snap
        )
        self.cells = _Rowset(layers.zones.index, zone, label)
        self.covered = self._covered(slice(None))  # every cell, without copying the snap

    def _base_reach(self, layers: Layers) -> WalkingReach:
        """The residential cells the base run's measure cut, snapped to the network, and the
        parks' reach over the network (shared with the measure)."""
        p = self.p
        reach: WalkingReach = shared(
            layers.run,
            walking_reach,
            layers.zones,
            layers.parcels.frame,
            layers.green.frame,
            self.graph,
            layers.gates,
            layers.historic,
            layers.run,
            bands=p["bands"],
            eligible_classes=p["eligible_classes"],
            require_open=p.get("require_open", True),
            entrance_max_distance_m=p.get("entrance_max_distance_m", 50.0),
            cell_size_m=p.get("cell_size_m", 25.0),
        )
        return reach

    def _cells(
        self,
        pieces: gpd.GeoDataFrame,
        table: CellTable | None = None,
        found: Snap | None = None,
    ) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[np.float64], dict[str, Any]]:
        """The pieces' cells (as the measure cuts and snaps them, or ``table``, the cells it
        cut of the same pieces, and ``found``, its snap of them): zone, parcel, area, snap."""
        if table is None:
            table = cell_table(pieces.geometry.to_numpy(), self.cell_size)
        fields = ("distance", "node_u", "node_v", "to_u", "to_v")
        if len(table.key) == 0:
            snap: dict[str, Any] = {
                f: np.zeros(0, dtype=np.int64 if "node" in f else float) for f in fields
            }
        else:
            if found is None:
                first = table.first_of_key()
                found = snap_xy(self.graph, np.stack([table.x[first], table.y[first]], axis=1))
            snap = {f: getattr(found, f)[table.key] for f in fields}
        at = table.piece
        return pieces["zone_id"].to_numpy()[at], pieces["parcel"].to_numpy()[at], table.area, snap

    def add_green(self, key: Hashable) -> None:
        parks = _eligible(self.layers, self.p, key)
        if len(parks) == 0:
            return
        radius = float(parks["radius_m"].iloc[0])
        _, nodes = entrance_nodes(self.graph, parks, self.layers.gates, self.max_entrance)
        self.entrances[key] = (radius, nodes)
        reach = multi_source_distances(self.graph, nodes, radius)
        current = self.node_distance.get(radius)
        if current is None:
            current = self.node_distance[radius] = np.full(self.graph.n_nodes, np.inf)
        closer = reach < current
        current[closer] = reach[closer]
        self._recheck(closer)

    def remove_green(self, key: Hashable) -> None:
        if key not in self.entrances:
            return
        radius, nodes = self.entrances.pop(key)
        if nodes.size == 0:
            return
        ball = multi_source_distances(self.graph, nodes, radius) <= radius
        # a source that reaches a node of the ball within `radius` lies within 2 × radius
        # (straight line) of a removed entrance
        xy = self.graph.nodes
        lo = xy[nodes].min(axis=0) - 2 * radius
        hi = xy[nodes].max(axis=0) + 2 * radius
        others = [n for r, n in self.entrances.values() if r == radius and n.size]
        sources = np.concatenate(others) if others else np.zeros(0, dtype=np.int64)
        near = np.all((xy[sources] >= lo) & (xy[sources] <= hi), axis=1)
        local = multi_source_distances(self.graph, sources[near], radius)
        self.node_distance[radius][ball] = local[ball]
        self._recheck(ball)

    def _covered(self, cells: npt.NDArray[np.int64] | slice) -> npt.NDArray[np.bool_]:
        s = {k: v[cells] for k, v in self.snap.items()}
        covered = np.zeros(len(s["distance"]), dtype=bool)
        for radius, nodes in self.node_distance.items():
            via_u = nodes[s["node_u"]] + s["to_u"]
            via_v = nodes[s["node_v"]] + s["to_v"]
            covered |= s["distance"] + np.minimum(via_u, via_v) <= radius
        return covered

    def _recheck(self, nodes: npt.NDArray[np.bool_]) -> None:
        """Decide again the cells next to ``nodes`` (whose distances changed)."""
        cells = np.flatnonzero(nodes[self.snap["node_u"]] | nodes[self.snap["node_v"]])
        self.covered[cells] = self._covered(cells)

    def add_parcel(self, key: Hashable) -> None:
        zone, _, area, snap = self._cells(_residential(self.layers, key))
        self.cells.append_rows(zone, key)
        self.cell_area = np.concatenate([self.cell_area, area])
        self.snap = {k: np.concatenate([v, snap[k]]) for k, v in self.snap.items()}
        start = len(self.covered)
        self.covered = np.concatenate(
            [self.covered, self._covered(np.arange(start, len(self.cell_area)))]
        )

    def remove_parcel(self, key: Hashable) -> None:
        self.cells.drop(key)

    def series(self) -> pd.Series:
        return ratio_result(
            self.cells.sums(np.where(self.covered, self.cell_area, 0.0)),
            self.cells.fixed_sums(self.cell_area),
            name="park_service_coverage_walking",
            numerator_unit="m2",
            denominator_unit="m2",
        )


class _GreenOnly:
    """A state that residential edits do not touch."""

    reads: tuple[str, ...] = ("green_spaces",)

    def add_parcel(self, key: Hashable) -> None:
        return None

    def remove_parcel(self, key: Hashable) -> None:
        return None


class ParkArea(_GreenOnly):
    """park_area_per_capita: the parks' tiled union and its area per zone."""

    def __init__(self, params: Mapping[str, Any], layers: Layers) -> None:
        self.p, self.layers = params, layers
        parks = layers.green.frame[self._is_park(layers.green.frame)]
        self.parks = ZonedCover(list(parks.index), parks.geometry.to_numpy(), layers.grid)

    def _is_park(self, green: pd.DataFrame) -> pd.Series:
        ok = matches_classes(green["green_class"], self.p["park_classes"])
        if self.p.get("require_open", False) and "is_open" in green:
            ok &= green["is_open"].fillna(True).astype(bool)
        return ok

    def add_green(self, key: Hashable) -> None:
        one = self.layers.green.one(key)
        if bool(self._is_park(one).iloc[0]):
            self.parks.update(self.parks.cover.add(key, one.geometry.iloc[0]))

    def remove_green(self, key: Hashable) -> None:
        if key in self.parks.cover:
            self.parks.update(self.parks.cover.remove(key))

    def series(self) -> pd.Series:
        zones = self.layers.zones
        return ratio_result(
            pd.Series(self.parks.totals(), index=zones.index),
            zones["population"],
            name="park_area_per_capita",
            scale=1.0,
            numerator_unit="m2",
            denominator_unit="persons",
        )


class ParksPer10k(_GreenOnly):
    """parks_per_10k: which zones hold each counted park's representative point."""

    def __init__(self, params: Mapping[str, Any], layers: Layers) -> None:
        self.p, self.layers = params, layers
        self.members: dict[Hashable, npt.NDArray[np.bool_]] = {}
        green = layers.green.frame
        for key, inside in zip(green.index, self._zones_of(green), strict=True):
            if inside is not None:
                self.members[key] = inside

    def _zones_of(self, green: gpd.GeoDataFrame) -> list[npt.NDArray[np.bool_] | None]:
        geoms = green.geometry.to_numpy()
        counted = matches_classes(green["green_class"], self.p["park_classes"]).to_numpy().copy()
        counted[counted] = shapely.area(geoms[counted]) >= float(self.p.get("min_area_m2", 0.0))
        points = shapely.point_on_surface(geoms[counted])  # of the counted parks only
        zone_geoms = prepared_copies(self.layers.zones.geometry.to_numpy())
        inside = np.zeros((len(geoms), len(zone_geoms)), dtype=bool)
        if len(points):
            inside[counted] = np.stack([shapely.contains(z, points) for z in zone_geoms], axis=1)
        return [inside[i] if counted[i] else None for i in range(len(geoms))]

    def add_green(self, key: Hashable) -> None:
        inside = self._zones_of(self.layers.green.one(key))[0]
        if inside is not None:
            self.members[key] = inside

    def remove_green(self, key: Hashable) -> None:
        self.members.pop(key, None)

    def series(self) -> pd.Series:
        zones = self.layers.zones
        counts = np.zeros(len(zones))
        for inside in self.members.values():
            counts += inside
        return parks_per_10k_result(zones, pd.Series(counts, index=zones.index, dtype=float))
