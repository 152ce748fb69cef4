"""A what-if engine saved beside its assessment run's outputs, so that a fresh process (a
server after a restart) answers its first what-if without assessing the city again.

The file holds a header (format, gardencity version, the workspace's fingerprint) and then
the engine, pickled: its prepared layers and the state of every followed measure. The
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
import tempfile
from pathlib import Path
from typing import IO, Any

import numpy as np
import shapely

import gardencity
from gardencity.io.raster import Raster
from gardencity.io.workspace import Workspace
from gardencity.whatif.engine import IncrementalAssessment

__all__ = ["STATE_FILE", "load_engine", "save_engine", "workspace_stamp"]

STATE_FILE = "whatif_state.pickle"
_FORMAT = 5  # 5: the zones per tile kept with the layers, corridors once per line
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
_RAISE_ON_INVALID = np.uint8(2)  # shapely's DecodingErrorOptions "raise"


def _geometry(wkb: bytes) -> shapely.Geometry:
    """A geometry from its WKB: shapely's own pickling, without the per-call argument handling
    that takes most of a load of a million geometries."""
    geometry: shapely.Geometry = shapely.lib.from_wkb(
        np.asarray(wkb, dtype=object), _RAISE_ON_INVALID
    )
    return geometry


class _Pickler(pickle.Pickler):
    """The workspace and its rasters by reference: the loading process opens them itself
    (a raster read whole would otherwise be saved pixel by pixel wherever it is referred to)."""

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

    def persistent_id(self, obj: Any) -> tuple[str, str] | None:
        if isinstance(obj, Workspace):
            if obj.path.resolve() != self._path:
                raise pickle.PicklingError(f"an engine that refers to another workspace {obj}")
            return ("workspace", "")
        if isinstance(obj, Raster) and id(obj) in self._rasters:
            return ("raster", self._rasters[id(obj)])
        return None

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, shapely.Geometry):
            return _geometry, (shapely.to_wkb(obj, include_srid=True),)
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes], workspace: Workspace) -> None:
        super().__init__(file)
        self._workspace = workspace

    def persistent_load(self, pid: Any) -> Any:
        kind, name = pid
        if kind == "workspace":
            return self._workspace
        if kind == "raster" and name in _RASTERS:
            return self._workspace.load_raster(name)  # read when first asked for
        raise pickle.UnpicklingError(f"unknown reference {pid!r}")


def save_engine(engine: IncrementalAssessment, path: Path) -> Path:
    """Write ``engine`` (without edits) to ``path``, atomically."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".whatif-", suffix=".pickle", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump(_header(engine.workspace.path), out, protocol=pickle.HIGHEST_PROTOCOL)
            _Pickler(out, engine).dump(engine)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_engine(path: Path, workspace: Path) -> IncrementalAssessment | None:
    """The engine saved at ``path`` for ``workspace``; None if there is none, or it was saved
    for other data or another version (the caller then assesses again)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with path.open("rb") as source:
            if pickle.load(source) != _header(workspace):
                return None
            engine = _Unpickler(source, Workspace.open(workspace)).load()
    except (OSError, EOFError, ValueError, AttributeError, ImportError, pickle.PickleError) as exc:
        log.warning("what-if state %s not loaded: %s", path, exc)
        return None
    return engine if isinstance(engine, IncrementalAssessment) else None
