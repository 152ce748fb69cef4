"""A city workspace: a folder with ``city.toml``, ``city.gpkg`` and optional rasters/tables.

Writing is atomic: a new GeoPackage is written beside the old one and swapped in only when it
is complete, so an interrupted or failed import never destroys an existing workspace.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import tomli_w

from gardencity.errors import WorkspaceError

__all__ = ["CONFIG_FILE", "GPKG_FILE", "write_workspace"]

CONFIG_FILE = "city.toml"
GPKG_FILE = "city.gpkg"


def write_workspace(
    path: str | os.PathLike[str],
    *,
    config: Mapping[str, Any],
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    files: Mapping[str, str | os.PathLike[str]] | None = None,
    overwrite: bool = False,
) -> Path:
    """Create (or atomically replace) a workspace folder.

    ``config`` is the content of city.toml (a nested mapping). ``layers`` are written to
    city.gpkg under their names (a plain DataFrame becomes an attribute table). ``files`` maps
    a destination file name inside the workspace (e.g. ``"canopy.tif"``) to a source file,
    which is copied in.
    """
    root = Path(path)
    config_path = root / CONFIG_FILE
    if config_path.exists() and not overwrite:
        raise WorkspaceError(
            f"A workspace already exists at {root}. Fix: choose another folder, or pass "
            f"--force / overwrite=True to replace its data (the old data is kept until the new "
            f"data is complete)."
        )
    root.mkdir(parents=True, exist_ok=True)
    gpkg = root / GPKG_FILE
    fd, tmp_name = tempfile.mkstemp(prefix=".city-", suffix=".tmp.gpkg", dir=root)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        for name, frame in layers.items():
            if isinstance(frame, gpd.GeoDataFrame):
                pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")
            else:
                geo = gpd.GeoDataFrame(frame.copy(), geometry=[None] * len(frame))
                pyogrio.write_dataframe(geo, tmp, layer=name, driver="GPKG")
        staged: list[tuple[Path, Path]] = []
        for dest_name, source in (files or {}).items():
            dest = root / dest_name
            if Path(source).resolve() == dest.resolve():
                continue
            staged_path = root / f".{dest_name}.tmp"
            shutil.copyfile(source, staged_path)
            staged.append((staged_path, dest))
        config_tmp = root / f".{CONFIG_FILE}.tmp"
        config_tmp.write_text(tomli_w.dumps(_drop_none(config)), encoding="utf-8")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if layers:
        os.replace(tmp, gpkg)
    else:
        tmp.unlink(missing_ok=True)
    for staged_path, dest in staged:
        os.replace(staged_path, dest)
    os.replace(config_tmp, config_path)
    return root


def _drop_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_drop_none(v) for v in value]
    return value
