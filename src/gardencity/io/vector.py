"""Reading vector layers (GeoPackage, Shapefile, GeoJSON) and normalising them to the schema."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from gardencity.errors import DataError, NoCrsError, Problem
from gardencity.io.crs import _no_crs_message
from gardencity.io.layers import LayerSpec
from gardencity.io.threads import prepared_copies
from gardencity.messages import Catalogue

MESSAGES = Catalogue(__package__)

__all__ = [
    "clip_to",
    "coerce_fields",
    "feature_labels",
    "read_vector",
    "repair_geometries",
    "source_fids",
]

_POLYGONAL = ("Polygon", "MultiPolygon")
_LINEAR = ("LineString", "MultiLineString")


def read_vector(path: Path, layer: str | None, name: str) -> gpd.GeoDataFrame:
    """Read one layer with pyogrio; refuse a layer without CRS."""
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:  # pyogrio raises several DataSource errors
        raise DataError(
            MESSAGES.message(
                "vector_layer_unreadable",
                layer=layer or name,
                path=path,
                detail=exc,
                file=path.name,
            )
        ) from exc
    if not isinstance(gdf, gpd.GeoDataFrame):
        gdf = gpd.GeoDataFrame(gdf)
    if gdf.crs is None and len(gdf) and gdf.geometry.notna().any():
        raise NoCrsError(_no_crs_message(name))
    return gdf


ID_FIELDS = ("parcel_id", "district_id", "road_id", "station_id", "name", "species")


def source_fids(path: Path, layer: str | None) -> np.ndarray | None:
    """The feature ids (GeoPackage fid, shapefile record number …) of a file layer, in row
    order; None where they cannot be read."""
    try:
        frame = pyogrio.read_dataframe(
            path, layer=layer, columns=[], read_geometry=False, fid_as_index=True
        )
    except Exception:  # the ids only label a message: none is better than a failure
        return None
    return np.asarray(frame.index)


def feature_labels(
    gdf: gpd.GeoDataFrame, labels: Sequence[object], fids: np.ndarray | None = None
) -> tuple[str, ...]:
    """How to find each feature again: its fid (or row number) and its id or name."""
    id_field = next((f for f in ID_FIELDS if f in gdf.columns), None)
    positions = gdf.index.get_indexer(list(labels))
    out = []
    for label, position in zip(labels, positions, strict=True):
        row = int(label) if isinstance(label, int | np.integer) else int(position)
        head = f"fid {fids[row]}" if fids is not None and 0 <= row < len(fids) else f"#{row + 1}"
        value = gdf.at[label, id_field] if id_field else None
        out.append(head if value is None or pd.isna(value) else f"{head} ({id_field} {value})")
    return tuple(out)


def repair_geometries(
    gdf: gpd.GeoDataFrame,
    spec: LayerSpec,
    fids: np.ndarray | None = None,
    *,
    valid: np.ndarray | None = None,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Drop empty geometries and repair invalid ones with ``make_valid``; each finding lists
    the features by fid (``fids``: the source's ids in row order) or row number. ``valid``:
    ``shapely.is_valid`` of the geometries, where the caller has it already."""
    problems: list[Problem] = []
    geoms = gdf.geometry.to_numpy()
    if valid is None:
        valid = shapely.is_valid(geoms)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        n = int(empty.sum())
        problems.append(
            Problem(
                spec.name,
                f"{n} feature(s) without geometry were dropped",
                "Give every feature a geometry or delete it.",
                "warning",
                n,
                feature_labels(gdf, list(gdf.index[empty]), fids),
                message_zh=f"{n} 个要素没有几何形状，已舍弃",
                fix_zh="为每个要素补上几何形状，或删除这些要素。",
            )
        )
        gdf = gdf.loc[~empty].copy()
        geoms = gdf.geometry.to_numpy()
        valid = valid[~empty]
    invalid = ~valid
    if invalid.any():
        fixed = shapely.make_valid(geoms[invalid])
        if spec.geometry == "polygon":
            fixed = np.array([_keep_type(g, _POLYGONAL) for g in fixed], dtype=object)
        elif spec.geometry == "line":
            fixed = np.array([_keep_type(g, _LINEAR) for g in fixed], dtype=object)
        new = geoms.copy()
        new[invalid] = fixed
        n = int(invalid.sum())
        problems.append(
            Problem(
                spec.name,
                f"{n} invalid geometr(y/ies) repaired with make_valid",
                "Check the repaired features in QGIS "
                "(Vector ▸ Geometry Tools ▸ Check Validity) and "
                "fix them at the source.",
                "warning",
                n,
                feature_labels(gdf, list(gdf.index[invalid]), fids),
                message_zh=f"{n} 个无效几何已用 make_valid 修复",
                fix_zh="在 QGIS 中检查这些要素（矢量 ▸ 几何工具 ▸ 检查有效性），并在源数据中改正。",
            )
        )
        gdf = gdf.set_geometry(gpd.GeoSeries(new, index=gdf.index, crs=gdf.crs))
        gdf = gdf.loc[~shapely.is_empty(gdf.geometry.to_numpy())].copy()
    return gdf, problems


def _keep_type(geom: shapely.Geometry, kinds: tuple[str, ...]) -> shapely.Geometry:
    if geom.geom_type in kinds:
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in kinds]
    if not parts:
        return shapely.Polygon() if kinds == _POLYGONAL else shapely.LineString()
    return shapely.union_all(parts) if kinds == _POLYGONAL else shapely.multilinestrings(parts)


def coerce_fields(gdf: gpd.GeoDataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Add missing optional fields (NaN / None) and cast every schema field to its type."""
    out = gdf.copy()
    for field in spec.fields:
        if field.name not in out.columns:
            out[field.name] = np.nan if field.type in ("float", "int") else None
            continue
        col = out[field.name]
        if field.type == "float":
            out[field.name] = pd.to_numeric(col, errors="coerce").astype(float)
        elif field.type == "int":
            out[field.name] = pd.to_numeric(col, errors="coerce")
        elif field.type == "str":
            out[field.name] = _as_text(col)
        elif field.type == "bool":
            out[field.name] = _as_bool(col)
    return out


def _as_bool(col: pd.Series) -> pd.Series:
    """Each value as :func:`_to_bool` gives it (object dtype); a column read as numpy
    booleans (no missing value) without a call per row."""
    if col.dtype == np.dtype(bool):
        return col.astype(object)
    return col.map(_to_bool).astype(object)


def _as_text(col: pd.Series) -> pd.Series:
    """Each value as ``str``, a missing one as None (object dtype). Text read from a file is
    mostly ``str`` already: then only the missing values change, without a call per row."""
    values = col.to_numpy(dtype=object, copy=True)
    missing = pd.isna(values)
    present = values[~missing]
    if all(type(v) is str for v in present):
        values[missing] = None  # inferred as ``map`` infers its results
        return pd.Series(values, index=col.index, name=col.name).astype(object)
    return col.map(lambda v: None if pd.isna(v) else str(v)).astype(object)


def _to_bool(value: object) -> bool | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "是", "t")
    return bool(value)


def same_crs(a: CRS | None, b: CRS | None) -> bool:
    return a is not None and b is not None and CRS.from_user_input(a) == CRS.from_user_input(b)


def clip_to(gdf: gpd.GeoDataFrame, area: shapely.Geometry) -> gpd.GeoDataFrame:
    """Features of ``gdf`` inside ``area``: whole where contained, cut where crossing."""
    if gdf.empty:
        return gdf
    geoms = gdf.geometry.to_numpy()
    area = prepared_copies(area)
    hits = shapely.intersects(area, geoms)
    inside = shapely.contains_properly(area, geoms)
    out = gdf.loc[hits].copy()
    cut = ~inside[hits]
    if cut.any():
        new = out.geometry.to_numpy().copy()
        new[cut] = shapely.intersection(new[cut], area)
        out = out.set_geometry(gpd.GeoSeries(new, index=out.index, crs=gdf.crs))
        keep = ~shapely.is_empty(new)
        keep &= shapely.get_dimensions(new) == shapely.get_dimensions(geoms[hits])
        out = out.loc[keep]
    return out
