"""Validate a workspace: report every problem at once, each with how to fix it."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future, wait

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from gardencity.errors import CrsError, GardenCityError, Problem, ValidationError
from gardencity.io.classes import unknown_green_classes, unknown_land_use_codes
from gardencity.io.data_gaps import data_gap
from gardencity.io.hints import crs_zone_problems, gcj02_problems
from gardencity.io.layers import LAYERS
from gardencity.io.threads import helper_executor
from gardencity.io.validate_overlaps import land_use_off_coverage, overlap_problems
from gardencity.io.validate_setup import (
    allowed_value_problems,
    management_problems,
    standard_problems,
    start_raster_content_problems,
    table_problems,
)
from gardencity.io.workspace import Workspace

__all__ = [
    "PendingValidation",
    "check_workspace",
    "start_check",
    "start_validation",
    "validate_workspace",
]

_EMPTY_GAPS = {
    "land_use": "land_use_empty",
    "green_spaces": "green_spaces_empty",
    "roads": "no_roads",
}


def validate_workspace(ws: Workspace, executor: Executor | None = None) -> list[Problem]:
    """Every problem found in the workspace (errors block the assessment, warnings do not).
    An ``executor`` (another process) counts the canopy raster's pixels meanwhile."""
    return start_validation(ws, executor).result()


class PendingValidation:
    """A validation whose geometric checks may still be going on (:func:`start_validation`).

    ``known`` holds the problems found before them; :meth:`result` waits for them and gives
    every problem, in the order :func:`validate_workspace` lists them."""

    def __init__(self, known: list[Problem], rest: Callable[[], list[Problem]]) -> None:
        self.known = known
        self._rest = rest

    def result(self) -> list[Problem]:
        return self._rest()


def start_validation(
    ws: Workspace,
    executor: Executor | None = None,
    off_coverage: Future[np.ndarray | None] | None = None,
) -> PendingValidation:
    """:func:`validate_workspace` with its slowest checks still going on when it returns.

    The layers are loaded and every quick check is made here; the geometric checks
    (overlapping parcels, GCJ-02 offsets: GEOS, which lets go of the interpreter) go on in a
    thread, and the canopy's pixels are counted by ``executor``, so the caller can do other
    work meanwhile. The land-use parcels' coverage check may be under way in another process
    already (``off_coverage``, :func:`land_use_off_coverage` of :func:`land_use_parcels`):
    it is then not made here, unless that process could not make it.
    """
    try:
        crs = ws.crs
    except GardenCityError as exc:  # a CRS problem, or the PostGIS server cannot be read
        fix = "Set a projected `crs` in city.toml." if isinstance(exc, CrsError) else "See above."
        zh = "在 city.toml 中设置投影坐标系 crs。" if isinstance(exc, CrsError) else "见上文。"
        found = [Problem("city.toml", exc.text("en"), fix, message_zh=exc.text("zh"), fix_zh=zh)]
        return PendingValidation(found, lambda: list(found))
    problems, standard = standard_problems(ws)
    raster_content = start_raster_content_problems(ws, executor)
    layers = _load_layers(ws, problems)
    problems.extend(ws.repairs)
    pool = helper_executor()  # with one thread (a batch's worker), computed here at once
    if off_coverage is None or "land_use" not in layers:
        off_coverage = pool.submit(land_use_off_coverage, layers)
    hints = pool.submit(_hint_problems, ws, layers, crs)
    pool.shutdown(wait=False)  # its thread ends when both are done
    try:
        problems.extend(_class_problems(ws, layers))
        problems.extend(allowed_value_problems(layers))
        problems.extend(_district_problems(layers))
        outside = _outside_problems(layers)
        rasters = _raster_problems(ws, layers, crs)
        tables = table_problems(ws)
        management = management_problems(ws, standard)
    except BaseException:  # the thread's checks are not left running behind the error
        wait([off_coverage])
        wait([hints])
        raise

    def every_problem() -> list[Problem]:
        return [
            *problems,
            *overlap_problems(layers, _suspects(off_coverage, layers)),
            *outside,
            *rasters,
            *raster_content(),
            *tables,
            *management,
            *hints.result(),
        ]

    return PendingValidation([*problems, *outside, *rasters, *tables, *management], every_problem)


def land_use_parcels(ws: Workspace) -> gpd.GeoDataFrame | None:
    """The workspace's land-use parcels as the validation loads them, for another process to
    check (:func:`land_use_off_coverage`) while the validation goes on: read here, so that
    the other process reads nothing itself, nor uses a database connection of this one
    (None where there are none to read)."""
    if not ws.has_layer("land_use"):
        return None
    try:
        return ws.load_layer("land_use")
    except GardenCityError:  # the validation reports it
        return None


def _suspects(
    off_coverage: Future[np.ndarray | None], layers: dict[str, gpd.GeoDataFrame]
) -> np.ndarray | None:
    """The parcels off the coverage, as the other process found them, or found here where
    it could not (it died; an error it met is met here again)."""
    try:
        return off_coverage.result()
    except Exception:
        return land_use_off_coverage(layers)


def _hint_problems(ws: Workspace, layers: dict[str, gpd.GeoDataFrame], crs: CRS) -> list[Problem]:
    """Undeclared GCJ-02 layers, and a working CRS beyond its zone."""
    declared = {n for n, s in ws.config.layers.items() if s.coordinates == "gcj02"}
    problems = gcj02_problems(layers, declared, crs)
    if "built_up_area" in layers:
        area = shapely.union_all(layers["built_up_area"].geometry.to_numpy())
        problems.extend(crs_zone_problems(area, crs))
    return problems


def _load_layers(ws: Workspace, problems: list[Problem]) -> dict[str, gpd.GeoDataFrame]:
    """Every present layer, loaded; what is missing, unreadable or empty goes to ``problems``."""
    present = set(ws.layer_names())
    layers: dict[str, gpd.GeoDataFrame] = {}
    for name, spec in LAYERS.items():
        if name not in present:
            if spec.required:
                fields = ", ".join(spec.required_fields) or "geometry only"
                fields_zh = "、".join(spec.required_fields) or "仅几何"
                problems.append(
                    Problem(
                        name,
                        f"required layer '{name}' ({spec.name_zh}) is missing",
                        f"{ws.how_to_add(name)} (fields: {fields}).",
                        message_zh=f"缺少必需图层 {name}（{spec.name_zh}）",
                        fix_zh=f"{ws.how_to_add(name, 'zh')}（字段：{fields_zh}）。",
                    )
                )
            continue
        try:
            raw = ws.raw_outline(name)  # not read again where the assessment has loaded it
        except GardenCityError as exc:
            problems.append(
                Problem(
                    name,
                    exc.text("en"),
                    "See the message.",
                    message_zh=exc.text("zh"),
                    fix_zh="见上文。",
                )
            )
            continue
        missing = [f for f in spec.required_fields if f not in raw.fields]
        if missing:
            problems.append(
                Problem(
                    name,
                    f"missing required field(s): {', '.join(missing)}",
                    f"Add the field(s) or map your names in city.toml [layers.{name}] fields = "
                    f'{{{missing[0]} = "YOUR_FIELD"}}.',
                    details=tuple(sorted(raw.fields)),
                    message_zh=f"缺少必需字段：{', '.join(missing)}",
                    fix_zh=f"补上这些字段，或在 city.toml 的 [layers.{name}] 中用 fields = "
                    f'{{{missing[0]} = "你的字段名"}} 对应。',
                )
            )
            continue
        if raw.empty:
            problems.append(_empty_problem(ws, name))
            continue
        try:
            layer = ws.load_layer(name)
        except GardenCityError as exc:
            problems.append(
                Problem(
                    name,
                    exc.text("en"),
                    "See the message.",
                    message_zh=exc.text("zh"),
                    fix_zh="见上文。",
                )
            )
            continue
        assert layer is not None
        layers[name] = layer
    return layers


def _empty_problem(ws: Workspace, name: str) -> Problem:
    """An empty layer: blocking only for the built-up area (nothing can be assessed without
    it); otherwise the indicators that need it are not assessed, and the fix says how to fill
    it — never to remove it."""
    spec = LAYERS[name]
    add, add_zh = ws.how_to_add(name), ws.how_to_add(name, "zh")
    if name in _EMPTY_GAPS:
        gap = data_gap(_EMPTY_GAPS[name], workspace=str(ws.path))
        return Problem(name, gap.en, gap.fix_en, "warning", message_zh=gap.zh, fix_zh=gap.fix_zh)
    if name == "built_up_area":
        return Problem(
            name,
            "the built-up area layer is empty: nothing can be assessed without the boundary",
            f"Draw the 建成区 boundary and {add}.",
            message_zh="建成区图层为空：没有建成区边界，任何指标都无法评估",
            fix_zh=f"绘制建成区边界，然后{add_zh}。",
        )
    if name == "districts":
        return Problem(
            name,
            "the districts layer is empty: indicators are computed for the built-up area as a "
            "whole only, and its population must be given in city.toml",
            f"{add} (fields district_id, name, population), or set population in [city].",
            "warning",
            message_zh="城区图层为空：指标只按建成区整体计算，人口须在 city.toml 中给出",
            fix_zh=f"{add_zh}（字段 district_id、name、population），"
            "或在 [city] 中设置 population。",
        )
    return Problem(
        name,
        "layer is empty (no features)",
        f"Fill the layer: {add}.",
        "warning",
        message_zh=f"{spec.name_zh}图层为空（没有要素）",
        fix_zh=f"补齐该图层：{add_zh}。",
    )


def check_workspace(ws: Workspace, executor: Executor | None = None) -> list[Problem]:
    """Raise :class:`ValidationError` listing every problem if any is an error."""
    return start_check(ws, executor)()


def start_check(
    ws: Workspace,
    executor: Executor | None = None,
    off_coverage: Future[np.ndarray | None] | None = None,
) -> Callable[[], list[Problem]]:
    """:func:`check_workspace` with its geometric checks still going on when it returns (see
    :func:`start_validation`): the function returned waits for them, then raises
    :class:`ValidationError` listing every problem if any is an error, or gives the
    problems. An error found before them is raised at once (every problem listed)."""
    pending = start_validation(ws, executor, off_coverage)

    def problems_or_error() -> list[Problem]:
        problems = pending.result()
        if any(p.severity == "error" for p in problems):
            raise ValidationError(problems)
        return problems

    if any(p.severity == "error" for p in pending.known):
        problems_or_error()
    return problems_or_error


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
                    message_zh=f"{sum(unknown.values())} 个地块的 {len(unknown)} 种用地代码不属于 "
                    f"{ws.config.city.land_use_scheme} 分类体系（按未知用地计，居住用地可能漏算）",
                    fix_zh="改正这些代码，或在 city.toml 中把 land_use_scheme 设为数据所用的体系"
                    "（gb50137、yongdi_yonghai、sandiao）。",
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
                    message_zh=f"{sum(unknown.values())} 处绿地的 {len(unknown)} 种分类代码不属于 "
                    "CJJ/T 85-2017",
                    fix_zh="改正这些代码（G11、G12、G13x、G14、G2、G3、XG、EG…），"
                    "数据若用 2002 版代码，"
                    '请在 city.toml 中设置 green_space_scheme = "cjjt85_2002"。',
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
                    message_zh=f"{len(bad)} 条道路的等级无法识别",
                    fix_zh="道路等级用 快速路/主干路/次干路/支路/其他（或对应英文）。",
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
                message_zh=f"{len(no_pop)} 个城区没有人口数据",
                fix_zh="为每个城区填写人口 population（城区常住人口），人均类指标需要它。",
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
                message_zh="城区编码 district_id 有重复",
                fix_zh="为每个城区设置唯一编码。",
            )
        )
    return problems


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
                        message_zh=f"{int(outside.sum())} 个要素完全位于建成区之外，不参与计算",
                        fix_zh="检查建成区边界和该图层的坐标系。",
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
            problems.append(
                Problem(
                    name,
                    exc.text("en"),
                    "Fix the raster or its path in city.toml.",
                    message_zh=f"栅格无法使用：{exc}",
                    fix_zh="改正栅格文件，或 city.toml 中的路径。",
                )
            )
            continue
        if raster is None or "built_up_area" not in layers:
            continue
        if raster.crs != crs:
            problems.append(
                Problem(
                    name,
                    f"raster is in {raster.crs.name}, the workspace in the working CRS",
                    f"Reproject it: gdalwarp -t_srs {ws.config.city.crs} in.tif out.tif.",
                    message_zh=f"栅格坐标系为 {raster.crs.name}，与工作区坐标系不同",
                    fix_zh=f"重投影：gdalwarp -t_srs {ws.config.city.crs} in.tif out.tif。",
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
                    message_zh="栅格没有覆盖整个建成区",
                    fix_zh="提供覆盖整个建成区的栅格。",
                )
            )
    return problems
