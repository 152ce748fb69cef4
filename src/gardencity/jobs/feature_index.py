"""Where each feature of a layer's vector tiles lies: the feature under a point of the map.

At the overview zooms a layer's tiles carry no feature of their own (parcels are drawn as
the blocks they form, road segments as streets), so a click there cannot name a feature by
its tile id. Next to the tiles, a layer's MBTiles file therefore keeps each feature's shape
(WKB in WGS 84, ``SHAPES_TABLE``) under the same id as its details, and an SQLite R-tree of
their bounds (``BOUNDS_TABLE``): a lookup reads only the few shapes whose bounds hold the
point, never the layer.

A polygon is found where it holds the point (the smallest of those that do: the one drawn
inside the others); a line where it passes within a tolerance of the point, given in metres
(a few screen pixels at the map's zoom), the nearest first.
"""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gardencity.errors import NotFoundError
from gardencity.io.mbtiles import open_mbtiles
from gardencity.messages import Catalogue, Message
from gardencity.vocabulary import vocabulary

__all__ = [
    "BOUNDS_TABLE",
    "MAX_TOLERANCE_M",
    "SHAPES_TABLE",
    "feature_at",
    "feature_id_at",
    "feature_shape",
    "write_feature_index",
]
MESSAGES = Catalogue(__package__)

#: each feature's shape (id INTEGER PRIMARY KEY, shape BLOB: WKB in WGS 84)
SHAPES_TABLE = "feature_shapes"
#: an R-tree of each feature's bounds in WGS 84 (id, west, east, south, north)
BOUNDS_TABLE = "feature_bounds"
#: the widest tolerance a lookup takes: a line farther than this from a click is not "there"
MAX_TOLERANCE_M = 500.0
#: metres per degree of latitude (and of longitude at the equator) on the WGS 84 ellipsoid's
#: mean radius: within a few hundred metres of a click, near enough to measure a tolerance
METRES_PER_DEGREE = 6_371_008.8 * math.pi / 180
POLYGONAL = (3, 6)  # shapely's type ids of Polygon and MultiPolygon


def write_feature_index(db: sqlite3.Connection, shapes: gpd.GeoSeries, ids: pd.Index) -> None:
    """Keep each feature's shape (in WGS 84) and the R-tree of their bounds in ``db`` (a
    layer's MBTiles file being written), under the ids of its features' details."""
    if shapes.crs is None or shapes.crs.to_epsg() != 4326:
        shapes = shapes.to_crs(4326)
    geometries = shapes.to_numpy()
    west, south, east, north = shapely.bounds(geometries).T
    db.execute(f"CREATE VIRTUAL TABLE {BOUNDS_TABLE} USING rtree(id, west, east, south, north)")
    db.executemany(
        f"INSERT INTO {BOUNDS_TABLE} (id, west, east, south, north) VALUES (?, ?, ?, ?, ?)",
        zip(
            (int(i) for i in ids),
            west.tolist(),
            east.tolist(),
            south.tolist(),
            north.tolist(),
            strict=True,
        ),
    )
    db.execute(f"CREATE TABLE {SHAPES_TABLE} (id INTEGER PRIMARY KEY, shape BLOB)")
    db.executemany(
        f"INSERT INTO {SHAPES_TABLE} (id, shape) VALUES (?, ?)",
        zip((int(i) for i in ids), shapely.to_wkb(geometries), strict=True),
    )


def has_feature_index(path: Path) -> bool:
    """Whether the layer's MBTiles file keeps its features' shapes (tiles cut before it did
    not)."""
    return {BOUNDS_TABLE, SHAPES_TABLE} <= open_mbtiles(path).tables()


def feature_id_at(path: Path, layer: str, lon: float, lat: float, tolerance_m: float) -> int:
    """The id of the feature of ``layer`` (its MBTiles file at ``path``) at a point, as
    :func:`feature_at` finds it.

    Raises
    ------
    NotFoundError
        Nothing there, or tiles cut before they kept their features' shapes.
    """
    label = Message.literal(*vocabulary().pair("layers", layer))
    if not has_feature_index(path):
        raise NotFoundError(MESSAGES.message("tiles_without_shapes", layer=label))
    found = feature_at(path, lon, lat, tolerance_m)
    if found is None:
        raise NotFoundError(
            MESSAGES.message("no_feature_at", layer=label, lon=f"{lon:.6f}", lat=f"{lat:.6f}")
        )
    return found


def feature_at(path: Path, lon: float, lat: float, tolerance_m: float) -> int | None:
    """The id of the feature of the layer at ``path`` (its MBTiles file) under the WGS 84
    point ``lon``, ``lat``: the smallest polygon holding it, else the nearest line within
    ``tolerance_m`` metres of it; None when there is none."""
    tolerance_m = min(max(tolerance_m, 0.0), MAX_TOLERANCE_M)
    # metres east and north of the point, per degree (longitude's shrink towards the poles)
    shrink = max(math.cos(math.radians(lat)), 1e-6)
    scale = np.array([METRES_PER_DEGREE * shrink, METRES_PER_DEGREE])
    reach_lon, reach_lat = tolerance_m / scale
    rows = open_mbtiles(path).rows(
        f"SELECT s.id, s.shape FROM {BOUNDS_TABLE} AS b JOIN {SHAPES_TABLE} AS s ON s.id = b.id "
        "WHERE b.west <= ? AND b.east >= ? AND b.south <= ? AND b.north >= ?",
        (lon + reach_lon, lon - reach_lon, lat + reach_lat, lat - reach_lat),
    )
    if not rows:
        return None
    ids = np.array([row[0] for row in rows])
    origin = np.array([lon, lat])
    near = shapely.transform(
        shapely.from_wkb([row[1] for row in rows]), lambda xy: (xy - origin) * scale
    )
    polygonal = np.isin(shapely.get_type_id(near), POLYGONAL)
    holding = polygonal & shapely.intersects_xy(near, 0.0, 0.0)
    if holding.any():
        return int(ids[holding][np.argmin(shapely.area(near[holding]))])
    distance = shapely.distance(near, shapely.Point(0.0, 0.0))
    close = ~polygonal & (distance <= tolerance_m)
    if close.any():
        return int(ids[close][np.argmin(distance[close])])
    return None


def feature_shape(path: Path, feature_id: int) -> dict[str, Any] | None:
    """The feature's shape as a GeoJSON geometry in WGS 84 (7 decimals: about 1 cm), for the
    map to outline what a click found; None for tiles cut before they kept shapes."""
    if not has_feature_index(path):
        return None
    rows = open_mbtiles(path).rows(f"SELECT shape FROM {SHAPES_TABLE} WHERE id = ?", (feature_id,))
    if not rows:
        return None
    shape = shapely.transform(shapely.from_wkb(rows[0][0]), lambda xy: np.round(xy, 7))
    geometry: dict[str, Any] = json.loads(shapely.to_geojson(shape))
    return geometry
