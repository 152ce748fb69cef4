"""Tiled unions with their area inside each zone, kept per tile (see engine.py)."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from gardencity.io.threads import prepared_copies
from gardencity.toolkit import EditableCover, Tile, TiledCover, per_tile

__all__ = ["ZoneGrid", "ZonedCover"]


class ZoneGrid:
    """The zones seen tile by tile: per tile, the zones that hold it whole and the parts of
    the others inside it (each found once, then kept).

    The area of a tile's piece inside each zone is then measured as a tiled cover measures a
    zone (:meth:`TiledCover.overlap_areas`), pair by pair: a zone inside the piece counts
    whole, a zone that holds the tile counts the whole piece, and a zone larger than a tile is
    cut to the tile before it is intersected with the piece.
    """

    def __init__(self, zone_geoms: npt.NDArray[np.object_], tile_m: float) -> None:
        self.geoms = np.asarray(zone_geoms, dtype=object)
        self.bounds = shapely.bounds(self.geoms)
        self.tile_m = tile_m
        self._tiles: dict[Tile, tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], Any]] = {}
        self._prepare()

    def _prepare(self) -> None:
        """The zones as tested against tiles: copies prepared once (the caller's zones left
        as they are), shared by the tiles of several threads, so tested one thread at a time,
        since a GEOS prepared geometry is not thread-safe (libgeos/geos#825)."""
        self._tested = prepared_copies(self.geoms)
        self._testing = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:  # a saved engine keeps no lock, nor copies
        return {k: v for k, v in self.__dict__.items() if k not in ("_testing", "_tested")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._prepare()

    def __len__(self) -> int:
        return len(self.geoms)

    def box(self, tile: Tile) -> shapely.Geometry:
        ix, iy = tile
        m = self.tile_m
        return shapely.box(ix * m, iy * m, (ix + 1) * m, (iy + 1) * m)

    def _split(self, tile: Tile) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], Any]:
        """The zones holding ``tile`` whole, the others whose boxes meet it, and their parts
        to intersect (cut to the tile when larger than one)."""
        kept = self._tiles.get(tile)
        if kept is not None:
            return kept
        box = self.box(tile)
        tb = np.asarray(shapely.bounds(box))
        zb = self.bounds
        near = np.flatnonzero((zb[:, :2] <= tb[2:]).all(axis=1) & (zb[:, 2:] >= tb[:2]).all(axis=1))
        spans = (zb[near, :2] <= tb[:2]).all(axis=1) & (zb[near, 2:] >= tb[2:]).all(axis=1)
        if spans.any():
            with self._testing:
                spans[spans] = shapely.contains_properly(self._tested[near[spans]], box)
        whole, cut = near[spans], near[~spans]
        local = self.geoms[cut].copy()
        beyond = ((zb[cut, 2:] - zb[cut, :2]) > self.tile_m).any(axis=1)
        if beyond.any():
            local[beyond] = shapely.intersection(self.geoms[cut[beyond]], box)
        kept = self._tiles[tile] = (whole, cut, local)
        return kept

    def areas(self, tile: Tile, piece: shapely.Geometry | None) -> npt.NDArray[np.float64]:
        """The area of ``piece`` (the union's part in ``tile``) inside each zone."""
        out = np.zeros(len(self.geoms))
        if piece is None or piece.is_empty:
            return out
        whole, cut, local = self._split(tile)
        if whole.size:
            out[whole] = shapely.area(piece)
        if cut.size:
            pb = np.asarray(shapely.bounds(piece))
            zb = self.bounds[cut]
            meet = (zb[:, :2] <= pb[2:]).all(axis=1) & (zb[:, 2:] >= pb[:2]).all(axis=1)
            inside = meet & (pb[:2] < zb[:, :2]).all(axis=1) & (pb[2:] > zb[:, 2:]).all(axis=1)
            if inside.any():
                inside[inside] = shapely.contains_properly(piece, self.geoms[cut[inside]])
                out[cut[inside]] = shapely.area(self.geoms[cut[inside]])
            rest = meet & ~inside
            if rest.any():
                out[cut[rest]] = shapely.area(shapely.intersection(local[rest], piece))
        return out


class ZonedCover:
    """An editable tiled union with its area inside each zone, kept per tile."""

    def __init__(
        self,
        keys: Sequence[Hashable],
        geoms: npt.NDArray[np.object_],
        grid: ZoneGrid,
        union: TiledCover | None = None,
    ):
        self.grid = grid
        self.cover = EditableCover(keys, geoms, tile_m=grid.tile_m, union=union)
        self.rows = self.tile_areas(self.cover.pieces)

    def tile_areas(self, tiles: Iterable[Tile]) -> dict[Tile, npt.NDArray[np.float64]]:
        """For each of ``tiles``: the area of its piece inside each zone (zeros if empty)."""
        pieces = self.cover.pieces
        return per_tile(lambda tile: self.grid.areas(tile, pieces.get(tile)), list(tiles))

    def update(self, tiles: set[Tile]) -> None:
        self.rows.update(self.tile_areas(tiles))

    def totals(self) -> npt.NDArray[np.float64]:
        if not self.rows:
            return np.zeros(len(self.grid))
        total: npt.NDArray[np.float64] = np.sum(np.stack(list(self.rows.values())), axis=0)
        return total
