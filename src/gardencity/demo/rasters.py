"""Rasters of the demo city: canopy classes, land-surface temperature, weather stations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import rasterio
import shapely
from affine import Affine
from rasterio import features
from scipy import ndimage

__all__ = ["TYPE_FRACTIONS", "write_canopy", "write_stations", "write_temperature"]

NODATA = 255
# zone type -> cumulative (tree, shrub, grass) shares drawn from a smooth noise field
TYPE_FRACTIONS = {
    0: (0.02, 0.02, 0.03),  # roads and other paved land
    1: (0.58, 0.73, 0.97),  # parks
    2: (0.82, 0.92, 0.99),  # regional green (forest park)
    4: (0.60, 0.70, 0.96),  # residential courtyards
    5: (0.22, 0.26, 0.30),  # residential parcels
    6: (0.20, 0.24, 0.30),  # public, commercial, industrial
    7: (0.10, 0.12, 0.20),  # squares
    8: (1.00, 1.00, 1.00),  # shaded sidewalk bands
    9: (0.55, 0.55, 0.55),  # sparsely planted sidewalk bands
}
NOISE_CELL_M = 6.0


def _grid(
    bounds: tuple[float, float, float, float], pixel: float, margin: float
) -> tuple[Affine, int, int]:
    x0, y0, x1, y1 = bounds
    x0, y0 = np.floor((x0 - margin) / pixel) * pixel, np.floor((y0 - margin) / pixel) * pixel
    x1, y1 = np.ceil((x1 + margin) / pixel) * pixel, np.ceil((y1 + margin) / pixel) * pixel
    width, height = round((x1 - x0) / pixel), round((y1 - y0) / pixel)
    return Affine(pixel, 0, x0, 0, -pixel, y1), width, height


def _uniform_noise(shape: tuple[int, int], rng: np.random.Generator) -> npt.NDArray[np.float32]:
    field = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), 1.2)
    ranks = np.empty(field.size, dtype=np.float32)
    ranks[np.argsort(field, axis=None)] = np.linspace(0, 1, field.size, dtype=np.float32)
    return ranks.reshape(shape)


def _strip_rows(width: int, strip_pixels: int, tile: int = 512) -> int:
    return max(tile, strip_pixels // width // tile * tile)


def write_canopy(
    path: Path,
    boundary: shapely.Geometry,
    zone_types: list[tuple[shapely.Geometry, int]],
    street_bands: list[tuple[shapely.Geometry, int]],
    *,
    pixel: float,
    crs: str,
    rng: np.random.Generator,
    strip_pixels: int = 1 << 25,
) -> None:
    """Categorical canopy (1 tree, 2 shrub, 3 grass, 0 none, 255 outside) in row strips.

    A strip is 2,048 rows, or fewer (a multiple of the 512-row tiles) where that would exceed
    ``strip_pixels``: the raster is never held whole, whatever its size.
    """
    transform, width, height = _grid(boundary.bounds, pixel, 50.0)
    strip_rows = 2048 if width * 2048 <= strip_pixels else _strip_rows(width, strip_pixels)
    factor = max(1, round(NOISE_CELL_M / pixel))
    noise = _uniform_noise((height // factor + 2, width // factor + 2), rng)
    # crowns overhang the sidewalk: widen planted bands by one pixel so that a band the plan
    # marks as shaded stays shaded after rasterising at coarse resolution
    shapes = [*zone_types, *((shapely.buffer(g, pixel), v) for g, v in street_bands)]
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "uint8",
        "crs": crs,
        "transform": transform,
        "nodata": NODATA,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "num_threads": "ALL_CPUS",
        "bigtiff": "IF_SAFER",
    }
    tree_cut = np.array([TYPE_FRACTIONS.get(t, (0, 0, 0))[0] for t in range(10)], np.float32)
    shrub_cut = np.array([TYPE_FRACTIONS.get(t, (0, 0, 0))[1] for t in range(10)], np.float32)
    grass_cut = np.array([TYPE_FRACTIONS.get(t, (0, 0, 0))[2] for t in range(10)], np.float32)
    bounds_tree = shapely.STRtree([g for g, _ in shapes])
    city = boundary.buffer(30.0)
    with rasterio.open(path, "w", **profile) as dst:
        for start in range(0, height, strip_rows):
            stop = min(start + strip_rows, height)
            strip_transform = transform @ Affine.translation(0, start)
            x0, y1 = strip_transform.c, strip_transform.f
            x1 = strip_transform.c + strip_transform.a * width
            y0 = strip_transform.f + strip_transform.e * (stop - start)
            window = shapely.box(x0, y0, x1, y1)
            hits = np.sort(bounds_tree.query(window))
            kinds = np.zeros((stop - start, width), dtype=np.uint8)
            if hits.size:
                features.rasterize([shapes[i] for i in hits], out=kinds, transform=strip_transform)
            rows = (np.arange(start, stop) // factor)[:, None]
            cols = (np.arange(width) // factor)[None, :]
            u = noise[rows, cols]
            out = np.zeros(kinds.shape, dtype=np.uint8)
            for code, cut in ((3, grass_cut), (2, shrub_cut), (1, tree_cut)):
                out[u < cut[kinds]] = code  # the first of tree, shrub, grass below its cut
            inside = features.geometry_mask(
                [city],
                out_shape=kinds.shape,
                transform=strip_transform,
                invert=True,
            )
            out[~inside] = NODATA
            dst.write(out, 1, window=rasterio.windows.Window(0, start, width, stop - start))


def write_temperature(
    path: Path,
    boundary: shapely.Geometry,
    green: list[shapely.Geometry],
    *,
    crs: str,
    rng: np.random.Generator,
) -> None:
    """Land-surface temperature (°C, 30 m) over the city and a 7 km rural ring."""
    transform, width, height = _grid(boundary.bounds, 30.0, 7000.0)
    urban = features.rasterize(
        [(boundary, 1.0)], out_shape=(height, width), transform=transform, dtype="float32"
    )
    greenness = (
        features.rasterize(
            [(g, 1.0) for g in green],
            out_shape=(height, width),
            transform=transform,
            dtype="float32",
        )
        if green
        else urban * 0
    )
    urban = ndimage.gaussian_filter(urban, 12)
    greenness = ndimage.gaussian_filter(greenness, 2)
    noise = ndimage.gaussian_filter(rng.standard_normal((height, width)).astype(np.float32), 3)
    temperature = (31.0 + 3.4 * urban - 2.6 * greenness + 0.4 * noise).astype(np.float32)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "float32",
        "crs": crs,
        "transform": transform,
        "nodata": -9999.0,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(temperature, 1)


def write_stations(path: Path, rng: np.random.Generator) -> None:
    """Two urban and two rural stations, daily Tmax for June–August of 2023 and 2024."""
    rows = []
    for year in (2023, 2024):
        days = pd.date_range(f"{year}-06-01", f"{year}-08-31", freq="D")
        base = 31.0 + 2.5 * np.sin(np.linspace(0, np.pi, len(days)))
        for station, urban, offset in (
            ("58027-U1", True, 2.6),
            ("58027-U2", True, 2.2),
            ("58026-R1", False, 0.0),
            ("58026-R2", False, 0.2),
        ):
            tmax = base + offset + rng.normal(0, 1.2, len(days))
            rows += [
                {
                    "station_id": station,
                    "is_urban": urban,
                    "date": d.date().isoformat(),
                    "tmax_c": round(float(t), 1),
                }
                for d, t in zip(days, tmax, strict=True)
            ]
    pd.DataFrame(rows).to_csv(path, index=False)
