"""The demo city's street grid, blocks, parcels and land use (deterministic)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

__all__ = ["SIZES", "CityPlan", "SizeSpec", "plan_city"]

BLOCK = 200.0  # grid spacing (m) between road centrelines
ORIGIN = (480_000.0, 3_790_000.0)  # EPSG:4548 (CGCS2000 GK CM 117E), about 116.8E 34.25N


@dataclass(frozen=True)
class SizeSpec:
    blocks: int  # blocks per side
    districts: tuple[int, int]  # columns, rows
    pixel_m: float
    parcels_per_side: int = 3  # residential blocks are split into n × n parcels


SIZES = {
    "S": SizeSpec(20, (2, 2), 1.0),
    "M": SizeSpec(50, (3, 2), 2.0),
    "L": SizeSpec(158, (3, 3), 2.0, 4),
    # about 1,500 km² with a 1 m canopy raster of 1.6 G pixels, as sub-metre imagery gives
    "XL": SizeSpec(199, (3, 3), 1.0, 4),
}

GRADE_WIDTH = {"expressway": 60.0, "arterial": 50.0, "secondary": 32.0, "branch": 16.0}
SLOW_WIDTH = {
    "expressway": (0.0, 0.0),
    "arterial": (4.0, 3.5),
    "secondary": (3.5, 2.5),
    "branch": (2.5, 1.5),
}


def line_grade(i: int, n: int) -> str:
    if i == n // 2 + 1:
        return "expressway"
    if i % 5 == 0:
        return "arterial"
    if i % 5 == 3:
        return "secondary"
    return "branch"


def warp(coords: npt.NDArray[np.float64], extent: float) -> npt.NDArray[np.float64]:
    """A smooth deterministic displacement that bends the grid into organic streets."""
    x, y = coords[:, 0], coords[:, 1]
    amp = min(60.0, extent * 0.006)
    dx = amp * np.sin(2 * np.pi * y / 1700.0) + 0.5 * amp * np.sin(2 * np.pi * (x + y) / 2900.0)
    dy = amp * np.sin(2 * np.pi * x / 2300.0)
    return np.column_stack([x + dx + ORIGIN[0], y + dy + ORIGIN[1]])


def warp_geoms(geoms: npt.NDArray[np.object_], extent: float) -> npt.NDArray[np.object_]:
    dense = shapely.segmentize(geoms, 25.0)
    return np.asarray(shapely.transform(dense, lambda c: warp(c, extent)), dtype=object)


@dataclass
class CityPlan:
    size: str
    n: int
    extent: float
    roads: gpd.GeoDataFrame  # local (unwarped) coordinates
    blocks: gpd.GeoDataFrame  # block polygons with block ix, iy, district index
    boundary: shapely.Geometry


def _boundary(extent: float) -> shapely.Geometry:
    cut = extent * 0.18
    return shapely.Polygon(
        [
            (cut, 0),
            (extent - cut * 0.6, 0),
            (extent, cut * 0.8),
            (extent, extent - cut),
            (extent - cut, extent),
            (cut * 0.7, extent),
            (0, extent - cut * 0.7),
            (0, cut),
        ]
    )


def plan_city(size: str) -> CityPlan:
    spec = SIZES[size]
    n = spec.blocks
    extent = n * BLOCK
    # 15 m beyond the outermost road centrelines, so no road runs along the boundary
    boundary = shapely.buffer(_boundary(extent), 15.0, join_style="mitre")
    records = []
    for axis in ("h", "v"):
        for i in range(n + 1):
            grade = line_grade(i, n)
            for j in range(n):
                a, b = j * BLOCK, (j + 1) * BLOCK
                pts = (
                    [(a, i * BLOCK), (b, i * BLOCK)]
                    if axis == "h"
                    else [(i * BLOCK, a), (i * BLOCK, b)]
                )
                records.append((axis, i, j, grade, shapely.LineString(pts)))
    roads = gpd.GeoDataFrame(
        records, columns=["axis", "line", "step", "grade", "geometry"], geometry="geometry"
    )
    inside = shapely.intersects(boundary, roads.geometry.to_numpy())
    roads = roads[inside].reset_index(drop=True)
    blocks = []
    cols, rows = spec.districts
    for ix in range(n):
        for iy in range(n):
            cell = shapely.box(ix * BLOCK, iy * BLOCK, (ix + 1) * BLOCK, (iy + 1) * BLOCK)
            if not boundary.contains(cell.centroid):
                continue
            half = [GRADE_WIDTH[line_grade(k, n)] / 2 for k in (ix, ix + 1, iy, iy + 1)]
            inner = shapely.box(
                ix * BLOCK + half[0],
                iy * BLOCK + half[2],
                (ix + 1) * BLOCK - half[1],
                (iy + 1) * BLOCK - half[3],
            )
            district = min(ix * cols // n, cols - 1) + cols * min(iy * rows // n, rows - 1)
            blocks.append((ix, iy, district, inner))
    block_gdf = gpd.GeoDataFrame(
        blocks, columns=["ix", "iy", "district", "geometry"], geometry="geometry"
    )
    return CityPlan(size, n, extent, roads, block_gdf, boundary)


def split_block(block: shapely.Geometry, parts: int) -> list[shapely.Geometry]:
    x0, y0, x1, y1 = block.bounds
    w, h = (x1 - x0) / parts, (y1 - y0) / parts
    return [
        shapely.box(x0 + i * w, y0 + j * h, x0 + (i + 1) * w, y0 + (j + 1) * h)
        for j in range(parts)
        for i in range(parts)
    ]
