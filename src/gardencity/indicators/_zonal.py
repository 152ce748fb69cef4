"""Zonal helpers shared by the measures: cutting features by zone, raster sums per zone."""

from __future__ import annotations

from collections.abc import Iterator

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
    "TiledCover",
    "area_in_zones",
    "pieces_by_zone",
    "raster_zone_sums",
    "require_raster_crs",
    "union_area_in_zones",
]


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


class TiledCover:
    """The union of many polygons, built and stored tile by tile, for exact overlap areas.

    One ``union_all`` over hundreds of thousands of overlapping polygons is very slow, and so is
    intersecting small polygons with the resulting giant polygon. Here the polygons are clipped
    to square tiles (anchored at the CRS origin) and unioned per tile. Pieces of different tiles
    never overlap, so summing intersections with them is exact.
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
                    tile = shapely.box(
                        ix * tile_m, iy * tile_m, (ix + 1) * tile_m, (iy + 1) * tile_m
                    )
                    hits = tree.query(tile, predicate="intersects")
                    if hits.size == 0:
                        continue
                    parts = shapely.intersection(polygons[hits], tile)
                    piece = shapely.union_all(parts)
                    if not piece.is_empty and piece.area > 0:
                        self.pieces[(ix, iy)] = piece
        self._refresh()

    def _refresh(self) -> None:
        self._array = np.array(list(self.pieces.values()), dtype=object)
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
        """Area of each polygon inside the union."""
        out = np.zeros(len(polygons))
        if len(self._array) == 0 or len(polygons) == 0:
            return out
        poly_i, piece_i = self.tree.query(polygons, predicate="intersects")
        shapely.prepare(self._array)
        inside = shapely.contains_properly(self._array[piece_i], polygons[poly_i])
        areas = shapely.area(polygons[poly_i])
        cut = ~inside
        areas[cut] = shapely.area(
            shapely.intersection(polygons[poly_i[cut]], self._array[piece_i[cut]])
        )
        np.add.at(out, poly_i, areas)
        return out


def _strips(raster: Raster, rows: int) -> Iterator[tuple[int, int, Affine]]:
    height = raster.array.shape[0]
    for start in range(0, height, rows):
        stop = min(start + rows, height)
        yield start, stop, raster.transform @ Affine.translation(0, start)


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
    rasterised on its own per strip, so memory is bounded by the strip size.
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
