"""Map layers as GeoJSON in WGS 84: the workspace's own layers and a run's diagnostics.

Geometries are simplified for display (``DISPLAY_TOLERANCE_M``, topology kept) and their
coordinates rounded to 6 decimals (about 0.1 m); only the attributes a map needs are kept.
Each answer is cached on disk next to its source and rebuilt when the source changes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from gardencity.errors import NotFoundError

__all__ = ["DIAGNOSTIC_LAYERS", "WORKSPACE_LAYERS", "diagnostic_geojson", "workspace_geojson"]

DISPLAY_TOLERANCE_M = 0.5
FORMAT = "v2"  # part of the cache file names: bump when the output changes
# layer -> attributes kept for the map's details panel
WORKSPACE_LAYERS: dict[str, tuple[str, ...]] = {
    "built_up_area": ("name",),
    "districts": ("district_id", "name", "population"),
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


def workspace_geojson(workspace: Path, name: str) -> bytes:
    """``built_up_area``, ``districts``, ``green_spaces`` or ``residential`` (the land-use
    parcels whose class is residential)."""
    if name not in WORKSPACE_LAYERS:
        raise NotFoundError(
            f"图层 {name} 不存在 / no map layer {name!r}; choose one of {sorted(WORKSPACE_LAYERS)}"
        )
    from gardencity.io.workspace import Workspace

    ws = Workspace.open(workspace)
    sources = [p for p in ws.path.iterdir() if p.suffix in {".gpkg", ".toml", ".shp", ".geojson"}]
    mtime = max(p.stat().st_mtime for p in sources)

    def build() -> bytes:
        if name == "residential":
            from gardencity.io.classes import land_use_category

            land_use = ws.load_layer("land_use")
            if land_use is None:
                raise NotFoundError("the workspace has no land_use layer")
            category = land_use_category(land_use["code"], ws.config.city.land_use_scheme)
            gdf = land_use[category.to_numpy() == "residential"]
        else:
            loaded = ws.load_layer(name)
            if loaded is None:
                raise NotFoundError(f"the workspace has no {name} layer")
            gdf = loaded
        return _to_geojson(gdf, WORKSPACE_LAYERS[name])

    return _cached(ws.path / "runs" / "cache" / f"{name}.{FORMAT}.geojson", mtime, build)


def diagnostic_geojson(run_path: Path, name: str) -> bytes:
    """A layer of the run's diagnostics.gpkg (an empty collection if the run has none)."""
    if name not in DIAGNOSTIC_LAYERS:
        raise NotFoundError(
            f"诊断图层 {name} 不存在 / no diagnostic layer {name!r}; choose one of "
            f"{sorted(DIAGNOSTIC_LAYERS)}"
        )
    gpkg = run_path / "diagnostics.gpkg"
    if not gpkg.is_file():
        raise NotFoundError(f"这次评估没有诊断图层 / run has no diagnostics ({gpkg})")

    def build() -> bytes:
        if name not in {str(n) for n, _ in pyogrio.list_layers(gpkg)}:
            return b'{"type":"FeatureCollection","features":[]}'
        gdf = pyogrio.read_dataframe(gpkg, layer=name)
        return _to_geojson(gdf, DIAGNOSTIC_LAYERS[name])

    return _cached(run_path / "geojson" / f"{name}.{FORMAT}.geojson", gpkg.stat().st_mtime, build)
