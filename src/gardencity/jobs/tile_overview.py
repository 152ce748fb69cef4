"""What a heavy layer looks like at a city's overview zooms, drawn light.

Seen whole, a city has hundreds of thousands of parcels and road segments, each a pixel or
less across; drawn one by one they take the browser most of a second per map view. The
overview therefore draws the same land with far fewer shapes, losing nothing that can be
seen at that scale:

* parcels that lie side by side (residential land, the land outside a park's reach) as the
  blocks they form: burnt into a grid finer than a screen pixel at zoom 12 (the city whole),
  the cells joined into polygons (:func:`blocks`); every parcel keeps at least its own cell,
  so none vanishes, and the area drawn stays the area there is;
* road segments as the streets they form: overlapping and touching segments joined into
  continuous lines (:func:`streets`).

Other layers (green spaces, each coloured by its class) keep their features; tippecanoe's
tiny-polygon reduction gathers the smallest into squares of the same total area.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import rasterio.features
import shapely
from affine import Affine

__all__ = ["MAX_CELLS", "blocks", "overview_shapes", "streets"]

#: the grid of :func:`blocks` has at most this many cells (coarser cells for larger areas)
MAX_CELLS = 40_000_000
#: Web Mercator's extent, metres (one zoom-0 tile)
WORLD_M = 2 * math.pi * 6_378_137
LINES = {"LineString", "MultiLineString"}
POLYGONS = {"Polygon", "MultiPolygon"}


def blocks(frame: gpd.GeoDataFrame, cell_m: float) -> gpd.GeoDataFrame:
    """The polygons of ``frame`` (any CRS) as the blocks they form on a grid of ``cell_m``
    Web Mercator metres (coarser where the area would need more than :data:`MAX_CELLS`
    cells), in WGS 84, without attributes."""
    shapes = frame.to_crs(3857).geometry
    shapes = shapes[shapes.notna() & ~shapes.is_empty]
    if shapes.empty:
        return gpd.GeoDataFrame(geometry=[], crs=4326)
    west, south, east, north = shapes.total_bounds
    cell = max(cell_m, math.sqrt((east - west) * (north - south) / MAX_CELLS))
    width, height = int((east - west) / cell) + 5, int((north - south) / cell) + 5
    transform = Affine(cell, 0.0, west - 2 * cell, 0.0, -cell, north + 2 * cell)
    # the cells whose centre a parcel covers, gaps of up to two cells between them closed
    # (narrower than a pixel at the last overview zoom); and at least the cell at each
    # parcel's representative point: a parcel smaller than a cell still shows
    covered = rasterio.features.rasterize(
        ((shape, 1) for shape in shapes.values), out_shape=(height, width),
        transform=transform, dtype="uint8",
    ).astype(bool)  # fmt: skip
    grid = _closed(covered)
    points = shapes.representative_point().values
    grid |= rasterio.features.rasterize(
        ((point, 1) for point in points), out_shape=(height, width), transform=transform,
        dtype="uint8",
    ).astype(bool)  # fmt: skip
    grid = grid.astype("uint8")
    polygons = [
        shapely.geometry.shape(polygon)
        for polygon, _ in rasterio.features.shapes(
            grid, mask=grid > 0, transform=transform, connectivity=8
        )
    ]
    return gpd.GeoDataFrame(geometry=polygons, crs=3857).to_crs(4326)


def _closed(cells: np.ndarray) -> np.ndarray:
    """Morphological closing by one cell (3 × 3): gaps up to two cells wide filled, edges
    kept (the grid has a margin of two empty cells)."""
    height, width = cells.shape

    def around(grid: np.ndarray, combine: np.ufunc, fill: bool) -> np.ndarray:
        padded = np.pad(grid, 1, constant_values=fill)
        shifted = [padded[dy : dy + height, dx : dx + width] for dy in range(3) for dx in range(3)]
        return np.asarray(combine.reduce(shifted))

    return around(around(cells, np.logical_or, False), np.logical_and, True)


def streets(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The lines of ``frame`` joined: overlapping stretches drawn once, lines that meet end
    to end made one (in the frame's CRS, without attributes)."""
    lines = frame.geometry[frame.geometry.notna() & ~frame.geometry.is_empty].values
    if len(lines) == 0:
        return gpd.GeoDataFrame(geometry=[], crs=frame.crs)
    joined = shapely.line_merge(shapely.union_all(lines))
    parts = shapely.get_parts(joined)
    parts = parts[np.isin(shapely.get_type_id(parts), (1, 2))]  # lines (and rings)
    return gpd.GeoDataFrame(geometry=parts, crs=frame.crs)


def overview_shapes(
    frame: gpd.GeoDataFrame, styled: list[str], *, as_blocks: bool, cell_m: float
) -> gpd.GeoDataFrame:
    """The shapes a layer's overview zooms draw: streets for lines, blocks for parcels
    (``as_blocks``), else the features with only the ``styled`` attributes (their colour)."""
    kinds = set(frame.geom_type.dropna())
    if kinds and kinds <= LINES:
        return streets(frame)
    if as_blocks and kinds and kinds <= POLYGONS:
        return blocks(frame, cell_m).to_crs(frame.crs)
    return frame[[*styled, frame.geometry.name]]
