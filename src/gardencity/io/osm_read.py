"""Reading an OpenStreetMap extract offline with GDAL's OSM driver, and the tag helpers.

GDAL puts the tags that are not default columns into ``other_tags``, an hstore-like string
(``"key"=>"value","k2"=>"v2"`` with ``\\"`` and ``\\\\`` escaped). Every feature here gets a
``tags`` dict with all of its tags, so the mapping never depends on GDAL's column choice.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gardencity.errors import OsmImportError
from gardencity.messages import Catalogue

MESSAGES = Catalogue(__package__)

__all__ = [
    "OSM_LAYERS",
    "boundary_polygon",
    "declared_bounds",
    "matches",
    "parse_other_tags",
    "read_osm",
]

OSM_LAYERS = ("points", "lines", "multilinestrings", "multipolygons")
_GDAL_ONLY = frozenset({"geometry", "other_tags", "osm_id", "osm_way_id", "z_order"})
_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"', re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_BOUNDS_TAG = re.compile(r"<bounds\b[^>]*>")
_ATTRIBUTE = re.compile(r'(minlat|minlon|maxlat|maxlon)\s*=\s*["\']([-+\d.eE]+)["\']')

Match = Sequence[Mapping[str, Sequence[str]]]


def parse_other_tags(text: object) -> dict[str, str]:
    r"""Parse GDAL's hstore-like ``other_tags`` string into a dict (unescaping ``\"``, ``\\``).

    >>> parse_other_tags('"natural"=>"tree","name"=>"a \\"b\\" c\\\\d"')
    {'natural': 'tree', 'name': 'a "b" c\\d'}
    >>> parse_other_tags(None)
    {}
    """
    if not isinstance(text, str):
        return {}
    return {
        _ESCAPE.sub(r"\1", key): _ESCAPE.sub(r"\1", value) for key, value in _PAIR.findall(text)
    }


def matches(tags: pd.Series, rule: Match) -> np.ndarray:
    """Which tag dicts satisfy ``rule``: any alternative whose keys ALL have a listed value.

    A value list ``["*"]`` accepts any value of that key.

    >>> tags = pd.Series([{"leisure": "park"}, {"boundary": "protected_area",
    ...     "protect_class": "22"}, {"boundary": "protected_area"}])
    >>> matches(tags, [{"leisure": ["park"]}, {"boundary": ["protected_area"],
    ...     "protect_class": ["22"]}]).tolist()
    [True, True, False]
    """

    def hit(feature_tags: Mapping[str, str]) -> bool:
        return any(
            all(
                key in feature_tags and ("*" in values or feature_tags[key] in values)
                for key, values in alternative.items()
            )
            for alternative in rule
        )

    return np.fromiter((hit(t) for t in tags), dtype=bool, count=len(tags))


def read_osm(path: Path) -> dict[str, gpd.GeoDataFrame]:
    """The four layers of an extract (EPSG:4326), each with a ``tags`` dict column.

    Raises :class:`OsmImportError` when GDAL cannot read the file as OSM data.
    """
    layers = {}
    for name in OSM_LAYERS:
        try:
            with warnings.catch_warnings():
                # GDAL warns about ways whose nodes lie outside the extract; they are skipped.
                warnings.simplefilter("ignore", RuntimeWarning)
                gdf = pyogrio.read_dataframe(path, layer=name, on_invalid="fix")
        except Exception as exc:  # GDAL raises several unrelated types for corrupt input
            raise OsmImportError(MESSAGES.message("osm_unreadable", path=path, detail=exc)) from exc
        layers[name] = gpd.GeoDataFrame(
            {"tags": _tag_dicts(gdf)}, geometry=gdf.geometry.to_numpy(), crs=gdf.crs or 4326
        )
    return layers


def _tag_dicts(gdf: pd.DataFrame) -> list[dict[str, str]]:
    columns = [c for c in gdf.columns if c not in _GDAL_ONLY]
    others = gdf["other_tags"] if "other_tags" in gdf else pd.Series(None, index=gdf.index)
    tags = []
    for record, other in zip(gdf[columns].to_dict("records"), others, strict=True):
        merged = {str(key): str(value) for key, value in record.items() if pd.notna(value)}
        merged.update(parse_other_tags(other))
        tags.append(merged)
    return tags


def declared_bounds(path: Path) -> shapely.Polygon | None:
    """The ``<bounds>`` box an OSM XML file declares (lon/lat), or None (PBF, or absent)."""
    try:
        with path.open("r", encoding="utf-8", errors="ignore") as handle:
            head = handle.read(8000)
    except OSError:
        return None
    tag = _BOUNDS_TAG.search(head)
    if tag is None:
        return None
    values = {key: float(value) for key, value in _ATTRIBUTE.findall(tag.group(0))}
    if len(values) < 4:
        return None
    return shapely.box(values["minlon"], values["minlat"], values["maxlon"], values["maxlat"])


def boundary_polygon(
    osm_path: Path,
    boundary: str | os.PathLike[str] | None,
    layers: Mapping[str, gpd.GeoDataFrame],
) -> tuple[shapely.Geometry, str]:
    """The study-area polygon in EPSG:4326 and a description of where it came from.

    ``boundary`` is a polygon file (any CRS), ``"bbox:minlon,minlat,maxlon,maxlat"`` or None
    (the extract's declared ``<bounds>``, else the extent of its data).

    >>> geom, source = boundary_polygon(Path("x.osm"), "bbox:116.3,39.99,116.33,40.01", {})
    >>> geom.bounds, source
    ((116.3, 39.99, 116.33, 40.01), 'bbox:116.3,39.99,116.33,40.01')
    """
    if boundary is None:
        declared = declared_bounds(osm_path)
        if declared is not None:
            return declared, "the extract's declared <bounds>"
        extents = [
            gdf.total_bounds for gdf in layers.values() if len(gdf) and not gdf.is_empty.all()
        ]
        if not extents:
            raise OsmImportError(MESSAGES.message("osm_no_bounds", path=osm_path))
        stacked = np.array(extents)
        box = shapely.box(*stacked[:, :2].min(axis=0), *stacked[:, 2:].max(axis=0))
        return box, "the extent of the extract's data"
    text = str(boundary)
    if text.startswith("bbox:"):
        return _bbox(text), text
    return _boundary_file(Path(text)), str(text)


def _bbox(text: str) -> shapely.Polygon:
    try:
        minlon, minlat, maxlon, maxlat = (float(v) for v in text[len("bbox:") :].split(","))
    except ValueError:
        raise OsmImportError(MESSAGES.message("osm_bbox_malformed", text=text)) from None
    if not (-180 <= minlon < maxlon <= 180 and -90 <= minlat < maxlat <= 90):
        raise OsmImportError(MESSAGES.message("osm_bbox_inverted", text=text))
    return shapely.box(minlon, minlat, maxlon, maxlat)


def _boundary_file(path: Path) -> shapely.Geometry:
    if not path.is_file():
        raise OsmImportError(MESSAGES.message("boundary_file_missing", path=path))
    try:
        gdf = pyogrio.read_dataframe(path)
    except Exception as exc:
        raise OsmImportError(
            MESSAGES.message("boundary_file_unreadable", path=path, detail=exc)
        ) from exc
    if gdf.crs is None:
        raise OsmImportError(MESSAGES.message("boundary_file_no_crs", path=path))
    polygons = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        raise OsmImportError(MESSAGES.message("boundary_file_no_polygons", path=path))
    parts = shapely.get_parts(shapely.make_valid(polygons.to_crs(4326).geometry.to_numpy()))
    return shapely.union_all([p for p in parts if p.geom_type in ("Polygon", "MultiPolygon")])
