"""Zonal helpers shared by the measures: cutting features by zone, raster sums per zone."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from affine import Affine
from rasterio import features

from gardencity.errors import MixedCrsError
from gardencity.io.raster import Raster

__all__ = [
    "CITY_ZONE",
    "TiledCover",
    "area_in_zones",
    "district_of",
    "pieces_by_zone",
    "raster_class_counts",
    "raster_zone_sums",
    "require_raster_crs",
    "union_area_in_zones",
]

CITY_ZONE = "built_up_area"
"""The zone id of the whole built-up area (the first row of ``zones``; the others are districts)."""


def require_raster_crs(raster: Raster, zones: gpd.GeoDataFrame, name: str) -> None:
    if zones.crs is None or raster.crs != zones.crs:
        raise MixedCrsError(
            f"Raster '{name}' is in {raster.crs.name}, the zones in "
            f"{getattr(zones.crs, 'name', None)}. Fix: reproject the raster to the working CRS "
            f"(e.g. `gdalwarp -t_srs {zones.crs}`)."
        )


def pieces_by_zone(gdf: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Every feature cut by every zone it intersects, with a ``zone_id`` and ``source`` index.

    Features wholly inside a zone are kept as they are (no intersection computed).
    """
    if gdf.empty:
        out = gdf.iloc[0:0].copy()
        out["zone_id"] = pd.Series(dtype=object)
        out["source"] = pd.Series(dtype=int)
        return out
    geoms = gdf.geometry.to_numpy()
    zone_geoms = zones.geometry.to_numpy()
    shapely.prepare(zone_geoms)
    tree = shapely.STRtree(geoms)
    zone_idx, feat_idx = tree.query(zone_geoms, predicate="intersects")
    inside = shapely.contains_properly(zone_geoms[zone_idx], geoms[feat_idx])
    pieces = geoms[feat_idx].copy()
    cut = ~inside
    if cut.any():
        pieces[cut] = shapely.intersection(geoms[feat_idx[cut]], zone_geoms[zone_idx[cut]])
    out = gdf.iloc[feat_idx].copy()
    out = out.set_geometry(gpd.GeoSeries(pieces, index=out.index, crs=gdf.crs))
    out["zone_id"] = zones.index.to_numpy()[zone_idx]
    out["source"] = feat_idx
    keep = ~shapely.is_empty(pieces)
    return out.loc[keep].reset_index(drop=True)


def district_of(gdf: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> list[str | None]:
    """The district (``zones`` row of kind ``district``) holding each feature's interior point.

    Parameters
    ----------
    gdf
        Features in the zones' CRS.
    zones
        Zones as the assessment prepares them (columns ``kind`` and ``geometry``).

    Returns
    -------
    list of str or None
        One district id per feature; None outside every district.

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame({"kind": ["built_up_area", "district", "district"]},
    ...     index=["built_up_area", "w", "e"], crs=4547, geometry=[shapely.box(0, 0, 2, 1),
    ...     shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    >>> features = gpd.GeoDataFrame(geometry=[shapely.box(1.2, 0, 1.8, 1),
    ...     shapely.box(5, 5, 6, 6)], crs=4547)
    >>> district_of(features, zones)
    ['e', None]
    """
    districts = zones[zones["kind"] == "district"]
    if gdf.empty or districts.empty:
        return [None] * len(gdf)
    points = shapely.point_on_surface(gdf.geometry.to_numpy())
    out: list[str | None] = [None] * len(gdf)
    for zone_id, geom in zip(districts.index, districts.geometry.to_numpy(), strict=True):
        for i in np.flatnonzero(shapely.contains(geom, points)):
            out[i] = str(zone_id)
    return out


def area_in_zones(geom: shapely.Geometry | None, zones: gpd.GeoDataFrame) -> pd.Series:
    """Area of one (unioned) geometry inside each zone."""
    if geom is None or geom.is_empty:
        return pd.Series(0.0, index=zones.index)
    shapely.prepare(geom)
    areas = shapely.area(shapely.intersection(zones.geometry.to_numpy(), geom))
    return pd.Series(areas, index=zones.index, dtype=float)


def union_area_in_zones(gdf: gpd.GeoDataFrame | None, zones: gpd.GeoDataFrame) -> pd.Series:
    """Area of the union of ``gdf`` (overlaps counted once) inside each zone."""
    if gdf is None or gdf.empty:
        return pd.Series(0.0, index=zones.index)
    cover = TiledCover(gdf.geometry.to_numpy())
    return pd.Series(cover.overlap_areas(zones.geometry.to_numpy()), index=zones.index)


def _polygon_parts(geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """The polygons with area in ``geoms`` (multi-parts and collections split, lines dropped)."""
    parts = np.asarray(geoms, dtype=object)
    while len(parts) and np.isin(shapely.get_type_id(parts), (4, 5, 6, 7)).any():
        parts = shapely.get_parts(parts)
    if len(parts) == 0:
        return parts
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    polygons: npt.NDArray[np.object_] = parts[keep]
    return polygons


def _components(n: int, a: npt.NDArray[np.intp], b: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """Connected-component label (smallest member) of ``n`` nodes joined by edges ``a``–``b``."""
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


def _union_by_group(polygons: npt.NDArray[np.object_]) -> shapely.Geometry:
    """``union_all(polygons)``, computed group by group.

    Polygons that intersect nothing else are kept as they are and each group of polygons
    linked by intersections is unioned on its own; the groups do not even touch, so together
    they form a valid multipolygon (the same point set as one ``union_all``, much faster when
    most polygons stand alone).
    """
    parts = _polygon_parts(polygons)
    if len(parts) == 0:
        return shapely.Polygon()
    if len(parts) == 1:
        return parts[0]
    a, b = shapely.STRtree(parts).query(parts, predicate="intersects")
    labels = _components(len(parts), a, b)
    sizes = np.bincount(labels, minlength=len(parts))
    alone = sizes[labels] == 1
    out = [parts[alone]]
    grouped = np.flatnonzero(~alone)
    if len(grouped):
        order = grouped[np.argsort(labels[grouped], kind="stable")]
        starts = np.flatnonzero(np.r_[True, np.diff(labels[order]) != 0])
        ends = np.r_[starts[1:], len(order)]
        unions = [shapely.union_all(parts[order[i:j]]) for i, j in zip(starts, ends, strict=True)]
        out.append(_polygon_parts(np.asarray(unions, dtype=object)))
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
    intersections with them is exact. Public: ``pieces`` (tile → geometry), ``tree`` (over the
    pieces), ``area``, ``overlap_areas``, ``outside_parts``, ``minus``.

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
            tree = shapely.STRtree(polygons)
            ix0, iy0 = np.floor(bounds[:, :2].min(axis=0) / tile_m).astype(int)
            ix1, iy1 = np.floor(bounds[:, 2:].max(axis=0) / tile_m).astype(int)
            for ix in range(ix0, ix1 + 1):
                for iy in range(iy0, iy1 + 1):
                    tile = self._tile(ix, iy)
                    hits = tree.query(tile, predicate="intersects")
                    if hits.size == 0:
                        continue
                    piece = self._union_in_tile(polygons[hits], tile)
                    if not piece.is_empty and piece.area > 0:
                        self.pieces[(ix, iy)] = piece
        self._refresh()

    @staticmethod
    def _union_in_tile(
        polygons: npt.NDArray[np.object_], tile: shapely.Geometry
    ) -> shapely.Geometry:
        """The union of ``polygons`` inside ``tile`` (those wholly inside are not cut)."""
        parts = polygons.copy()
        shapely.prepare(tile)
        cut = ~shapely.contains_properly(tile, parts)
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
        """This cover without ``other`` (same tile size)."""
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
        """The part of each polygon outside the union (tile pieces subtracted in rounds)."""
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
        ids = np.fromiter((id(g) for g in polygons), dtype=np.int64, count=len(polygons))
        _, first, again = np.unique(ids, return_index=True, return_inverse=True)
        if len(first) < len(polygons):
            areas: npt.NDArray[np.float64] = self._overlap_areas(polygons[first])[again]
            return areas
        return self._overlap_areas(polygons)

    def _overlap_areas(self, polygons: npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
        tree = shapely.STRtree(polygons)
        shapely.prepare(self._array)
        piece_i, poly_i = tree.query(self._array, predicate="intersects")
        inside_piece, inside_poly = tree.query(self._array, predicate="contains_properly")
        pair = piece_i.astype(np.int64) * len(polygons) + poly_i
        inside = np.isin(pair, inside_piece.astype(np.int64) * len(polygons) + inside_poly)
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
            big = np.unique(poly_i[whole])
            shapely.prepare(polygons[big])
            whole[whole] = shapely.contains_properly(polygons[poly_i[whole]], tiles[whole])
            areas[whole] = shapely.area(pieces[whole])
        cut = ~inside & ~whole
        if cut.any():
            extent = poly_bounds[:, 2:] - poly_bounds[:, :2]
            beyond = cut & (extent > self.tile_m).any(axis=1)
            local = polygons[poly_i].copy()
            if beyond.any():
                local[beyond] = shapely.intersection(polygons[poly_i[beyond]], tiles[beyond])
            areas[cut] = shapely.area(shapely.intersection(local[cut], pieces[cut]))
        np.add.at(out, poly_i, areas)
        return out


def _strips(raster: Raster, rows: int) -> Iterator[tuple[int, int, Affine]]:
    height = raster.array.shape[0]
    for start in range(0, height, rows):
        stop = min(start + rows, height)
        yield start, stop, raster.transform @ Affine.translation(0, start)


def _pixel_window(raster: Raster, geom: shapely.Geometry) -> tuple[int, int, int, int]:
    """Rows and columns ``(r0, r1, c0, c1)`` holding every pixel whose centre may lie in ``geom``.

    One pixel of margin on each side; the whole raster if the transform is rotated.
    """
    height, width = raster.array.shape
    t = raster.transform
    if geom is None or geom.is_empty:
        return 0, 0, 0, 0
    if t.b != 0 or t.d != 0:
        return 0, height, 0, width
    x0, y0, x1, y1 = shapely.bounds(geom)
    cols = sorted(((x0 - t.c) / t.a, (x1 - t.c) / t.a))
    rows = sorted(((y0 - t.f) / t.e, (y1 - t.f) / t.e))
    c0 = int(max(0, min(width, np.floor(cols[0]) - 1)))
    c1 = int(max(0, min(width, np.ceil(cols[1]) + 1)))
    r0 = int(max(0, min(height, np.floor(rows[0]) - 1)))
    r1 = int(max(0, min(height, np.ceil(rows[1]) + 1)))
    return r0, r1, c0, c1


def raster_class_counts(
    raster: Raster,
    zones: gpd.GeoDataFrame,
    class_values: Sequence[int],
    *,
    strip_rows: int = 1024,
) -> pd.DataFrame:
    """Per zone: the number of valid pixels (``valid``) and of pixels of each class value.

    A pixel is in a zone when its centre is (GDAL's rule, as ``rasterio.features`` applies it);
    ``nodata`` and NaN pixels are not valid and count for no class. Non-integer rasters are
    truncated to integers and clipped to 0–255 first, as :func:`raster_zone_sums` does. Each
    zone is rasterised on its own, only over the pixel window of its bounds and strip by
    strip, so zones may overlap and memory stays bounded by the strip size.

    Columns: ``valid``, then one per class value (its integer, in the order given).

    >>> import shapely
    >>> from affine import Affine
    >>> from pyproj import CRS
    >>> array = np.array([[1, 1, 2, 255], [0, 3, 1, 2]], dtype=np.uint8)
    >>> raster = Raster(array, Affine(1, 0, 0, 0, -1, 2), CRS.from_epsg(4547), nodata=255)
    >>> zones = gpd.GeoDataFrame(index=["all", "left"], crs=4547,
    ...     geometry=[shapely.box(0, 0, 4, 2), shapely.box(0, 0, 2, 2)])
    >>> raster_class_counts(raster, zones, [1, 2]).to_dict("index")
    {'all': {'valid': 7, 1: 3, 2: 2}, 'left': {'valid': 4, 1: 2, 2: 0}}
    """
    values = [int(v) for v in class_values]
    counts = np.zeros((len(zones), 1 + len(values)), dtype=np.int64)
    array = raster.array
    integer = np.issubdtype(array.dtype, np.integer) and array.dtype.itemsize == 1
    nodata = raster.nodata
    for i, geom in enumerate(zones.geometry.to_numpy()):
        r0, r1, c0, c1 = _pixel_window(raster, geom)
        if r1 <= r0 or c1 <= c0:
            continue
        for start in range(r0, r1, strip_rows):
            stop = min(start + strip_rows, r1)
            block = array[start:stop, c0:c1]
            inside = features.rasterize(
                [(geom, 1)],
                out_shape=block.shape,
                transform=raster.transform @ Affine.translation(c0, start),
                fill=0,
                dtype=np.uint8,
            ).view(bool)
            if integer:
                codes = block
                if nodata is not None and not np.isnan(nodata):
                    inside &= block != nodata
            else:
                valid = np.ones(block.shape, dtype=bool)
                if nodata is not None:
                    valid &= block != nodata
                if np.issubdtype(block.dtype, np.floating):
                    valid &= ~np.isnan(block)
                inside &= valid
                codes = np.where(valid, block, 0).astype(np.int64).clip(0, 255)
            counts[i, 0] += np.count_nonzero(inside)
            for j, value in enumerate(values, start=1):
                counts[i, j] += np.count_nonzero((codes == value) & inside)
    return pd.DataFrame(counts, index=zones.index, columns=["valid", *values])


def raster_zone_sums(
    raster: Raster,
    zones: gpd.GeoDataFrame,
    values: npt.NDArray[np.float64] | None = None,
    *,
    strip_rows: int = 2048,
) -> pd.DataFrame:
    """Per zone: ``count`` of valid pixels and ``sum`` of ``values`` (or of the raster) over them.

    ``values`` maps each pixel value (0–255 for categorical rasters) to a number, e.g. 1 for
    vegetated classes. Zones may overlap (the built-up area contains the districts): each is
    rasterised on its own per strip, so memory is bounded by the strip size. For class counts of
    a categorical raster, :func:`raster_class_counts` is much faster.
    """
    n_zones = len(zones)
    counts = np.zeros(n_zones)
    sums = np.zeros(n_zones)
    zone_geoms = list(zones.geometry.to_numpy())
    for start, stop, transform in _strips(raster, strip_rows):
        block = raster.array[start:stop]
        valid = np.ones(block.shape, dtype=bool)
        if raster.nodata is not None:
            valid &= block != raster.nodata
        if np.issubdtype(block.dtype, np.floating):
            valid &= ~np.isnan(block)
        if values is not None:
            pixel_values = values[block.astype(np.int64).clip(0, len(values) - 1)]
        else:
            pixel_values = block.astype(float)
        for i, geom in enumerate(zone_geoms):
            mask = features.geometry_mask(
                [geom], out_shape=block.shape, transform=transform, invert=True
            )
            sel = mask & valid
            counts[i] += sel.sum()
            sums[i] += pixel_values[sel].sum()
    return pd.DataFrame({"count": counts, "sum": sums}, index=zones.index)
