"""Validation of what the assessment reads besides the vector layers: the chosen standard, the
management items, the rasters' content and the tables — so that `validate` finds what
`assess` would otherwise stumble on."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, Future

import geopandas as gpd
import numpy as np

from gardencity.errors import GardenCityError, Problem
from gardencity.io.data_gaps import data_gap
from gardencity.io.layers import LAYERS
from gardencity.io.raster import Raster
from gardencity.io.raster_values import count_values, counted_values
from gardencity.io.threads import with_callers_threads
from gardencity.io.workspace import Workspace
from gardencity.standards import list_standards, load_standard
from gardencity.standards.schema import Standard

__all__ = [
    "allowed_value_problems",
    "management_problems",
    "raster_content_problems",
    "resolve_standard",
    "standard_problems",
    "start_raster_content_problems",
    "table_problems",
]

# a land-surface temperature in °C lies well inside this range; Kelvin (≈ 300) does not
_PLAUSIBLE_CELSIUS = (-60.0, 80.0)


def resolve_standard(ws: Workspace, override: str | None = None) -> str:
    """The catalogue id, or the path of the city's own catalogue (relative to the workspace)."""
    chosen = override or ws.config.city.standard
    candidate = ws.path / chosen
    return str(candidate) if candidate.is_file() else chosen


def standard_problems(ws: Workspace) -> tuple[list[Problem], Standard | None]:
    """An unknown or broken catalogue blocks; a graded one without a grade gives no verdicts."""
    try:
        standard = load_standard(resolve_standard(ws))
    except GardenCityError as exc:
        known = ", ".join(s.id for s in list_standards())
        return [
            Problem(
                "city.toml",
                f"[city] standard: {exc.text('en')}",
                f"Set standard in [city] of city.toml to one of {known}, or to the path of "
                f"the city's own catalogue file.",
                message_zh=f"[city] standard 指定的评价标准无法载入：{exc.text('zh')}",
                fix_zh=f"把 city.toml [city] 中的 standard 改为 {known} 之一，"
                "或城市自有目录文件的路径。",
            )
        ], None
    problems = []
    if standard.grades and ws.config.city.grade not in standard.grades:
        grades = "/".join(standard.grades)
        problems.append(
            Problem(
                "city.toml",
                f"the standard {standard.id} is graded ({grades}) but city.toml gives no valid "
                f"grade, so no indicator can pass or fail",
                f'Set grade = "{standard.grades[0]}" (one of {grades}) in [city] of city.toml.',
                "warning",
                message_zh=f"评价标准 {standard.id} 分级（{grades}），但 city.toml 未给出有效等级，"
                f"所有指标都无法判定",
                fix_zh="在 city.toml 的 [city] 中设置 "
                f'grade = "{standard.grades[0]}"（{grades} 之一）。',
            )
        )
    return problems, standard


def management_problems(ws: Workspace, standard: Standard | None) -> list[Problem]:
    """Missing evidence files (the item is then not assessed) and items the standard lacks."""
    problems = []
    items = {
        str(s.params.get("item_id"))
        for s in (standard.indicators if standard else [])
        if s.measure == "management_item"
    }
    for item_id, item in ws.management().items():
        if item.status and item.missing:
            gap = data_gap(
                "management_evidence_missing",
                item=item_id,
                files=", ".join(item.missing),
                workspace=str(ws.path),
            )
            problems.append(
                Problem(
                    f"management.{item_id}",
                    f"{gap.en}; the item is not assessed until they are there",
                    gap.fix_en,
                    "warning",
                    len(item.missing),
                    item.missing,
                    message_zh=f"{gap.zh}；补齐前该管理项不作评估",
                    fix_zh=gap.fix_zh,
                )
            )
        if standard is not None and item_id not in items:
            known = ", ".join(sorted(items)) or "—"
            problems.append(
                Problem(
                    f"management.{item_id}",
                    f"the standard {standard.id} has no management item '{item_id}'; it is ignored",
                    f"Correct the name in city.toml (the standard's items: {known}).",
                    "warning",
                    message_zh=f"评价标准 {standard.id} 没有管理项“{item_id}”，该项不参与评估",
                    fix_zh=f"改正 city.toml 中的名称（该标准的管理项：{known}）。",
                )
            )
    return problems


def raster_content_problems(ws: Workspace) -> list[Problem]:
    """Canopy pixel values outside the declared classes; temperatures that are not °C."""
    return start_raster_content_problems(ws)()


def start_raster_content_problems(
    ws: Workspace, executor: Executor | None = None
) -> Callable[[], list[Problem]]:
    """:func:`raster_content_problems`, the canopy's pixels counted by ``executor`` (another
    process reading the raster's file) while the caller goes on; the function returned gives
    the problems (the pixels counted here if the executor cannot)."""
    try:
        canopy = ws.load_raster("canopy")
        temperature = ws.load_raster("land_surface_temperature")
    except GardenCityError:
        return list  # reported by the raster checks of validate_workspace
    counted: Future[tuple[np.ndarray, np.ndarray]] | None = None
    if canopy is not None and executor is not None:
        try:
            counted = executor.submit(with_callers_threads(_value_counts), canopy)
        except (BrokenExecutor, RuntimeError, OSError):
            counted = None

    def problems() -> list[Problem]:
        found = []
        if canopy is not None:
            found.extend(_canopy_problems(ws, canopy, _counts(canopy, counted)))
        if temperature is not None:
            found.extend(_temperature_problems(temperature))
        return found

    return problems


def _counts(
    canopy: Raster, counted: Future[tuple[np.ndarray, np.ndarray]] | None
) -> tuple[np.ndarray, np.ndarray]:
    if counted is not None:
        try:
            return counted.result()
        except BrokenExecutor:  # the process died (killed, out of memory)
            pass
    return _value_counts(canopy)


def _valid_pixels(raster: Raster) -> np.ndarray:
    values = raster.array.ravel()
    valid = np.ones(values.shape, dtype=bool)
    if raster.nodata is not None and not np.isnan(raster.nodata):
        valid &= values != raster.nodata
    if np.issubdtype(values.dtype, np.floating):
        valid &= ~np.isnan(values)
    return np.asarray(values[valid])


# pixels per strip when counting pixel values: memory bounded by the strip, not the raster
_COUNT_STRIP_PIXELS = 1 << 22


def _value_counts(raster: Raster) -> tuple[np.ndarray, np.ndarray]:
    """Distinct valid pixel values and their counts (a bincount for 8/16-bit classes, strip by
    strip: a whole-raster bincount would hold eight bytes per pixel). A file whose values the
    canopy's class counts already counted in this process is not read again."""
    dtype = raster.dtype
    if np.issubdtype(dtype, np.unsignedinteger) and dtype.itemsize <= 2:
        counted = counted_values(raster)
        if counted is not None:
            return counted
        counts = np.zeros(1 << (8 * dtype.itemsize), dtype=np.int64)
        rows = raster.strip_rows(_COUNT_STRIP_PIXELS)  # whole blocks: each decompressed once
        for _, strip in raster.strips(rows):
            count_values(strip, counts)
        if raster.nodata is not None and 0 <= raster.nodata < len(counts):
            counts[int(raster.nodata)] = 0
        values = np.flatnonzero(counts)
        return values, counts[values]
    values, counts = np.unique(_valid_pixels(raster), return_counts=True)
    return values, counts


def _canopy_problems(
    ws: Workspace, canopy: Raster, value_counts: tuple[np.ndarray, np.ndarray]
) -> list[Problem]:
    classes = ws.config.rasters.canopy_classes
    problems = []
    if "tree" not in classes:
        problems.append(
            Problem(
                "canopy",
                "[rasters.canopy_classes] names no tree class: shaded roads cannot be judged",
                "Add tree = <pixel value> to [rasters.canopy_classes] in city.toml.",
                message_zh="[rasters.canopy_classes] 中没有乔木类（tree），林荫路无法判定",
                fix_zh="在 city.toml 的 [rasters.canopy_classes] 中添加 tree = 像元值。",
            )
        )
    values, counts = value_counts
    declared = set(classes.values())
    other = [(v, c) for v, c in zip(values.tolist(), counts.tolist(), strict=True)]
    other = [(v, c) for v, c in other if v not in declared and v != 0]
    if other:
        share = sum(c for _, c in other) / max(1, int(counts.sum()))
        details = tuple(f"{v:g} ×{c}" for v, c in other[:20])
        problems.append(
            Problem(
                "canopy",
                f"{share:.1%} of the canopy pixels hold values not in [rasters.canopy_classes] "
                f"({', '.join(f'{k} = {v}' for k, v in classes.items())}); they count as no cover",
                "Map the values in [rasters.canopy_classes] of city.toml, or set them to nodata.",
                "warning",
                len(other),
                details,
                message_zh=f"冠层栅格中 {share:.1%} 的像元取值不在 [rasters.canopy_classes] 中，"
                f"按无植被计",
                fix_zh="在 city.toml 的 [rasters.canopy_classes] 中补上这些取值，或设为空值。",
            )
        )
    return problems


def _temperature_problems(temperature: Raster) -> list[Problem]:
    values = _valid_pixels(temperature)
    if values.size == 0:
        return []
    low, high = float(np.percentile(values, 1)), float(np.percentile(values, 99))
    if _PLAUSIBLE_CELSIUS[0] <= low and high <= _PLAUSIBLE_CELSIUS[1]:
        return []
    kelvin = low >= 200.0 and high <= 360.0
    hint_en = " They look like kelvin: subtract 273.15." if kelvin else ""
    hint_zh = "看起来是开尔文温度：请减去 273.15。" if kelvin else ""
    return [
        Problem(
            "land_surface_temperature",
            f"temperatures from {low:.1f} to {high:.1f} are not plausible in °C.{hint_en} "
            f"(The heat-island intensity, a difference, is the same; maps and reports show °C.)",
            "Provide the land-surface temperature in °C (e.g. gdal_calc.py "
            '--calc="A-273.15" for kelvin).',
            "warning",
            message_zh=f"地表温度在 {low:.1f} 到 {high:.1f} 之间，不像摄氏度。{hint_zh}"
            "（热岛强度是温差，不受影响；但地图和报告按摄氏度显示。）",
            fix_zh="提供以摄氏度为单位的地表温度"
            '（开尔文可用 gdal_calc.py --calc="A-273.15" 换算）。',
        )
    ]


def table_problems(ws: Workspace) -> list[Problem]:
    """A table city.toml names that cannot be read or lacks columns."""
    problems = []
    for name in ("weather_stations",):
        try:
            ws.load_table(name)
        except GardenCityError as exc:
            problems.append(
                Problem(
                    name,
                    exc.text("en"),
                    f"Fix the file or [tables] {name} in city.toml.",
                    message_zh=f"气象站表无法使用：{exc}",
                    fix_zh=f"改正该文件，或 city.toml 中的 [tables] {name}。",
                )
            )
    return problems


def allowed_value_problems(layers: dict[str, gpd.GeoDataFrame]) -> list[Problem]:
    """Values outside a field's allowed list (e.g. veg_type 乔木): the measures read them as
    unknown, which lowers the data completeness."""
    problems = []
    for name, layer in layers.items():
        for spec in LAYERS[name].fields:
            if (
                not spec.allowed
                or spec.name not in layer
                or (name, spec.name) == ("roads", "grade")
            ):
                continue
            values = layer[spec.name].dropna().astype(str)
            other = values[~values.isin(spec.allowed)].value_counts().sort_index()
            if other.empty:
                continue
            allowed = "/".join(spec.allowed)
            problems.append(
                Problem(
                    name,
                    f"{int(other.sum())} feature(s) have a {spec.name} outside {allowed}; they "
                    f"count as unknown",
                    f"Use {allowed} in {spec.name} (e.g. tree for 乔木).",
                    "warning",
                    int(other.sum()),
                    tuple(f"{k} ×{v}" for k, v in other.items()),
                    message_zh=f"{int(other.sum())} 个要素的 {spec.name}（{spec.name_zh}）不在 "
                    f"{allowed} 之中，按未知处理",
                    fix_zh=f"{spec.name} 请用 {allowed}（例如“乔木”写作 tree）。",
                )
            )
    return problems
