"""A what-if engine saved beside its assessment run's outputs, so that a fresh process (a
server after a restart) answers its first what-if without assessing the city again.

The file holds a header (format, gardencity version, the workspace's fingerprint), then the
engine, pickled (its prepared layers and the state of every followed measure), then every
geometry the engine refers to, once each, as coordinate arrays (geometry_table.py). The
workspace itself is not in it (the process that loads it opens the workspace again), nor are
the rasters (read again from the workspace when a what-if needs them) or the run's
intermediates. A file whose header does not match the workspace as it is now is not loaded:
the caller assesses again.

The file is written and read by the server only, inside the workspace's ``runs`` folder;
like any pickle it must never come from elsewhere.
"""

from __future__ import annotations

import logging
import os
import pickle
import struct
import tempfile
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import shapely
from geopandas.array import GeometryArray

import gardencity
from gardencity.io.raster import Raster
from gardencity.io.workspace import Workspace
from gardencity.whatif.engine import IncrementalAssessment
from gardencity.whatif.geometry_table import GeometryTable, holds_geometries, read_geometries

__all__ = ["STATE_FILE", "load_engine", "save_engine", "workspace_stamp"]

STATE_FILE = "whatif_state.pickle"
_FORMAT = 6  # 6: geometries once each, as coordinate arrays, in a table after the engine
log = logging.getLogger(__name__)


def workspace_stamp(workspace: Path) -> tuple[Any, ...]:
    """What a change of the workspace's data would change (its top-level files)."""
    return tuple(
        sorted(
            (p.name, p.stat().st_mtime_ns, p.stat().st_size)
            for p in Path(workspace).iterdir()
            if p.is_file()
        )
    )


def _header(workspace: Path) -> tuple[Any, ...]:
    return (_FORMAT, gardencity.__version__, workspace_stamp(workspace))


# the rasters of city.toml [rasters] a saved engine refers to by name
_RASTERS = ("canopy", "land_surface_temperature")
# the file's last bytes: a mark, and where its geometry table starts
_TABLE_AT = struct.Struct("<8sQ")
_MARK = b"gcwhatif"


def _geometry_array(data: npt.NDArray[np.object_], crs: Any) -> GeometryArray:
    return GeometryArray(data, crs=crs)


class _Pickler(pickle.Pickler):
    """The workspace and its rasters by reference: the loading process opens them itself
    (a raster read whole would otherwise be saved pixel by pixel wherever it is referred to).
    Geometries, and arrays of them, by their slots in the geometry table."""

    def __init__(self, file: IO[bytes], engine: IncrementalAssessment) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._path = engine.workspace.path.resolve()
        opened = (engine.workspace, engine.inputs.workspace)  # the engine's, the base run's
        self._rasters = {
            id(raster): name
            for ws in opened
            for name in _RASTERS
            if (raster := ws.load_raster(name)) is not None
        }
        self.table = GeometryTable()
        self._arrays: dict[int, int] = {}  # arrays of geometries met so far: their numbers
        self._held: list[Any] = []  # and the arrays themselves, so that their ids stay theirs

    def persistent_id(self, obj: Any) -> tuple[Any, ...] | None:
        if isinstance(obj, shapely.Geometry):
            return ("geometry", self.table.slot(obj))
        if type(obj) is np.ndarray and holds_geometries(obj):
            number = self._arrays.get(id(obj))
            if number is not None:  # the same array again (a layer and its spatial index)
                return ("geometries", number, None)
            number = self._arrays[id(obj)] = len(self._held)
            self._held.append(obj)
            return ("geometries", number, self.table.slots(obj))
        if isinstance(obj, Workspace):
            if obj.path.resolve() != self._path:
                raise pickle.PicklingError(f"an engine that refers to another workspace {obj}")
            return ("workspace", "")
        if isinstance(obj, Raster) and id(obj) in self._rasters:
            return ("raster", self._rasters[id(obj)])
        return None

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, GeometryArray):  # its array of geometries, rather than its WKB
            return _geometry_array, (np.asarray(obj), obj.crs)
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(
        self, file: IO[bytes], workspace: Workspace, geometries: npt.NDArray[np.object_]
    ) -> None:
        super().__init__(file)
        self._workspace = workspace
        self._geometries = geometries
        self._arrays: list[npt.NDArray[np.object_]] = []

    def persistent_load(self, pid: Any) -> Any:
        kind = pid[0]
        if kind == "geometry":
            return self._geometries[pid[1]]
        if kind == "geometries":
            _, number, slots = pid
            if slots is not None and number == len(self._arrays):
                self._arrays.append(self._geometries[slots])
            return self._arrays[number]
        if kind == "workspace":
            return self._workspace
        if kind == "raster" and pid[1] in _RASTERS:
            return self._workspace.load_raster(pid[1])  # read when first asked for
        raise pickle.UnpicklingError(f"unknown reference {pid!r}")


def save_engine(engine: IncrementalAssessment, path: Path) -> Path:
    """Write ``engine`` (without edits) to ``path``, atomically: the header, the engine, its
    geometry table, and where the table starts."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".whatif-", suffix=".pickle", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump(_header(engine.workspace.path), out, protocol=pickle.HIGHEST_PROTOCOL)
            pickler = _Pickler(out, engine)
            pickler.dump(engine)
            table_at = out.tell()
            pickle.dump(pickler.table.stored(), out, protocol=pickle.HIGHEST_PROTOCOL)
            out.write(_TABLE_AT.pack(_MARK, table_at))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_engine(path: Path, workspace: Path) -> IncrementalAssessment | None:
    """The engine saved at ``path`` for ``workspace``; None if there is none, or it was saved
    for other data, by another version or in another format (the caller then assesses
    again)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with path.open("rb") as source:
            if pickle.load(source) != _header(workspace):
                return None
            engine_at = source.tell()
            end = source.seek(-_TABLE_AT.size, os.SEEK_END)
            mark, table_at = _TABLE_AT.unpack(source.read(_TABLE_AT.size))
            if mark != _MARK or not engine_at < table_at < end:
                raise ValueError("no geometry table: an unfinished file")
            source.seek(table_at)
            geometries = read_geometries(pickle.load(source))
            source.seek(engine_at)
            engine = _Unpickler(source, Workspace.open(workspace), geometries).load()
    except (OSError, EOFError, ValueError, LookupError, TypeError, AttributeError, ImportError,
            struct.error, shapely.errors.ShapelyError, pickle.PickleError) as exc:  # fmt: skip
        log.warning("what-if state %s not loaded: %s", path, exc)
        return None
    return engine if isinstance(engine, IncrementalAssessment) else None
