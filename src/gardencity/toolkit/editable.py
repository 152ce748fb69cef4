"""A tiled union that polygons can join and leave again, for incremental what-if runs."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence

import numpy as np
import numpy.typing as npt
import shapely

from gardencity.io.threads import work_pool
from gardencity.toolkit.cover import TiledCover

__all__ = ["EditableCover", "per_tile"]

Tile = tuple[int, int]


def per_tile(
    areas: Callable[[Tile], npt.NDArray[np.float64]], tiles: Sequence[Tile]
) -> dict[Tile, npt.NDArray[np.float64]]:
    """``areas`` of each of ``tiles``: on two threads for many tiles (GEOS releases the GIL;
    the same areas), in this thread for an edit's few."""
    if len(tiles) < 8:
        return {tile: areas(tile) for tile in tiles}
    with work_pool() as pool:
        return dict(zip(tiles, pool.map(areas, tiles), strict=True))


class EditableCover(TiledCover):
    """The union of keyed polygons, kept tile by tile (as :class:`TiledCover`).

    Adding a polygon unions it into the tiles it touches; removing one re-unions those tiles
    from the polygons left. Either way only a few tiles change, and :meth:`overlap_areas` and
    :meth:`tile_zone_areas` can be asked again for what those tiles touch.

    Parameters
    ----------
    keys
        One key per polygon (e.g. the row labels of a layer).
    polygons
        The polygons.
    tile_m
        The tiles' side in metres.
    union
        The union of the same ``polygons`` with the same ``tile_m``, already built (a
        :class:`TiledCover` a measure computed in the run): its tiles are taken as they are.
    lazy
        Union a tile only when it is first asked for (an edit or an overlap reaches it): a
        cover of which edits touch a few tiles is ready at once. Each tile is unioned from the
        same polygons as the whole cover would be, so the pieces are the same.

    Examples
    --------
    >>> cover = EditableCover(["a"], [shapely.box(0, 0, 100, 100)], tile_m=50)
    >>> cover.area
    10000.0
    >>> sorted(cover.add("b", shapely.box(50, 0, 150, 100)))
    [(1, 0), (1, 1), (2, 0), (2, 1)]
    >>> cover.area, cover.remove("a") and cover.area
    (15000.0, 10000.0)
    >>> lazy = EditableCover(["a"], [shapely.box(0, 0, 100, 100)], tile_m=50, lazy=True)
    >>> len(lazy.pieces), lazy.overlap_areas([shapely.box(0, 0, 10, 10)]).tolist()
    (0, [100.0])
    >>> sorted(lazy.pieces)
    [(0, 0)]
    """

    def __init__(
        self,
        keys: Iterable[Hashable],
        polygons: npt.ArrayLike,
        tile_m: float = 2000.0,
        *,
        union: TiledCover | None = None,
        lazy: bool = False,
    ) -> None:
        self.tile_m = tile_m
        geoms = np.asarray(polygons, dtype=object)
        self._keys = list(keys)
        if len(self._keys) != len(geoms):
            raise ValueError("one key per polygon")
        self._geoms = geoms
        self._alive = ~shapely.is_empty(geoms) if len(geoms) else np.zeros(0, dtype=bool)
        self._position = {key: i for i, key in enumerate(self._keys)}
        self._tree = shapely.STRtree(geoms)
        self._added: dict[Hashable, shapely.Geometry] = {}
        self._edits = 0  # edits so far; per tile, the edit that last changed it
        self._changed_by: dict[Tile, int] = {}
        self._before: dict[Hashable, tuple[int, dict[Tile, shapely.Geometry | None]]] = {}
        self._unbuilt: set[Tile] | None = None  # tiles of a lazy cover not unioned yet
        if lazy:
            self.pieces = {}
            self._unbuilt = self._tiles_in(shapely.bounds(geoms[self._alive]))
            self._refresh()
        elif union is not None and union.tile_m == tile_m:
            self.pieces = dict(union.pieces)  # a copy: edits never reach the run's union
            self._refresh()
        else:
            super().__init__(geoms, tile_m)

    def _tiles_in(self, bounds: npt.NDArray[np.float64]) -> set[Tile]:
        """The tiles the boxes ``bounds`` (rows x0, y0, x1, y1) reach."""
        m = self.tile_m
        lo = np.floor(bounds[:, :2] / m).astype(np.int64)
        hi = np.floor(bounds[:, 2:] / m).astype(np.int64)
        return {
            (ix, iy)
            for (x0, y0), (x1, y1) in zip(lo.tolist(), hi.tolist(), strict=True)
            for ix in range(x0, x1 + 1)
            for iy in range(y0, y1 + 1)
        }

    def _build(self, tiles: Iterable[Tile] | None = None) -> None:
        """Union the not yet unioned ``tiles`` (all when None) of a lazy cover, from the
        polygons given at the start, as the whole cover unions them."""
        if not self._unbuilt:
            return
        todo = set(self._unbuilt) if tiles is None else self._unbuilt.intersection(tiles)
        for tile in sorted(todo):
            box = self._box(tile)
            hits = np.asarray(self._tree.query(box, predicate="intersects"), dtype=np.int64)
            members = self._geoms[hits[~shapely.is_empty(self._geoms[hits])]]
            piece = self._union_in_tile(members, box) if len(members) else None
            self._set(tile, piece)
            self._unbuilt.discard(tile)
        if todo:
            self._refresh()

    def __contains__(self, key: Hashable) -> bool:
        if key in self._added:
            return True
        i = self._position.get(key)
        return i is not None and bool(self._alive[i])

    def geometry(self, key: Hashable) -> shapely.Geometry:
        if key in self._added:
            return self._added[key]
        return self._geoms[self._position[key]]

    def near(self, geom: shapely.Geometry, distance: float) -> bool:
        """Whether a polygon of the cover lies within ``distance`` of ``geom``."""
        if len(self._geoms):
            hits = np.asarray(
                self._tree.query(geom, predicate="dwithin", distance=distance), dtype=np.int64
            )
            if self._alive[hits].any():
                return True
        added = np.asarray(list(self._added.values()), dtype=object)
        return bool(len(added) and shapely.dwithin(added, geom, distance).any())

    def _box(self, tile: Tile) -> shapely.Geometry:
        ix, iy = tile
        m = self.tile_m
        return shapely.box(ix * m, iy * m, (ix + 1) * m, (iy + 1) * m)

    def tiles_of(self, geom: shapely.Geometry) -> list[Tile]:
        """The tiles ``geom`` has area in."""
        x0, y0, x1, y1 = shapely.bounds(geom)
        m = self.tile_m
        candidates = [
            (ix, iy)
            for ix in range(int(np.floor(x0 / m)), int(np.floor(x1 / m)) + 1)
            for iy in range(int(np.floor(y0 / m)), int(np.floor(y1 / m)) + 1)
        ]
        boxes = np.array([self._box(t) for t in candidates], dtype=object)
        hit = shapely.intersects(geom, boxes) & ~shapely.touches(geom, boxes)
        return [t for t, h in zip(candidates, hit, strict=True) if h]

    def _members(self, box: shapely.Geometry) -> npt.NDArray[np.object_]:
        hits = self._tree.query(box, predicate="intersects") if len(self._geoms) else []
        hits = np.asarray(hits, dtype=np.int64)
        members = list(self._geoms[hits[self._alive[hits]]])
        members += [g for g in self._added.values() if shapely.intersects(g, box)]
        return np.asarray(members, dtype=object)

    def _rebuild(self, tiles: Iterable[Tile]) -> None:
        self._edits += 1
        for tile in tiles:
            self._changed_by[tile] = self._edits
            if self._unbuilt:
                self._unbuilt.discard(tile)
            box = self._box(tile)
            members = self._members(box)
            piece = self._union_in_tile(members, box) if len(members) else None
            self._set(tile, piece)
        self._refresh()

    def _set(self, tile: Tile, piece: shapely.Geometry | None) -> None:
        if piece is None or piece.is_empty or piece.area <= 0:
            self.pieces.pop(tile, None)
        else:
            self.pieces[tile] = piece

    def add(self, key: Hashable, geom: shapely.Geometry) -> set[Tile]:
        """Union ``geom`` in under ``key``; the tiles that changed."""
        if key in self:
            raise KeyError(f"{key!r} is already in the cover")
        changed = set(self.tiles_of(geom))
        self._build(changed)
        self._added[key] = geom
        self._edits += 1
        self._before[key] = (self._edits, {tile: self.pieces.get(tile) for tile in changed})
        for tile in changed:
            self._changed_by[tile] = self._edits
            part = shapely.intersection(geom, self._box(tile))
            old = self.pieces.get(tile)
            self._set(tile, part if old is None else shapely.union(old, part))
        self._refresh()
        return changed

    def remove(self, key: Hashable) -> set[Tile]:
        """Take the polygon ``key`` out again; the tiles that changed."""
        if key in self._added:
            geom = self._added.pop(key)
            edit, before = self._before.pop(key)
            if all(self._changed_by.get(tile) == edit for tile in before):
                return self._restore(before)  # nothing else changed its tiles since
        else:
            i = self._position.get(key)
            if i is None or not self._alive[i]:
                raise KeyError(f"{key!r} is not in the cover")
            geom = self._geoms[i]
            self._alive[i] = False
        changed = set(self.tiles_of(geom))
        self._rebuild(changed)
        return changed

    def _restore(self, before: dict[Tile, shapely.Geometry | None]) -> set[Tile]:
        """The tiles as they were before an addition (taken out again)."""
        self._edits += 1
        for tile, piece in before.items():
            self._changed_by[tile] = self._edits
            self._set(tile, piece)
        self._refresh()
        return set(before)

    # The tree over the pieces is rebuilt only when a large query needs it: an edit touches a
    # few tiles, and a few polygons find their tiles by arithmetic on the grid.
    _SMALL = 2000

    def _refresh(self) -> None:
        self._stale = True

    def _ensure(self) -> None:
        self._build()
        if getattr(self, "_stale", True):
            TiledCover._refresh(self)
            self._stale = False

    @property
    def area(self) -> float:
        self._build()
        return float(sum(shapely.area(p) for p in self.pieces.values()))

    def outside_parts(self, polygons: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
        self._ensure()
        return super().outside_parts(polygons)

    def minus(self, other: TiledCover) -> TiledCover:
        self._ensure()
        return super().minus(other)

    def overlap_areas(self, polygons: npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
        """Area of each polygon inside the union (as :meth:`TiledCover.overlap_areas`)."""
        polygons = np.asarray(polygons, dtype=object)
        if len(polygons) > self._SMALL or len(polygons) == 0 or not (self.pieces or self._unbuilt):
            self._ensure()
            return super().overlap_areas(polygons)
        m = self.tile_m
        bounds = shapely.bounds(polygons)
        self._build(self._tiles_in(bounds))
        lo = np.floor(bounds[:, :2] / m).astype(np.int64)
        hi = np.floor(bounds[:, 2:] / m).astype(np.int64)
        poly_i, keys = [], []
        for i in range(len(polygons)):
            for ix in range(lo[i, 0], hi[i, 0] + 1):
                for iy in range(lo[i, 1], hi[i, 1] + 1):
                    if (ix, iy) in self.pieces:
                        poly_i.append(i)
                        keys.append((ix, iy))
        if not keys:
            return np.zeros(len(polygons))
        pieces = np.array([self.pieces[k] for k in keys], dtype=object)
        tiles = np.array([self._box(k) for k in keys], dtype=object)
        index = np.asarray(poly_i, dtype=np.int64)
        shapely.prepare(pieces)
        inside = shapely.contains_properly(pieces, polygons[index])
        return self._pair_areas(polygons, index, pieces, tiles, inside)

    def tile_zone_areas(
        self, zones: npt.NDArray[np.object_], tiles: Iterable[Tile]
    ) -> dict[Tile, npt.NDArray[np.float64]]:
        """For each of ``tiles``: the area of its piece inside each zone (zeros if empty)."""
        tiles = list(tiles)
        self._build(tiles)

        def areas(tile: Tile) -> npt.NDArray[np.float64]:
            piece = self.pieces.get(tile)
            if piece is None:
                return np.zeros(len(zones))
            found: npt.NDArray[np.float64] = shapely.area(shapely.intersection(zones, piece))
            return found

        return per_tile(areas, tiles)
