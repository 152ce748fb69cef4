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
    return area_in_zones(shapely.union_all(gdf.geometry.to_numpy()), zones)


class TiledCover:
    """A union of polygons cut into square tiles, for fast exact overlap areas.

    Intersecting many small polygons with one huge union is slow; cutting the union into
    tiles once makes each intersection small. Tile pieces do not overlap, so summing the
    intersections of a polygon with its candidate pieces is exact.
    """

    def __init__(self, polygons: npt.NDArray[np.object_], tile_m: float = 500.0) -> None:
        union = shapely.union_all(polygons) if len(polygons) else shapely.Polygon()
        if union.is_empty:
            self.pieces = np.empty(0, dtype=object)
        else:
            x0, y0, x1, y1 = union.bounds
            xs = np.arange(np.floor(x0 / tile_m), np.ceil(x1 / tile_m) + 1) * tile_m
            ys = np.arange(np.floor(y0 / tile_m), np.ceil(y1 / tile_m) + 1) * tile_m
            gx, gy = np.meshgrid(xs[:-1], ys[:-1])
            tiles = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + tile_m, gy.ravel() + tile_m)
            shapely.prepare(union)
            tiles = tiles[shapely.intersects(union, tiles)]
            pieces = shapely.intersection(tiles, union)
            self.pieces = pieces[~shapely.is_empty(pieces)]
        self.tree = shapely.STRtree(self.pieces)

    def overlap_areas(self, polygons: npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
        """Area of each polygon inside the union."""
        out = np.zeros(len(polygons))
        if len(self.pieces) == 0 or len(polygons) == 0:
            return out
        poly_i, piece_i = self.tree.query(polygons, predicate="intersects")
        areas = shapely.area(shapely.intersection(polygons[poly_i], self.pieces[piece_i]))
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
