"""Add or replace one layer of a workspace — checked first, written atomically."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from gardencity.errors import (
    DataError,
    EmptyLayerError,
    GardenCityError,
    MissingColumnError,
    Problem,
    UnknownClassCodeError,
    WorkspaceError,
)
from gardencity.io.classes import unknown_green_classes, unknown_land_use_codes
from gardencity.io.crs import to_metric
from gardencity.io.gcj02 import gdf_from_gcj02
from gardencity.io.hints import gcj02_problems
from gardencity.io.layers import LAYERS, TABLES, LayerSpec, layer_spec
from gardencity.io.vector import coerce_fields, read_vector, repair_geometries, source_fids
from gardencity.io.workspace import Workspace
from gardencity.messages import Catalogue, Message

MESSAGES = Catalogue(__package__)

__all__ = ["ImportLayerReport", "import_layer", "import_layer_report"]


@dataclass
class ImportLayerReport:
    """What :func:`import_layer_report` wrote: the feature count, the geometries it repaired
    or dropped (with feature ids) and hints about the data (e.g. undeclared GCJ-02)."""

    layer: str
    count: int
    repairs: list[Problem] = field(default_factory=list)
    hints: list[Problem] = field(default_factory=list)


def import_layer(
    workspace_path: str | os.PathLike[str],
    name: str,
    source: str | os.PathLike[str],
    *,
    layer: str | None = None,
    fields: Mapping[str, str] | None = None,
    coordinates: str | None = None,
) -> int:
    """Import ``source`` as layer ``name``; returns the number of features written (see
    :func:`import_layer_report` for the repairs and hints)."""
    report = import_layer_report(
        workspace_path, name, source, layer=layer, fields=fields, coordinates=coordinates
    )
    return report.count


def _known_layer(name: str) -> LayerSpec:
    try:
        return layer_spec(name)
    except KeyError:
        close = difflib.get_close_matches(name, [*LAYERS, *TABLES], n=1)
        hint = MESSAGES.message("did_you_mean", name=close[0]) if close else ""
        raise DataError(
            MESSAGES.message("unknown_layer", name=name, hint=hint, known=[*LAYERS, *TABLES])
        ) from None


def import_layer_report(
    workspace_path: str | os.PathLike[str],
    name: str,
    source: str | os.PathLike[str],
    *,
    layer: str | None = None,
    fields: Mapping[str, str] | None = None,
    coordinates: str | None = None,
) -> ImportLayerReport:
    """Import ``source`` as layer ``name``; the report says what was written and repaired.

    The layer is checked (CRS, required fields, class codes, not empty) and reprojected to the
    working CRS before anything is written; the GeoPackage is then copied, the layer written
    into the copy and the copy swapped in, so the old data survives any failure.
    """
    ws = Workspace.open(workspace_path)
    if ws.postgis is not None:
        raise WorkspaceError(
            MESSAGES.message(
                "import_into_postgis_workspace",
                path=ws.path,
                where=ws.postgis.where,
                fix=Message.literal(ws.how_to_add(name, "zh"), ws.how_to_add(name, "en")),
            )
        )
    spec = _known_layer(name)
    gdf = read_vector(Path(source), layer, name)
    if fields:
        gdf = gdf.rename(columns={theirs: ours for ours, theirs in fields.items()})
    if gdf.empty:
        raise EmptyLayerError(MESSAGES.message("source_empty", source=source))
    missing = [f for f in spec.required_fields if f not in gdf.columns]
    if missing:
        raise MissingColumnError(
            MESSAGES.message(
                "source_lacks_fields",
                source=source,
                missing=list(missing),
                name=name,
                fields=list(map(str, gdf.columns)),
                first=missing[0],
            )
        )
    if coordinates == "gcj02":
        gdf = gdf_from_gcj02(gdf if gdf.crs else gdf.set_crs(4326))
    elif coordinates is not None:
        raise DataError(MESSAGES.message("unknown_coordinates", coordinates=coordinates))
    gdf = to_metric(gdf, ws.crs, name=name)
    invalid = ~shapely.is_valid(gdf.geometry.to_numpy())
    fids = source_fids(Path(source), layer) if invalid.any() else None
    gdf, repairs = repair_geometries(gdf, spec, fids)
    gdf = coerce_fields(gdf, spec)
    _check_class_codes(ws, name, gdf, source)
    hints = _hints(ws, name, gdf, coordinates)
    keep = [f.name for f in spec.fields if f.name in gdf.columns] + [gdf.geometry.name]
    gdf = gdf[keep]
    _write_layer(ws, name, gdf)
    return ImportLayerReport(name, len(gdf), repairs, hints)


def _check_class_codes(
    ws: Workspace, name: str, gdf: gpd.GeoDataFrame, source: str | os.PathLike[str]
) -> None:
    """Refuse land-use or green-space codes the city's classification does not know."""
    if name == "land_use":
        unknown = unknown_land_use_codes(gdf["code"], ws.config.city.land_use_scheme)
        if unknown:
            raise UnknownClassCodeError(
                MESSAGES.message(
                    "unknown_land_use_codes",
                    source=source,
                    scheme=ws.config.city.land_use_scheme,
                    codes=[f"{k} ×{v}" for k, v in unknown.items()],
                )
            )
    if name == "green_spaces":
        unknown = unknown_green_classes(gdf["green_class"])
        if unknown and ws.config.city.green_space_scheme == "cjjt85_2017":
            raise UnknownClassCodeError(
                MESSAGES.message(
                    "unknown_green_classes",
                    source=source,
                    codes=[f"{k} ×{v}" for k, v in unknown.items()],
                )
            )


def _write_layer(ws: Workspace, name: str, gdf: gpd.GeoDataFrame) -> None:
    """Write ``gdf`` as layer ``name`` into a copy of the workspace's GeoPackage and swap the
    copy in, so that the old data survives any failure."""
    fd, tmp_name = tempfile.mkstemp(prefix=".city-", suffix=".gpkg", dir=ws.path)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if ws.gpkg.exists():
            shutil.copyfile(ws.gpkg, tmp)
            existing = set(pyogrio.list_layers(tmp)[:, 0])
        else:
            tmp.unlink()
            existing = set()
        options = {"OVERWRITE": "YES"} if name in existing else {}
        pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG", layer_options=options)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, ws.gpkg)


def _hints(
    ws: Workspace, name: str, gdf: gpd.GeoDataFrame, coordinates: str | None
) -> list[Problem]:
    """Whether the new layer sits offset from the built-up area as GCJ-02 data would."""
    if coordinates == "gcj02" or name == "built_up_area" or not ws.has_layer("built_up_area"):
        return []
    try:
        area = ws.load_layer("built_up_area")
    except GardenCityError:
        return []
    if area is None or area.empty:
        return []
    return gcj02_problems({"built_up_area": area, name: gdf}, set(), ws.crs)
