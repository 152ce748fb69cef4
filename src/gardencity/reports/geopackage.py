"""diagnostics.gpkg, written layer by layer: each layer as soon as it is built, possibly in
another process (the figure worker), then its views and QGIS styles.

The layers go into a temporary file beside the GeoPackage, which replaces it only when
whole. :class:`GeoPackageWriter` takes the layers in their order; given an executor (a
process idle meanwhile), it hands each layer's writing to it, so that the caller can build
the next layer in the meantime: handing a layer over (pickling it) takes the caller about a
fifth of the time writing it would (GDAL's feature loop, its spatial index, which hold the
interpreter). A layer is written here at once, when no earlier one is still being written
there, if it is of a few vertices (GDAL's fixed cost of a table is then all there is to
save), or if that process has other work not done yet (:func:`busy`: measures, figures)
and the layer is not large: the layer would wait behind that work. The file is the one
written here, layer for layer.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from concurrent.futures import CancelledError, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from gardencity.messages import Catalogue
from gardencity.reports.styles import layer_qml
from gardencity.reports.worker import busy

__all__ = ["LAYER_VIEWS", "GeoPackageWriter", "write_layer"]
MESSAGES = Catalogue(__package__)

# a layer that is a subset of another is stored once: a view of it (GeoPackage views read as
# layers in QGIS and GDAL), layer -> (source layer, SQL condition on its columns)
LAYER_VIEWS: dict[str, tuple[str, str]] = {
    "unshaded_road_segments": ("road_shade_segments", "NOT is_shaded"),
}

#: a layer of at most this many vertices is written in place (a few hundredths of a second)
IN_PLACE_VERTICES = 5_000
#: … and of at most this many while the other process has work not done (about 0.1 s)
IN_PLACE_WHEN_BUSY_VERTICES = 150_000

#: a layer written: its name and geometry type
Written = tuple[str, str]
#: a view to create: its source layer, its condition and its columns (without the geometry)
View = tuple[str, str, list[str]]


class GeoPackageWriter:
    """The layers of one GeoPackage, given one by one (:meth:`add`), then :meth:`close`.

    With an ``executor``, each layer of more than ``in_place_vertices`` vertices (of more
    than ``in_place_when_busy_vertices`` while the executor has other work not done) is
    written there while the caller goes on; if that process dies, every layer is written
    again here. Used as a context manager, a file left unfinished (the caller failed) is
    removed."""

    def __init__(
        self,
        path: Path,
        executor: Executor | None = None,
        *,
        in_place_vertices: int = IN_PLACE_VERTICES,
        in_place_when_busy_vertices: int = IN_PLACE_WHEN_BUSY_VERTICES,
    ) -> None:
        self.path = path
        self._executor = executor
        self._in_place_vertices = in_place_vertices
        self._in_place_when_busy_vertices = in_place_when_busy_vertices
        self._tmp: Path | None = None  # made with the first layer
        self._tables: dict[str, gpd.GeoDataFrame] = {}  # the layers stored as tables
        self._writes: list[Future[Written] | Written] = []
        self._views: dict[str, View] = {}

    def __enter__(self) -> GeoPackageWriter:
        return self

    def __exit__(self, *error: object) -> None:
        self.discard()

    def add(self, name: str, layer: gpd.GeoDataFrame | None) -> None:
        """The next layer (a layer without rows is left out; a subset of a layer given
        before is stored as a view of it)."""
        view = LAYER_VIEWS.get(name)
        if layer is not None and view is not None and _has_rows(self._tables.get(view[0])):
            columns = [c for c in layer.columns if c != layer.geometry.name]
            self._views[name] = (*view, columns)
            return
        if layer is None or layer.empty:
            return
        self._tables[name] = layer
        write = self._write(name, layer)  # the layers before it may be written here first
        self._writes.append(write)

    def close(self, lang: str = "zh") -> Path:
        """Wait for the layers, add the views and the styles, and put the file in place."""
        tmp = self._temporary()
        written = self._written_here()
        if not written:  # still a GeoPackage that says why it holds no map layers
            about = gpd.GeoDataFrame({"message": [MESSAGES.text("no_diagnostic_layers", lang)]})
            with _unsynced_sqlite():
                pyogrio.write_dataframe(about, tmp, layer="about", driver="GPKG")
        _finish(tmp, written, self._views)
        os.replace(tmp, self.path)
        self._tmp, self._writes = None, []
        return self.path

    def discard(self) -> None:
        """Leave no unfinished file behind (the layers being written are waited for)."""
        for write in self._writes:
            if isinstance(write, Future) and not write.cancel():
                wait([write])
        self._writes = []
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self._tmp = None

    def _temporary(self) -> Path:
        if self._tmp is None:
            self._tmp = _temporary_beside(self.path)
        return self._tmp

    def _write(self, name: str, layer: gpd.GeoDataFrame) -> Future[Written] | Written:
        tmp = self._temporary()
        if self._executor is not None and not self._in_place(layer):
            try:
                return self._executor.submit(write_layer, tmp, name, layer)
            except (BrokenProcessPool, RuntimeError, OSError):
                self._executor = None
        self._written_here()
        return write_layer(tmp, name, layer)

    def _in_place(self, layer: gpd.GeoDataFrame) -> bool:
        """Whether ``layer`` is to be written here (see the module): every earlier layer
        written already (layers are written one after the other, in their order), and the
        layer small, or not large while the other process has work not done."""
        if any(isinstance(w, Future) and not w.done() for w in self._writes):
            return False
        busy_limit = self._in_place_when_busy_vertices if busy(self._executor) else 0
        return _vertices(layer) <= max(self._in_place_vertices, busy_limit)

    def _written_here(self) -> list[Written]:
        """The layers given so far, in the file: as the other process wrote them or, where
        it could not (it died), written again here."""
        tmp = self._temporary()
        written: list[Written] = []
        try:
            for write in self._writes:
                written.append(write.result() if isinstance(write, Future) else write)
        except (BrokenProcessPool, CancelledError):
            tmp.unlink(missing_ok=True)
            earlier = list(self._tables.items())[: len(self._writes)]
            written = [write_layer(tmp, name, layer) for name, layer in earlier]
        self._writes = list(written)
        return written


def _vertices(layer: gpd.GeoDataFrame) -> int:
    return int(shapely.get_num_coordinates(layer.geometry.to_numpy()).sum())


def write_layer(tmp: Path, name: str, layer: gpd.GeoDataFrame) -> Written:
    """``layer`` written into the GeoPackage ``tmp`` (its object columns as text)."""
    frame = _text_columns(layer)
    with _unsynced_sqlite():
        pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")
    return name, str(frame.geom_type.dropna().iloc[0])


def _temporary_beside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".diagnostics-", suffix=".gpkg", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    return tmp


def _finish(tmp: Path, written: list[Written], views: dict[str, View]) -> None:
    """The views and the ``layer_styles`` table that QGIS applies on opening."""
    # its last transaction (the styles) is committed in full, the whole file on disk
    with sqlite3.connect(tmp) as db:
        written = written + _create_views(db, views)
        db.execute(
            "CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "f_table_catalog TEXT, f_table_schema TEXT, f_table_name TEXT, "
            "f_geometry_column TEXT, styleName TEXT, styleQML TEXT, styleSLD TEXT, "
            "useAsDefault BOOLEAN, description TEXT, owner TEXT, ui TEXT, update_time DATETIME)"
        )
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        for name, geom_type in written:
            db.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui, update_time) VALUES ('', '', ?, 'geom', ?, ?, '', 1, "
                "'gardencity default style', '', '', ?)",
                (name, name, layer_qml(name, geom_type), now),
            )
        db.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, last_change) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles', ?)",
            (now,),
        )
    db.close()


# GDAL's SQLite settings while the layers are written to the temporary file: no wait for the
# disk after each transaction, no rollback journal (an interrupted write leaves only the
# temporary file, which is never swapped in)
_UNSYNCED = {"OGR_SQLITE_SYNCHRONOUS": "OFF", "OGR_SQLITE_JOURNAL": "OFF"}


@contextmanager
def _unsynced_sqlite() -> Iterator[None]:
    before = {key: pyogrio.get_gdal_config_option(key) for key in _UNSYNCED}
    pyogrio.set_gdal_config_options(_UNSYNCED)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(before)


def _text_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer with each object column as text (None stays NULL); columns that hold only
    text already are left as they are."""
    frame = gdf.copy()
    for column in frame.columns:
        values = frame[column]
        if column == frame.geometry.name or values.dtype != object:
            continue
        if pd.api.types.infer_dtype(values, skipna=False) != "string":
            frame[column] = values.map(lambda v: v if v is None else str(v))
    return frame


def _has_rows(gdf: gpd.GeoDataFrame | None) -> bool:
    return gdf is not None and not gdf.empty


def _create_views(db: sqlite3.Connection, views: dict[str, View]) -> list[Written]:
    """Each view as a GeoPackage feature layer over its source's rows; (name, geometry type)."""
    created = []
    for name, (source, condition, columns) in views.items():
        selected = ", ".join(f'"{c}"' for c in ["fid", "geom", *columns])
        db.execute(f'CREATE VIEW "{name}" AS SELECT {selected} FROM "{source}" WHERE {condition}')
        kind, srs = db.execute(
            "SELECT geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
            (source,),
        ).fetchone()
        db.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
            "VALUES (?, 'features', ?, ?)",
            (name, name, srs),
        )
        db.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)", (name, kind, srs)
        )
        created.append((name, "LineString" if "LINE" in str(kind).upper() else str(kind)))
    return created
