"""What if: a copy of the workspace with drawn parks added and drawn roads shaded.

Edits are GeoJSON geometries in WGS 84 (as drawn on the map)::

    {"parks": [{"type": "Polygon", ...}], "shaded_roads": [{"type": "LineString", ...}]}

A new park becomes a 综合公园 (G11, open) in ``green_spaces``. A shaded road gets tree canopy
along it, ``SHADE_HALF_WIDTH_M`` either side: burned into the canopy raster as the tree class,
or added as ``vegetation`` tree polygons where the workspace has no raster. The copy is then
assessed like any workspace; nothing in the real workspace changes.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from shapely.geometry import shape

from gardencity.errors import InvalidRequestError
from gardencity.io.workspace import Workspace
from gardencity.messages import Catalogue
from gardencity.whatif import SHADE_HALF_WIDTH_M

__all__ = ["SHADE_HALF_WIDTH_M", "apply_edits", "check_edits", "drawn_geometries"]
MESSAGES = Catalogue(__package__)

_KINDS = {"parks": ("Polygon", "MultiPolygon"), "shaded_roads": ("LineString", "MultiLineString")}
MAX_EDITS = 200


def drawn_geometries(edits: dict[str, Any], key: str) -> list[shapely.Geometry]:
    items = edits.get(key) or []
    if not isinstance(items, list):
        raise InvalidRequestError(MESSAGES.message("edits_not_list", key=key))
    out = []
    for i, item in enumerate(items):
        try:
            geom = shape(item)
        except Exception as exc:
            raise InvalidRequestError(
                MESSAGES.message("edit_not_geojson", key=key, i=i, detail=exc)
            ) from exc
        if geom.geom_type not in _KINDS[key] or geom.is_empty:
            kinds = " / ".join(_KINDS[key])
            raise InvalidRequestError(
                MESSAGES.message("edit_wrong_kind", key=key, i=i, kinds=kinds, kind=geom.geom_type)
            )
        out.append(shapely.make_valid(geom))
    return out


def check_edits(edits: Any) -> dict[str, Any]:
    """The edits, checked (every geometry parses and has the right type)."""
    if not isinstance(edits, dict) or set(edits) - set(_KINDS):
        raise InvalidRequestError(MESSAGES.message("edits_shape"))
    count = 0
    for key in _KINDS:
        count += len(drawn_geometries(edits, key))
    if count == 0:
        raise InvalidRequestError(MESSAGES.message("nothing_drawn"))
    if count > MAX_EDITS:
        raise InvalidRequestError(MESSAGES.message("too_many_edits", max=MAX_EDITS))
    return edits


def _append(gpkg: Path, layer: str, rows: gpd.GeoDataFrame) -> None:
    stored = pyogrio.read_info(gpkg, layer=layer) if layer in _layers(gpkg) else None
    if stored is not None:
        rows = rows.to_crs(stored["crs"])
        pyogrio.write_dataframe(rows, gpkg, layer=layer, append=True)
    else:
        pyogrio.write_dataframe(rows, gpkg, layer=layer)


def _layers(gpkg: Path) -> set[str]:
    return {str(name) for name, _ in pyogrio.list_layers(gpkg)}


def apply_edits(workspace: Path, edits: dict[str, Any], dest: Path) -> Path:
    """Copy ``workspace`` to ``dest`` (without its campaign data and runs) and apply ``edits``."""
    check_edits(edits)
    store = Workspace.open(workspace).postgis
    if store is not None:
        raise InvalidRequestError(MESSAGES.message("whatif_needs_gpkg", where=store.where))
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(workspace, dest, ignore=shutil.ignore_patterns("runs", "campaign"))
    ws = Workspace.open(dest)
    gpkg = dest / "city.gpkg"
    crs = ws.crs
    parks = drawn_geometries(edits, "parks")
    if parks:
        rows = gpd.GeoDataFrame(
            {
                "green_class": ["G11"] * len(parks),
                "name": [f"规划新公园 {i + 1}" for i in range(len(parks))],
                "is_open": [True] * len(parks),
                "in_construction_land": [True] * len(parks),
            },
            geometry=parks,
            crs=4326,
        ).to_crs(crs)
        _append(gpkg, "green_spaces", rows)
    roads = drawn_geometries(edits, "shaded_roads")
    if roads:
        corridors = gpd.GeoSeries(roads, crs=4326).to_crs(crs).buffer(SHADE_HALF_WIDTH_M)
        raster_name = ws.config.rasters.canopy
        if raster_name:
            _burn_canopy(dest / str(raster_name), corridors, ws)
        else:
            rows = gpd.GeoDataFrame({"veg_type": ["tree"] * len(corridors)}, geometry=corridors)
            _append(gpkg, "vegetation", rows)
    return dest


def _burn_canopy(path: Path, corridors: gpd.GeoSeries, ws: Workspace) -> None:
    import rasterio
    from rasterio.features import rasterize

    classes = ws.config.rasters.canopy_classes or {"tree": 1}
    tree = int(classes.get("tree", 1))
    with rasterio.open(path) as src:
        profile = src.profile
        data = src.read(1)
        shapes = corridors.to_crs(src.crs).geometry.to_numpy()
        mask = rasterize(
            [(g, 1) for g in shapes], out_shape=data.shape, transform=src.transform, fill=0
        ).astype(bool)
    data = np.where(mask, tree, data).astype(data.dtype)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
