"""The union of many polygons, built and stored tile by tile, for exact overlap areas."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

from gardencity.io.threads import prepared_copies, work_pool
from gardencity.toolkit.overlap import intersections

__all__ = ["TiledCover", "components", "polygon_parts"]


def polygon_parts(geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """The polygons with area in ``geoms`` (multi-parts and collections split; lines, points,
    empty and missing geometries dropped).

    >>> parts = polygon_parts(np.array([shapely.MultiPolygon([shapely.box(0, 0, 1, 1),
    ...     shapely.box(2, 0, 3, 1)]), shapely.LineString([(0, 0), (1, 1)]), None]))
    >>> len(parts)
    2
    """
    parts = np.asarray(geoms, dtype=object)
    parts = parts[~shapely.is_missing(parts)] if len(parts) else parts
    while len(parts) and np.isin(shapely.get_type_id(parts), (4, 5, 6, 7)).any():
        parts = shapely.get_parts(parts)
    if len(parts) == 0:
        return np.empty(0, dtype=object)
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    polygons: npt.NDArray[np.object_] = parts[keep]
    return polygons


def components(n: int, a: npt.NDArray[np.intp], b: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """Connected-component label (smallest member) of ``n`` nodes joined by edges ``a``–``b``.

    Numpy alone (scipy's ``connected_components`` would do too, but importing scipy takes a
    tenth of a second, longer than the callers' graphs take).

    >>> components(5, np.array([0, 3]), np.array([2, 4])).tolist()
    [0, 1, 0, 3, 3]
    """
    labels = np.arange(n)
    while True:
        la, lb = labels[a], labels[b]
        differ = la != lb
        if not differ.any():
            return labels
        la, lb = la[differ], lb[differ]
        np.minimum.at(labels, np.maximum(la, lb), np.minimum(la, lb))
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped


def _intersecting_groups(parts: npt.NDArray[np.object_], rounds: int = 2) -> npt.NDArray[np.intp]:
    """:func:`components` of ``parts`` joined where they intersect.

    Of the pairs whose boxes meet, only those still between different groups are tested: in
    the first ``rounds`` one pair per polygon, then all that are left (a group joined by the
    pairs tested first needs no test inside it; the groups are the same as from every pair).
    """
    n = len(parts)
    a, b = shapely.STRtree(parts).query(parts)
    keep = a < b
    a, b = a[keep], b[keep]
    labels = np.arange(n)
    joined_a, joined_b = [a[:0]], [b[:0]]
    pending = np.arange(len(a))
    for r in range(rounds + 1):
        pending = pending[labels[a[pending]] != labels[b[pending]]]
        if not pending.size:
            break
        test = pending
        if r < rounds:  # the first pair left of each polygon
            _, first = np.unique(a[pending], return_index=True)
            test = pending[first]
            pending = np.delete(pending, first)
        hit = shapely.intersects(parts[a[test]], parts[b[test]])
        joined_a.append(a[test[hit]])
        joined_b.append(b[test[hit]])
        labels = components(n, np.concatenate(joined_a), np.concatenate(joined_b))
    return labels


def _union_by_group(polygons: npt.NDArray[np.object_]) -> shapely.Geometry:
    """``union_all(polygons)``, computed group by group.

    Polygons that intersect nothing else are kept as they are and each group of polygons
    linked by intersections is unioned on its own; the groups do not even touch, so together
    they form a valid multipolygon (the same point set as one ``union_all``, much faster when
    most polygons stand alone).
    """
    parts = polygon_parts(polygons)
    if len(parts) == 0:
        return shapely.Polygon()
    if len(parts) == 1:
        return parts[0]
    labels = _intersecting_groups(parts)
    sizes = np.bincount(labels, minlength=len(parts))
    alone = sizes[labels] == 1
    out = [parts[alone]]
    grouped = np.flatnonzero(~alone)
    if len(grouped):
        order = grouped[np.argsort(labels[grouped], kind="stable")]
        starts = np.flatnonzero(np.r_[True, np.diff(labels[order]) != 0])
        ends = np.r_[starts[1:], len(order)]
        unions = [shapely.union_all(parts[order[i:j]]) for i, j in zip(starts, ends, strict=True)]
        out.append(polygon_parts(np.asarray(unions, dtype=object)))
    polygons_out = np.concatenate(out)
    if len(polygons_out) == 1:
        return polygons_out[0]
    return shapely.multipolygons(polygons_out)


class TiledCover:
    """The union of many polygons, built and stored tile by tile, for exact overlap areas.

    One ``union_all`` over hundreds of thousands of overlapping polygons is very slow, and so is
    intersecting small polygons with the resulting giant polygon. Here the polygons are clipped
    to square tiles (anchored at the CRS origin) and unioned per tile, each group of
    overlapping polygons on its own. Pieces of different tiles never overlap, so summing
    intersections with them is exact.

    Parameters
    ----------
    polygons
        The polygons (an object array; empty ones are ignored).
    tile_m
        The tiles' side in metres (smaller tiles: smaller unions, more of them).

    Attributes
    ----------
    pieces : dict
        Tile ``(ix, iy)`` → the union's part in that tile.
    tree : shapely.STRtree
        Over the pieces.

    Examples
    --------
    >>> import shapely
    >>> cover = TiledCover(np.array([shapely.box(0, 0, 3000, 10), shapely.box(0, 0, 10, 20),
    ...     shapely.box(5000, 0, 5010, 10)]), tile_m=2000.0)
    >>> round(cover.area, 6), sorted(cover.pieces)
    (30200.0, [(0, 0), (1, 0), (2, 0)])
    >>> cover.overlap_areas(np.array([shapely.box(0, 0, 100000, 5)])).tolist()
    [15050.0]
    """

    def __init__(self, polygons: npt.NDArray[np.object_], tile_m: float = 2000.0) -> None:
        self.tile_m = tile_m
        self.pieces: dict[tuple[int, int], shapely.Geometry] = {}
        polygons = polygons[~shapely.is_empty(polygons)] if len(polygons) else polygons
        if len(polygons):
            bounds = shapely.bounds(polygons)
            ix0, iy0 = np.floor(bounds[:, :2].min(axis=0) / tile_m).astype(int)
            ix1, iy1 = np.floor(bounds[:, 2:].max(axis=0) / tile_m).astype(int)
            keys = [(ix, iy) for ix in range(ix0, ix1 + 1) for iy in range(iy0, iy1 + 1)]
            tiles = np.array([self._tile(ix, iy) for ix, iy in keys], dtype=object)
            tile_i, poly_i = shapely.STRtree(polygons).query(tiles, predicate="intersects")
            ends = np.searchsorted(tile_i, np.arange(len(tiles) + 1))

            found: list[shapely.Geometry | None] = [None] * len(keys)

            def union(k: int) -> None:
                hits = poly_i[ends[k] : ends[k + 1]]
                found[k] = self._union_in_tile(polygons[hits], tiles[k])

            # tiles on two threads (GEOS releases the GIL), the busiest first so that neither
            # thread is left with a long one at the end; the same unions, kept in tile order
            busiest = np.argsort(-np.diff(ends), kind="stable")
            with work_pool() as pool:
                list(pool.map(union, busiest[np.diff(ends)[busiest] > 0]))
            for key, piece in zip(keys, found, strict=True):
                if piece is not None and not piece.is_empty and piece.area > 0:
                    self.pieces[key] = piece
        self._refresh()

    @staticmethod
    def _union_in_tile(
        polygons: npt.NDArray[np.object_], tile: shapely.Geometry
    ) -> shapely.Geometry:
        """The union of ``polygons`` inside ``tile`` (those wholly inside are not cut)."""
        parts = polygons.copy()
        # inside the (open) square exactly when the bounds are: contains_properly, without GEOS
        box, tile_box = shapely.bounds(parts), shapely.bounds(tile)
        cut = ~((box[:, :2] > tile_box[:2]).all(axis=1) & (box[:, 2:] < tile_box[2:]).all(axis=1))
        if cut.any():
            parts[cut] = shapely.intersection(parts[cut], tile)
        return _union_by_group(parts)

    def _tile(self, ix: int, iy: int) -> shapely.Geometry:
        t = self.tile_m
        return shapely.box(ix * t, iy * t, (ix + 1) * t, (iy + 1) * t)

    def _refresh(self) -> None:
        self._array = np.array(list(self.pieces.values()), dtype=object)
        self._tiles = np.array([self._tile(ix, iy) for ix, iy in self.pieces], dtype=object)
        self.tree = shapely.STRtree(self._array)

    def minus(self, other: TiledCover) -> TiledCover:
        """This cover without ``other`` (same tile size).

        >>> import shapely
        >>> a = TiledCover(np.array([shapely.box(0, 0, 10, 10)]))
        >>> a.minus(TiledCover(np.array([shapely.box(5, 0, 20, 10)]))).area
        50.0
        """
        out = TiledCover(np.empty(0, dtype=object), self.tile_m)
        for key, piece in self.pieces.items():
            rest = shapely.difference(piece, other.pieces[key]) if key in other.pieces else piece
            if not rest.is_empty and rest.area > 0:
                out.pieces[key] = rest
        out._refresh()
        return out

    @property
    def area(self) -> float:
        return float(shapely.area(self._array).sum()) if len(self._array) else 0.0

    def outside_parts(self, polygons: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
        """The part of each polygon outside the union (tile pieces subtracted in rounds).

        >>> import shapely
        >>> cover = TiledCover(np.array([shapely.box(0, 0, 10, 10)]))
        >>> [g.area for g in cover.outside_parts(np.array([shapely.box(5, 0, 20, 10)]))]
        [100.0]
        """
        out = np.asarray(polygons, dtype=object).copy()
        if len(self._array) == 0 or len(out) == 0:
            return out
        poly_i, piece_i = self.tree.query(out, predicate="intersects")
        order = np.argsort(poly_i, kind="stable")
        poly_i, piece_i = poly_i[order], piece_i[order]
        first = np.searchsorted(poly_i, poly_i, side="left")
        rank = np.arange(len(poly_i)) - first
        for r in range(int(rank.max()) + 1 if len(rank) else 0):
            sel = rank == r
            out[poly_i[sel]] = shapely.difference(out[poly_i[sel]], self._array[piece_i[sel]])
        return out

    def overlap_areas(self, polygons: npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
        """Area of each polygon inside the union.

        Per (polygon, piece) pair: a polygon inside the piece counts whole, a piece whose tile
        lies inside the polygon counts whole, otherwise a polygon larger than a tile is first
        cut to the tile (a huge zone polygon is then intersected only locally). The pairs are
        found from the pieces' side (each piece prepared once, tested against many small
        polygons), and a polygon given several times (one parcel in the city and in its
        district) is measured once.
        """
        polygons = np.asarray(polygons, dtype=object)
        if len(self._array) == 0 or len(polygons) == 0:
            return np.zeros(len(polygons))
        ids = np.fromiter(map(id, polygons), dtype=np.int64, count=len(polygons))
        _, first, again = np.unique(ids, return_index=True, return_inverse=True)
        if len(first) < len(polygons):
            areas: npt.NDArray[np.float64] = self._overlap_areas(polygons[first])[again]
            return areas
        return self._overlap_areas(polygons)

    def _overlap_areas(self, polygons: npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
        # pairs whose boxes meet, then the predicates on them, with the side that has fewer
        # geometries prepared: a few large polygons (zones) prepared once test the pieces
        # faster than every piece prepared against them, and the pieces prepared once test
        # many small polygons (parcels) faster than each parcel prepared (and released); the
        # caller's polygons are prepared as copies (:func:`prepared_copies`)
        piece_i, poly_i = shapely.STRtree(polygons).query(self._array)
        if len(polygons) > len(self._array):
            shapely.prepare(self._array)
            meet = shapely.intersects(self._array[piece_i], polygons[poly_i])
        else:
            meet = shapely.intersects(prepared_copies(polygons)[poly_i], self._array[piece_i])
        piece_i, poly_i = piece_i[meet], poly_i[meet]
        piece_box, poly_box = shapely.bounds(self._array)[piece_i], shapely.bounds(polygons)[poly_i]
        inside = (piece_box[:, :2] < poly_box[:, :2]).all(axis=1) & (
            piece_box[:, 2:] > poly_box[:, 2:]
        ).all(axis=1)
        if inside.any():
            shapely.prepare(self._array[piece_i[inside]])
            inside[inside] = shapely.contains_properly(
                self._array[piece_i[inside]], polygons[poly_i[inside]]
            )
        return self._pair_areas(
            polygons, poly_i, self._array[piece_i], self._tiles[piece_i], inside
        )

    def _pair_areas(
        self,
        polygons: npt.NDArray[np.object_],
        poly_i: npt.NDArray[np.int64],
        pieces: npt.NDArray[np.object_],
        tiles: npt.NDArray[np.object_],
        inside: npt.NDArray[np.bool_],
    ) -> npt.NDArray[np.float64]:
        """Sum per polygon of the area it shares with the piece (and tile) of each pair;
        ``inside``: the polygon lies inside the piece."""
        out = np.zeros(len(polygons))
        areas = np.full(len(poly_i), np.nan)
        areas[inside] = shapely.area(polygons[poly_i[inside]])
        poly_bounds = shapely.bounds(polygons)[poly_i]
        tile_bounds = shapely.bounds(tiles)
        spans = (poly_bounds[:, :2] <= tile_bounds[:, :2]).all(axis=1) & (
            poly_bounds[:, 2:] >= tile_bounds[:, 2:]
        ).all(axis=1)
        whole = ~inside & spans
        if whole.any():
            big, at = np.unique(poly_i[whole], return_inverse=True)
            tested = prepared_copies(polygons[big])[at]
            whole[whole] = shapely.contains_properly(tested, tiles[whole])
            areas[whole] = shapely.area(pieces[whole])
        cut = ~inside & ~whole
        if cut.any():
            extent = poly_bounds[:, 2:] - poly_bounds[:, :2]
            beyond = cut & (extent > self.tile_m).any(axis=1)
            local = polygons[poly_i].copy()
            if beyond.any():
                local[beyond] = intersections(polygons[poly_i[beyond]], tiles[beyond])
            areas[cut] = shapely.area(intersections(local[cut], pieces[cut]))
        np.add.at(out, poly_i, areas)
        return out
