"""A city workspace: a folder with ``city.toml``, ``city.gpkg`` and optional rasters/tables.

With ``[storage] vector = "postgresql://…"`` in city.toml the vector layers are read from
tables of a PostGIS schema instead of ``city.gpkg`` (see :mod:`gardencity.io.postgis`);
rasters, tables and per-layer ``path`` overrides stay files in the folder.

Writing is atomic: a new GeoPackage is written beside the old one and swapped in only when it
is complete, so an interrupted or failed import never destroys an existing workspace.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import tomli_w
from pyproj import CRS

from gardencity.errors import (
    GeographicCrsError,
    MissingColumnError,
    MissingLayerError,
    Problem,
    WorkspaceError,
)
from gardencity.io.classes import (
    green_class_in_construction_land,
    land_use_category,
    normalise_green_class,
    road_grade,
)
from gardencity.io.config import CityConfig, LayerSource, load_config
from gardencity.io.crs import local_metric_crs, to_metric
from gardencity.io.gcj02 import gdf_from_gcj02
from gardencity.io.integrity import check_geopackage
from gardencity.io.layers import LAYERS, TABLES, layer_spec
from gardencity.io.management import ManagementEvidence
from gardencity.io.postgis import PostgisStore
from gardencity.io.raster import Raster, read_raster
from gardencity.io.vector import coerce_fields, read_vector, repair_geometries, source_fids
from gardencity.messages import Catalogue, Message

__all__ = ["CONFIG_FILE", "GPKG_FILE", "RawOutline", "Workspace", "write_workspace"]
MESSAGES = Catalogue(__package__)

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
        raise WorkspaceError(MESSAGES.message("workspace_exists", root=root))
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
            dest.parent.mkdir(parents=True, exist_ok=True)
            staged_path = dest.parent / f".{dest.name}.tmp"
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


class RawOutline(NamedTuple):
    """What validation asks of a layer as read: its fields, and whether it has no rows."""

    fields: tuple[str, ...]
    empty: bool


class Workspace:
    """An opened workspace: configuration plus layers loaded on demand (each once)."""

    def __init__(self, root: Path, config: CityConfig) -> None:
        self.path = root
        self.config = config
        self.repairs: list[Problem] = []
        self._cache: dict[str, gpd.GeoDataFrame | None] = {}
        # read once for validation and loading alike: load_layer takes the raw frame over,
        # keeping what validation asks of it (its fields, whether it has rows)
        self._raw: dict[str, gpd.GeoDataFrame] = {}
        self._raw_outline: dict[str, RawOutline] = {}
        self._rasters: dict[str, Raster | None] = {}
        self._crs: CRS | None = None
        # the GeoPackage's layer list, with the file's identity it was read from
        self._listed: tuple[tuple[int, int, int], set[str]] | None = None

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Workspace:
        root = Path(path)
        if not root.is_dir():
            raise WorkspaceError(MESSAGES.message("no_workspace_folder", root=root))
        if not (root / CONFIG_FILE).is_file():
            raise WorkspaceError(MESSAGES.message("no_city_toml", root=root, config=CONFIG_FILE))
        config = load_config(root / CONFIG_FILE)
        if not config.storage.vector:
            check_geopackage(root / GPKG_FILE)
        return cls(root, config)

    @property
    def gpkg(self) -> Path:
        return self.path / GPKG_FILE

    @functools.cached_property
    def postgis(self) -> PostgisStore | None:
        """The PostGIS schema holding the vector layers, or None for ``city.gpkg``."""
        storage = self.config.storage
        return PostgisStore(storage.vector, storage.db_schema) if storage.vector else None

    def _source(self, name: str) -> tuple[Path, str | None, LayerSource]:
        source = self.config.layers.get(name, LayerSource())
        path = self.path / source.path if source.path else self.gpkg
        layer = source.layer or (name if path == self.gpkg or path.suffix == ".gpkg" else None)
        return path, layer, source

    def _table(self, name: str) -> str | None:
        """The PostGIS table of layer ``name``; None when it is read from a file."""
        source = self.config.layers.get(name, LayerSource())
        if self.postgis is None or source.path:
            return None
        return source.layer or name

    def layer_names(self) -> list[str]:
        if self.postgis is not None:
            present = self.postgis.tables()
        elif self.gpkg.exists():
            present = self._gpkg_layers()
        else:
            present = set()
        return sorted(n for n in [*LAYERS, *TABLES] if n in present or n in self.config.layers)

    def _gpkg_layers(self) -> set[str]:
        """The GeoPackage's layers, listed again only when the file has changed."""
        stat = self.gpkg.stat()
        identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if self._listed is None or self._listed[0] != identity:
            try:
                listed = set(pyogrio.list_layers(self.gpkg)[:, 0])
            except Exception as exc:  # GDAL/SQLite errors of a damaged file
                raise WorkspaceError(
                    MESSAGES.message("gpkg_damaged", path=self.gpkg, detail=exc)
                ) from None
            self._listed = (identity, listed)
        return set(self._listed[1])

    def table_fingerprint(self, name: str) -> str | None:
        """For a layer read from PostGIS, a digest that changes whenever its table does (file
        layers change their mtime instead); None for file layers and views."""
        table = self._table(name)
        return None if self.postgis is None or table is None else self.postgis.fingerprint(table)

    def how_to_add(self, name: str, lang: str = "en") -> str:
        """The fix for a missing layer, for the store this workspace reads from."""
        if self.postgis is not None:
            table = f"{self.postgis.schema}.{name}"
            return MESSAGES.text("add_layer_postgis", lang, table=table, where=self.postgis.where)
        return MESSAGES.text("add_layer_gpkg", lang, path=self.path, name=name)

    def has_layer(self, name: str) -> bool:
        return name in self.layer_names()

    @property
    def crs(self) -> CRS:
        if self._crs is None:
            if self.config.city.crs:
                crs = CRS.from_user_input(self.config.city.crs)
            else:
                crs = local_metric_crs(self._read_raw("built_up_area"))
            if not crs.is_projected:
                raise GeographicCrsError(
                    MESSAGES.message("config_crs_geographic", crs=self.config.city.crs)
                )
            self._crs = crs
        return self._crs

    def _read_raw(self, name: str) -> gpd.GeoDataFrame:
        if name not in self._raw:
            self._raw[name] = self._read_source(name)
        return self._raw[name]

    def raw_outline(self, name: str) -> RawOutline:
        """The fields of layer ``name`` as read (before the schema's are added) and whether
        it has no rows; read only if :meth:`load_layer` has not read it already."""
        if name in self._raw_outline:
            return self._raw_outline[name]
        raw = self._read_raw(name)
        return RawOutline(tuple(raw.columns), raw.empty)

    def _read_source(self, name: str) -> gpd.GeoDataFrame:
        path, layer, source = self._source(name)
        table = self._table(name)
        if self.postgis is not None and table is not None:
            spec = LAYERS.get(name)
            needs_geometry = spec is not None and spec.geometry != "none"
            gdf = self.postgis.read(table, name, needs_geometry=needs_geometry)
        elif not path.exists():
            raise MissingLayerError(MESSAGES.message("layer_file_missing", name=name, path=path))
        else:
            gdf = read_vector(path, layer, name)
        if source.fields:
            gdf = gdf.rename(columns={theirs: ours for ours, theirs in source.fields.items()})
        if source.coordinates == "gcj02":
            gdf = gdf_from_gcj02(gdf.to_crs(4326) if gdf.crs else gdf.set_crs(4326))
        return gdf

    def load_layer(self, name: str) -> gpd.GeoDataFrame | None:
        """The layer in the working CRS with canonical fields; None if an optional one is absent."""
        if name in self._cache:
            return self._cache[name]
        spec = layer_spec(name)
        if not self.has_layer(name):
            if spec.required:
                raise MissingLayerError(
                    MESSAGES.message(
                        "required_layer_missing",
                        name=name,
                        name_zh=spec.name_zh,
                        store=self._store_text(),
                        present=self.layer_names() or MESSAGES.message("none"),
                        fix=Message.literal(
                            self.how_to_add(name, "zh"), self.how_to_add(name, "en")
                        ),
                    )
                )
            self._cache[name] = None
            return None
        gdf = self._read_raw(name)
        del self._raw[name]
        self._raw_outline[name] = RawOutline(tuple(gdf.columns), gdf.empty)
        if spec.geometry != "none":
            gdf = to_metric(gdf, self.crs, name=name)
            valid = shapely.is_valid(gdf.geometry.to_numpy())
            fids = None if valid.all() else self._fids(name)
            gdf, problems = repair_geometries(gdf, spec, fids, valid=valid)
            self.repairs.extend(problems)
        gdf = coerce_fields(gdf, spec)
        gdf = self._derive(name, gdf)
        self._cache[name] = gdf
        return gdf

    def _fids(self, name: str) -> np.ndarray | None:
        """Feature ids of a file layer, to name repaired features (None for PostGIS)."""
        if self._table(name) is not None:
            return None
        path, layer, _ = self._source(name)
        return source_fids(path, layer)

    def _store_text(self) -> str | Message:
        if self.postgis is None:
            return str(self.path)
        return MESSAGES.message("store_postgis", path=self.path, where=self.postgis.where)

    def _derive(self, name: str, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        if name == "land_use" and "code" in gdf:
            gdf["category"] = land_use_category(gdf["code"], self.config.city.land_use_scheme)
        elif name == "green_spaces" and "green_class" in gdf:
            gdf["green_class"] = normalise_green_class(
                gdf["green_class"], self.config.city.green_space_scheme
            )
            gdf["is_open"] = gdf["is_open"].map(lambda v: True if v is None else bool(v))
            default = green_class_in_construction_land(gdf["green_class"])
            gdf["in_construction_land"] = [
                d if v is None else bool(v)
                for v, d in zip(gdf["in_construction_land"], default, strict=True)
            ]
        elif name == "roads" and "grade" in gdf:
            gdf["grade_source"] = gdf["grade"]
            gdf["grade"] = road_grade(gdf["grade"])
            gdf["walkable"] = [
                (g != "expressway") if w is None else bool(w)
                for w, g in zip(gdf["walkable"], gdf["grade"], strict=True)
            ]
            gdf["is_landscape_road"] = gdf["is_landscape_road"].map(lambda v: bool(v))
        elif name == "trees":
            gdf["is_woody"] = gdf["is_woody"].map(lambda v: True if v is None else bool(v))
        return gdf

    def load_raster(self, name: str) -> Raster | None:
        """A raster of city.toml [rasters], read once."""
        if name not in self._rasters:
            self._rasters[name] = self._read_raster(name)
        return self._rasters[name]

    def _read_raster(self, name: str) -> Raster | None:
        file = getattr(self.config.rasters, name, None)
        if not file:
            return None
        path = self.path / file
        if not path.exists():
            raise MissingLayerError(MESSAGES.message("raster_file_missing", name=name, path=path))
        classes = self.config.rasters.canopy_classes if name == "canopy" else None
        return read_raster(path, classes=classes, in_memory=False)

    def load_table(self, name: str) -> pd.DataFrame | None:
        file = getattr(self.config.tables, name, None)
        if not file:
            return None
        path = self.path / file
        if not path.exists():
            raise MissingLayerError(MESSAGES.message("table_file_missing", name=name, path=path))
        table = (
            pd.read_csv(path)
            if path.suffix.lower() == ".csv"
            else pyogrio.read_dataframe(path, read_geometry=False)
        )
        spec = layer_spec(name)
        missing = [f for f in spec.required_fields if f not in table.columns]
        if missing:
            raise MissingColumnError(
                MESSAGES.message(
                    "table_lacks_columns",
                    name=name,
                    file=path.name,
                    missing=list(missing),
                    required=list(spec.required_fields),
                )
            )
        if "date" in table:
            table["date"] = pd.to_datetime(table["date"])
        if "is_urban" in table:
            table["is_urban"] = table["is_urban"].map(
                lambda v: str(v).strip().lower() in ("1", "true", "yes", "是")
            )
        return table

    def management(self) -> dict[str, ManagementEvidence]:
        items = {}
        for item_id, item in self.config.management.items():
            missing = tuple(e for e in item.evidence if not (self.path / e).exists())
            items[item_id] = ManagementEvidence(
                item_id, item.status, tuple(item.evidence), missing, item.note
            )
        return items
