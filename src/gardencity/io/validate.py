"""Validate a workspace: report every problem at once, each with how to fix it."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from gardencity.errors import CrsError, GardenCityError, Problem, ValidationError
from gardencity.io.classes import unknown_green_classes, unknown_land_use_codes
from gardencity.io.layers import LAYERS
from gardencity.io.workspace import Workspace

__all__ = ["check_workspace", "validate_workspace"]

OVERLAP_TOLERANCE_M2 = 1.0


def validate_workspace(ws: Workspace) -> list[Problem]:
    """Every problem found in the workspace (errors block the assessment, warnings do not)."""
    problems: list[Problem] = []
    try:
        crs = ws.crs
    except GardenCityError as exc:  # a CRS problem, or the PostGIS server cannot be read
        fix = "Set a projected `crs` in city.toml." if isinstance(exc, CrsError) else "See above."
        return [Problem("city.toml", str(exc), fix)]
    present = set(ws.layer_names())
    layers: dict[str, gpd.GeoDataFrame] = {}
    for name, spec in LAYERS.items():
        if name not in present:
            if spec.required:
                problems.append(
                    Problem(
                        name,
                        f"required layer '{name}' ({spec.name_zh}) is missing",
                        f"{ws.how_to_add(name)} "
                        f"(fields: {', '.join(spec.required_fields) or 'geometry only'}).",
                    )
                )
            continue
        try:
            raw = ws._read_raw(name)
        except GardenCityError as exc:
            problems.append(Problem(name, str(exc), "See the message."))
            continue
        missing = [f for f in spec.required_fields if f not in raw.columns]
        if missing:
            problems.append(
                Problem(
                    name,
                    f"missing required field(s): {', '.join(missing)}",
                    f"Add the field(s) or map your names in city.toml [layers.{name}] fields = "
                    f'{{{missing[0]} = "YOUR_FIELD"}}.',
                    details=tuple(sorted(raw.columns)),
                )
            )
            continue
        if raw.empty:
            problems.append(
                Problem(
                    name,
                    "layer is empty (no features)",
                    "Fill the layer or remove it from the workspace.",
                    severity="error" if spec.required else "warning",
                )
            )
            continue
        try:
            layer = ws.load_layer(name)
        except GardenCityError as exc:
            problems.append(Problem(name, str(exc), "See the message."))
            continue
        assert layer is not None
        layers[name] = layer
    problems.extend(ws.repairs)
    problems.extend(_class_problems(ws, layers))
    problems.extend(_district_problems(layers))
    problems.extend(_overlap_problems(layers))
    problems.extend(_outside_problems(layers))
    problems.extend(_raster_problems(ws, layers, crs))
    return problems


def check_workspace(ws: Workspace) -> list[Problem]:
    """Raise :class:`ValidationError` listing every problem if any is an error."""
    problems = validate_workspace(ws)
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems)
    return problems


def _class_problems(ws: Workspace, layers: dict[str, gpd.GeoDataFrame]) -> list[Problem]:
    problems = []
    if "land_use" in layers:
        unknown = unknown_land_use_codes(layers["land_use"]["code"], ws.config.city.land_use_scheme)
        if unknown:
            problems.append(
                Problem(
                    "land_use",
                    f"{sum(unknown.values())} parcel(s) carry {len(unknown)} class code(s) unknown "
                    f"in the {ws.config.city.land_use_scheme} scheme",
                    "Correct the codes, or set land_use_scheme in city.toml to the scheme the data "
                    "uses (gb50137, yongdi_yonghai, sandiao).",
                    count=sum(unknown.values()),
                    details=tuple(f"{k} ×{v}" for k, v in unknown.items()),
                )
            )
    if "green_spaces" in layers:
        unknown = unknown_green_classes(layers["green_spaces"]["green_class"])
        if unknown:
            problems.append(
                Problem(
                    "green_spaces",
                    f"{sum(unknown.values())} green space(s) carry {len(unknown)} class code(s) "
                    "not "
                    f"in CJJ/T 85-2017",
                    "Correct the codes (G11, G12, G13x, G14, G2, G3, XG, EG…), or set "
                    'green_space_scheme = "cjjt85_2002" in city.toml if the data uses 2002 codes.',
                    count=sum(unknown.values()),
                    details=tuple(f"{k} ×{v}" for k, v in unknown.items()),
                )
            )
    if "roads" in layers:
        roads = layers["roads"]
        bad = roads.loc[roads["grade"].isna(), "grade_source"].astype(str)
        if len(bad):
            counts = bad.value_counts().sort_index()
            problems.append(
                Problem(
                    "roads",
                    f"{len(bad)} road(s) have an unknown grade",
                    "Use 快速路/主干路/次干路/支路/其他 or "
                    "expressway/arterial/secondary/branch/other.",
                    count=len(bad),
                    details=tuple(f"{k} ×{v}" for k, v in counts.items()),
                )
            )
    return problems


def _district_problems(layers: dict[str, gpd.GeoDataFrame]) -> list[Problem]:
    if "districts" not in layers:
        return []
    districts = layers["districts"]
    problems = []
    no_pop = districts[districts["population"].isna() | (districts["population"] <= 0)]
    if len(no_pop):
        problems.append(
            Problem(
                "districts",
                f"{len(no_pop)} district(s) have no population",
                "Fill `population` (城区人口) for every district; per-capita indicators need it.",
                severity="warning",
                count=len(no_pop),
                details=tuple(str(n) for n in no_pop["name"].fillna(no_pop["district_id"])),
            )
        )
    dup = districts["district_id"][districts["district_id"].duplicated()]
    if len(dup):
        problems.append(
            Problem(
                "districts",
                "duplicate district_id values",
                "Give every district a unique code.",
                count=len(dup),
                details=tuple(sorted(set(map(str, dup)))),
            )
        )
    return problems


def _off_coverage(geoms: np.ndarray) -> np.ndarray | None:
    """Which polygons have edges that do not match their neighbours' (GEOS coverage
    validation, much faster than testing every touching pair); None if it cannot tell."""
    valid = shapely.is_valid(geoms) & ~shapely.is_empty(geoms)
    if not valid.all():
        return None
    try:
        edges = shapely.coverage_invalid_edges(geoms)
    except shapely.errors.GEOSException:
        return None
    return np.asarray(~shapely.is_empty(edges), dtype=bool)


def _overlap_problems(layers: dict[str, gpd.GeoDataFrame]) -> list[Problem]:
    if "land_use" not in layers:
        return []
    geoms = layers["land_use"].geometry.to_numpy()
    suspects = _off_coverage(geoms)
    if suspects is not None and not suspects.any():
        return []  # parcels that form a valid coverage do not overlap
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    if suspects is not None:
        near = suspects[left] | suspects[right]
        left, right = left[near], right[near]
    pairs = left < right
    left, right = left[pairs], right[pairs]
    if left.size == 0:
        return []
    touching_only = shapely.touches(geoms[left], geoms[right])
    left, right = left[~touching_only], right[~touching_only]
    if left.size == 0:
        return []
    areas = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    big = areas > OVERLAP_TOLERANCE_M2
    if not big.any():
        return []
    ids = layers["land_use"].get("parcel_id")
    labels = (
        ids.astype(str).to_numpy()
        if ids is not None and ids.notna().all()
        else np.arange(len(geoms)).astype(str)
    )
    details = tuple(
        f"{labels[a]}×{labels[b]} ({s:.0f} m²)"
        for a, b, s in zip(left[big], right[big], areas[big], strict=True)
    )
    return [
        Problem(
            "land_use",
            f"{int(big.sum())} pair(s) of land-use parcels overlap, {areas[big].sum():,.0f} m² in "
            f"total (residential land would be counted twice)",
            "Cut the overlaps so parcels tile without overlap (QGIS: Vector ▸ Geoprocessing ▸ "
            "Union, then dissolve duplicates; or the Topology Checker).",
            count=int(big.sum()),
            details=details,
        )
    ]


def _outside_problems(layers: dict[str, gpd.GeoDataFrame]) -> list[Problem]:
    if "built_up_area" not in layers:
        return []
    area = shapely.union_all(layers["built_up_area"].geometry.to_numpy())
    shapely.prepare(area)
    problems = []
    for name in ("land_use", "green_spaces"):
        if name in layers:
            outside = ~shapely.intersects(area, layers[name].geometry.to_numpy())
            if outside.any():
                problems.append(
                    Problem(
                        name,
                        f"{int(outside.sum())} feature(s) lie wholly outside the built-up area "
                        "and are ignored",
                        "Check the built-up area boundary and the layer's CRS.",
                        severity="warning",
                        count=int(outside.sum()),
                    )
                )
    return problems


def _raster_problems(
    ws: Workspace, layers: dict[str, gpd.GeoDataFrame], crs: object
) -> list[Problem]:
    problems = []
    for name in ("canopy", "land_surface_temperature"):
        try:
            raster = ws.load_raster(name)
        except GardenCityError as exc:
            problems.append(Problem(name, str(exc), "Fix the raster or its path in city.toml."))
            continue
        if raster is None or "built_up_area" not in layers:
            continue
        if raster.crs != crs:
            problems.append(
                Problem(
                    name,
                    f"raster is in {raster.crs.name}, the workspace in the working CRS",
                    f"Reproject it: gdalwarp -t_srs {ws.config.city.crs} in.tif out.tif.",
                )
            )
            continue
        area = shapely.union_all(layers["built_up_area"].geometry.to_numpy())
        if not shapely.box(*raster.bounds).contains(area):
            problems.append(
                Problem(
                    name,
                    "raster does not cover the whole built-up area",
                    "Provide a raster whose extent covers the built-up area.",
                )
            )
    return problems
