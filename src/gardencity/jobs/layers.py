"""Map layers as GeoJSON in WGS 84: the workspace's own layers and a run's diagnostics.

Geometries are simplified for display (``DISPLAY_TOLERANCE_M``, topology kept) and their
coordinates rounded to 6 decimals (about 0.1 m); only the attributes a map needs are kept.
Each answer is cached on disk next to its source and rebuilt when the source changes (a
file's mtime; for a layer in PostGIS, a fingerprint of its table's row versions).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from gardencity.errors import NotFoundError
from gardencity.messages import Catalogue
from gardencity.vocabulary import Style, rgba, vocabulary
from gardencity.vocabulary.places import place_names

if TYPE_CHECKING:
    from gardencity.io.workspace import Workspace

__all__ = [
    "DIAGNOSTIC_LAYERS",
    "WORKSPACE_LAYERS",
    "canopy_overlay",
    "diagnostic_geojson",
    "workspace_frame",
    "workspace_geojson",
]
MESSAGES = Catalogue(__package__)

DISPLAY_TOLERANCE_M = 0.5
FORMAT = "v3"  # part of the cache file names: bump when the output changes
# layer -> attributes kept for the map's details panel
WORKSPACE_LAYERS: dict[str, tuple[str, ...]] = {
    "built_up_area": ("name",),
    "districts": ("district_id", "name", "name_en", "population"),
    "green_spaces": ("green_class", "name", "is_open"),
    "residential": ("parcel_id", "code"),
}
DIAGNOSTIC_LAYERS: dict[str, tuple[str, ...]] = {
    "uncovered_residential": ("zone_id", "area_m2", "parcel_id", "code"),
    "uncovered_residential_walking": ("zone_id", "area_m2", "parcel_id", "code"),
    "eligible_parks": ("name", "green_class", "area_m2"),
    "road_shade_segments": ("grade", "name", "side", "length_m", "canopy_fraction", "is_shaded"),
    "unshaded_road_segments": ("grade", "name", "side", "length_m", "canopy_fraction"),
    "districts_below_minimum": ("zone_id", "name"),
}


def _to_geojson(gdf: gpd.GeoDataFrame, keep: tuple[str, ...]) -> bytes:
    frame = gdf[[c for c in keep if c in gdf.columns] + [gdf.geometry.name]]
    frame = frame[~frame.geometry.is_empty & frame.geometry.notna()]
    if frame.crs is not None and frame.crs.is_projected:
        frame = frame.set_geometry(frame.geometry.simplify(DISPLAY_TOLERANCE_M))
        frame = frame[~frame.geometry.is_empty]
    frame = frame.to_crs(4326)
    geoms = shapely.transform(frame.geometry.to_numpy(), lambda xy: np.round(xy, 6))
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=4326))
    data: dict[str, Any] = json.loads(frame.to_json(drop_id=True, na="null"))
    for i, feature in enumerate(data["features"], start=1):
        feature["id"] = i
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _cached(cache: Path, source_mtime: float, build: Any) -> bytes:
    if cache.is_file() and cache.stat().st_mtime >= source_mtime:
        return cache.read_bytes()
    content: bytes = build()
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, cache)
    return content


def workspace_frame(ws: Workspace, name: str) -> gpd.GeoDataFrame:
    """A workspace layer as the map shows it, in its own CRS: ``residential`` is the
    land-use parcels whose class is residential."""
    if name == "residential":
        from gardencity.io.classes import land_use_category

        land_use = ws.load_layer("land_use")
        if land_use is None:
            raise NotFoundError(MESSAGES.message("no_workspace_layer", name="land_use"))
        category = land_use_category(land_use["code"], ws.config.city.land_use_scheme)
        return land_use[category.to_numpy() == "residential"]
    loaded = ws.load_layer(name)
    if loaded is None:
        raise NotFoundError(MESSAGES.message("no_workspace_layer", name=name))
    if name == "districts":  # each with the name English pages show (pinyin where none)
        loaded = loaded.assign(name_en=place_names(loaded["name"], loaded.get("name_en"), "en"))
    return loaded


def workspace_geojson(workspace: Path, name: str) -> bytes:
    """``built_up_area``, ``districts``, ``green_spaces`` or ``residential`` (the land-use
    parcels whose class is residential)."""
    if name not in WORKSPACE_LAYERS:
        known = sorted(WORKSPACE_LAYERS)
        raise NotFoundError(MESSAGES.message("no_map_layer", name=name, known=known))
    from gardencity.io.workspace import Workspace

    ws = Workspace.open(workspace)
    sources = [p for p in ws.path.iterdir() if p.suffix in {".gpkg", ".toml", ".shp", ".geojson"}]
    mtime = max(p.stat().st_mtime for p in sources)

    def build() -> bytes:
        return _to_geojson(workspace_frame(ws, name), WORKSPACE_LAYERS[name])

    if ws.postgis is None:
        return _cached(ws.path / "runs" / "cache" / f"{name}.{FORMAT}.geojson", mtime, build)
    # PostGIS tables have no mtime: the cache file is named by the table's fingerprint
    stamp = ws.table_fingerprint("land_use" if name == "residential" else name)
    if stamp is None:  # a view: nothing tells when it changes
        content: bytes = build()
        return content
    cache = ws.path / "runs" / "cache" / f"{name}.{FORMAT}.pg-{stamp}.geojson"
    for stale in cache.parent.glob(f"{name}.{FORMAT}.pg-*.geojson"):
        if stale != cache:
            stale.unlink(missing_ok=True)
    return _cached(cache, mtime, build)


def diagnostic_geojson(run_path: Path, name: str) -> bytes:
    """A layer of the run's diagnostics.gpkg (an empty collection if the run has none)."""
    if name not in DIAGNOSTIC_LAYERS:
        known = sorted(DIAGNOSTIC_LAYERS)
        raise NotFoundError(MESSAGES.message("no_diagnostic_layer", name=name, known=known))
    gpkg = run_path / "diagnostics.gpkg"
    if not gpkg.is_file():
        raise NotFoundError(MESSAGES.message("run_without_diagnostics"))

    def build() -> bytes:
        if name not in {str(n) for n, _ in pyogrio.list_layers(gpkg)}:
            return b'{"type":"FeatureCollection","features":[]}'
        gdf = pyogrio.read_dataframe(gpkg, layer=name)
        return _to_geojson(gdf, DIAGNOSTIC_LAYERS[name])

    return _cached(run_path / "geojson" / f"{name}.{FORMAT}.geojson", gpkg.stat().st_mtime, build)


CANOPY_FORMAT = "v1"
CANOPY_MAX_PIXELS = 2048  # the longer side of the overlay image


def _canopy_colour(name: str) -> tuple[int, int, int, int]:
    """RGBA of a canopy class's pixels on the map (the vocabulary's "other" for a class it
    does not know)."""
    classes = vocabulary().canopy_classes
    style = (classes.get(name) or classes["other"]).style or Style()
    r, g, b, a = (int(part) for part in rgba(str(style.fill), style.fill_opacity).split(","))
    return r, g, b, a


def canopy_overlay(workspace: Path) -> tuple[bytes, dict[str, Any]]:
    """The workspace's canopy raster as a PNG for the map, and its description.

    The raster is warped (nearest neighbour) to Web Mercator, the CRS Leaflet draws in, so
    an image overlay between the WGS 84 corners ``bounds`` (``[[south, west], [north,
    east]]``) lies where the pixels are; its longer side has at most ``CANOPY_MAX_PIXELS``.
    Each class (``[rasters.canopy_classes]``) gets its colour, nodata and 0 are transparent.
    Both are cached next to the workspace's GeoJSON layers.
    """
    from gardencity.io.workspace import Workspace

    ws = Workspace.open(workspace)
    file = ws.config.rasters.canopy
    if not file or not (ws.path / file).is_file():
        raise NotFoundError(MESSAGES.message("no_canopy_raster"))
    source = ws.path / file
    classes = ws.config.rasters.canopy_classes
    mtime = max(source.stat().st_mtime, (ws.path / "city.toml").stat().st_mtime)
    cache = ws.path / "runs" / "cache" / f"canopy.{CANOPY_FORMAT}"
    state: dict[str, Any] = {}

    def build_png() -> bytes:
        png, meta = _render_canopy(source, classes)
        state["meta"] = meta
        return png

    png = _cached(cache.with_suffix(f".{CANOPY_FORMAT}.png"), mtime, build_png)

    def build_meta() -> bytes:
        meta = state.get("meta") or _render_canopy(source, classes)[1]
        return json.dumps(meta, ensure_ascii=False).encode("utf-8")

    meta = json.loads(_cached(cache.with_suffix(f".{CANOPY_FORMAT}.json"), mtime, build_meta))
    return png, meta


def _render_canopy(source: Path, classes: dict[str, int]) -> tuple[bytes, dict[str, Any]]:
    import io

    import rasterio
    from affine import Affine
    from PIL import Image
    from rasterio.warp import Resampling, reproject, transform_bounds

    with rasterio.open(source) as src:
        if src.crs is None:
            raise NotFoundError(MESSAGES.message("canopy_without_crs", name=source.name))
        left, bottom, right, top = transform_bounds(src.crs, "EPSG:3857", *src.bounds)
        size = max(
            abs(src.res[0]), (right - left) / CANOPY_MAX_PIXELS, (top - bottom) / CANOPY_MAX_PIXELS
        )
        width, height = math.ceil((right - left) / size), math.ceil((top - bottom) / size)
        transform = Affine(size, 0.0, left, 0.0, -size, top)
        band = rasterio.band(src, 1)  # warped from the file block by block, never read whole
        warped = np.zeros((height, width), dtype=src.dtypes[0])
        reproject(
            band, warped, src_transform=src.transform, src_crs=src.crs, src_nodata=src.nodata,
            dst_transform=transform, dst_crs="EPSG:3857", dst_nodata=0,
            resampling=Resampling.nearest,
        )  # fmt: skip
    index = np.zeros((height, width), dtype=np.uint8)  # palette entry 0: transparent
    palette: list[int] = [0, 0, 0]
    alpha = [0]
    counts: dict[str, int] = {}
    for i, (name, code) in enumerate(classes.items(), start=1):
        hit = warped == code
        index[hit] = i
        colour = _canopy_colour(name)
        palette += list(colour[:3])
        alpha.append(colour[3])
        counts[name] = int(hit.sum())
    image = Image.fromarray(index, mode="P")
    image.putpalette(palette)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", transparency=bytes(alpha))
    west, south, east, north = transform_bounds(
        "EPSG:3857", "EPSG:4326",
        transform.c, transform.f + transform.e * height, transform.c + transform.a * width,
        transform.f,
    )  # fmt: skip
    legend = {
        name: ["#{:02x}{:02x}{:02x}".format(*_canopy_colour(name)[:3]), name] for name in classes
    }
    meta = {
        "bounds": [[round(south, 7), round(west, 7)], [round(north, 7), round(east, 7)]],
        "size": [width, height],
        "classes": classes,
        "legend": legend,
        "pixels": counts,
    }
    return buffer.getvalue(), meta
