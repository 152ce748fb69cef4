"""The report's maps (图件), in the order the review reads them: green space, green cover,
park service radius, shaded roads, heat island, district figures, then one shortfall map per
failing indicator with the shortfall of each district written on it."""

from __future__ import annotations

import base64

import geopandas as gpd

from gardencity.assessment.scorecard import Scorecard
from gardencity.reports.html import load_labels
from gardencity.reports.maps import choropleth, layer_map, shortfall_map
from gardencity.reports.raster_maps import green_cover_map, heat_island_map
from gardencity.reports.self_assessment.data import ReportData
from gardencity.reports.self_assessment.tables import format_amount

__all__ = ["report_figures"]


def report_figures(data: ReportData) -> list[tuple[str, bytes]]:
    """``(title, PNG)`` of every map the data allows."""
    labels = load_labels("zh")
    zones = data.zones
    city = zones[zones["kind"] == "built_up_area"]
    districts = zones[zones["kind"] == "district"]
    diag = data.diagnostics
    parks = diag.get("eligible_parks")
    maps: list[tuple[str, str]] = []

    title = "建成区公园绿地现状图"
    maps.append(
        (
            title,
            layer_map(
                [(parks, "eligible_parks"), (districts, "districts")],
                city,
                labels,
                title,
                lang="zh",
                names=districts,
            ),
        )
    )
    if data.canopy is not None:
        title = "建成区绿化覆盖分布图"
        maps.append((title, green_cover_map(data.canopy, districts, labels, title)))
    for key, title in (
        ("uncovered_residential", "公园绿地服务半径覆盖分析图（直线距离）"),
        ("uncovered_residential_walking", "公园绿地服务半径覆盖分析图（步行距离）"),
    ):
        layer = diag.get(key)
        if layer is None or layer.empty:
            continue
        layers = [
            (diag.get("service_areas"), "service_areas"),
            (parks, "eligible_parks"),
            (layer, key),
            (districts, "districts"),
        ]
        maps.append((title, layer_map(layers, city, labels, title, lang="zh", names=districts)))
    maps.extend(_road_map(diag, districts, city, labels))
    if data.temperature is not None:
        title = "城市热岛效应分析图（地表温度）"
        shown = districts if not districts.empty else city
        maps.append((title, heat_island_map(data.temperature, shown, labels, title)))
    maps.extend(_district_maps(data.scorecard, districts, labels))
    maps.extend(_shortfall_maps(data.scorecard, districts, labels))
    return [(title, base64.b64decode(img)) for title, img in maps]


def _road_map(
    diag: dict[str, gpd.GeoDataFrame],
    districts: gpd.GeoDataFrame,
    city: gpd.GeoDataFrame,
    labels: dict[str, str],
) -> list[tuple[str, str]]:
    segments = diag.get("road_shade_segments")
    if segments is None or segments.empty:
        return []
    shaded = segments[segments["is_shaded"].astype(bool)]
    unshaded = segments[~segments["is_shaded"].astype(bool)]
    title = "林荫路分布图"
    layers = [
        (districts, "districts"),
        (shaded, "road_shade_segments"),
        (unshaded, "unshaded_road_segments"),
    ]
    return [(title, layer_map(layers, city, labels, title, lang="zh", names=districts))]


def _district_maps(
    scorecard: Scorecard, districts: gpd.GeoDataFrame, labels: dict[str, str]
) -> list[tuple[str, str]]:
    by_id = scorecard.by_id()
    out = []
    for indicator_id, minimum_id in (
        ("park_area_per_capita", "min_district_park_area_per_capita"),
        ("green_coverage_ratio", None),
    ):
        card = by_id.get(indicator_id)
        if card is None or not card.by_district or districts.empty:
            continue
        shown = districts.copy()
        shown["value"] = [card.by_district.get(str(i)) for i in shown.index]
        shown["value"] = shown["value"].astype(float)
        threshold = None if card.threshold is None else card.threshold.value
        minimum = by_id.get(minimum_id) if minimum_id is not None else None
        if minimum is not None and minimum.threshold is not None:
            threshold = minimum.threshold.value
        title = f"各城区{card.name_zh.removeprefix('城市建成区')}分布图"
        out.append(
            (title, choropleth(shown, "value", threshold, labels, title, card.unit, lang="zh"))
        )
    return out


def _shortfall_maps(
    scorecard: Scorecard, districts: gpd.GeoDataFrame, labels: dict[str, str]
) -> list[tuple[str, str]]:
    out = []
    names_seen = set()
    for card in scorecard.indicators:
        gap = card.gap
        if gap is None or not card.failing or districts.empty:
            continue
        by_district = {k: v for k, v in gap.by_district.items() if v is not None and v > 0}
        if not by_district:
            continue
        key = (tuple(sorted(by_district.items())), gap.unit)
        if key in names_seen:
            continue
        names_seen.add(key)
        amounts = {k: format_amount(v, gap.unit) for k, v in by_district.items()}
        title = f"{card.name_zh}差距分布图"
        legend = "存在差距的城区（需补足量）"
        out.append(
            (
                title,
                shortfall_map(districts, amounts, labels, title, legend_label=legend, lang="zh"),
            )
        )
    return out
