"""The report's maps: SVG in the page, every layer drawn in its vocabulary style, the
districts coloured from low to high, a district without a value never drawn or named as a
zero, names however hostile shown as text, and the page's ids each used once."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gardencity.reports.html import load_labels
from gardencity.reports.map_layers import map_plan
from gardencity.reports.svg_maps import Frame, choropleth_svg, path_data, plan_svg
from gardencity.vocabulary import vocabulary

SVG = "{http://www.w3.org/2000/svg}"


def _svg(markup: str) -> ET.Element:
    found = re.search(r"<svg [^>]*class=\"map\".*?</svg>", markup, re.S)
    assert found is not None
    return ET.fromstring(found.group(0))


def _places(markup: str) -> list[str]:
    """The words written on the map, a place's lines joined by a space (unescaped)."""
    spans = re.findall(r'<span class="map-name"[^>]*>(.*?)</span>', markup, re.S)
    return [ET.fromstring(f"<p>{s.replace('<br>', ' ')}</p>").text or "" for s in spans]


def _districts(names: list[str], values: list[float | None]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": names, "value": np.array(values, dtype=float)},
        geometry=[shapely.box(i * 1000, 0, (i + 1) * 1000, 1500) for i in range(len(names))],
        crs=4547,
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_layer_map_draws_each_layer_as_one_path_in_its_style(lang: str) -> None:
    words = vocabulary()
    parks = gpd.GeoDataFrame(
        geometry=[shapely.box(0, 0, 100, 100), shapely.box(500, 500, 700, 650)], crs=4547
    )
    roads = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 900), (4000, 900)])], crs=4547)
    city = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 4000, 3000)], crs=4547)
    layers = [(parks, "eligible_parks"), (roads, "unshaded_road_segments")]
    markup = plan_svg(map_plan(layers, city, "地图", lang=lang))
    svg = _svg(markup)
    paths = svg.findall(f"{SVG}path")
    assert [p.get("class") for p in paths] == ["eligible_parks", "unshaded_road_segments"]
    parks_style = words.style("layers", "eligible_parks")
    assert paths[0].get("fill") == parks_style.fill
    assert paths[0].get("d", "").count("m") == 2 and paths[0].get("d", "").count("z") == 2
    assert paths[1].get("fill") == "none"
    assert paths[1].get("stroke") == words.style("layers", "unshaded_road_segments").stroke
    for layer in ("eligible_parks", "unshaded_road_segments"):  # the legend, in its words
        assert words.label("layers", layer, lang) in markup
    km, north = words.label("units", "km", lang), words.label("map_marks", "north", lang)
    assert f"0.5 {km}" in markup and north in markup  # a fifth of 4 km, rounded down
    assert svg.get("aria-label") == "地图"
    # the bar is as long on the map as 500 m: its share of the map's width, margins and all
    share = float(re.findall(r'class="scale" style="width:([\d.]+)%"', markup)[0])
    assert share == round(500 / (4000 * 1.04) * 100, 2)


def _subpaths(d: str) -> list[list[tuple[int, int]]]:
    """Path data of relative moves, steps and closes read as the browser reads it: each
    subpath's points in absolute units (a close back to its start)."""
    subpaths: list[list[tuple[int, int]]] = []
    x = y = 0
    for command, numbers in re.findall(r"([mz])([^mz]*)", d):
        if command == "z":
            x, y = subpaths[-1][0]
            subpaths[-1].append((x, y))
            continue
        steps = [int(n) for n in numbers.split()]
        subpaths.append([])
        for dx, dy in zip(steps[0::2], steps[1::2], strict=True):
            x, y = x + dx, y + dy
            subpaths[-1].append((x, y))
    return subpaths


def test_path_data_is_in_whole_units_within_the_map() -> None:
    ring = shapely.box(0, 0, 2000, 1000).difference(shapely.box(500, 250, 1000, 750))
    frame = Frame.around(ring.bounds)
    layers = [(gpd.GeoDataFrame(geometry=[ring], crs=4547), "eligible_parks")]
    plan = map_plan(layers, gpd.GeoDataFrame(geometry=[ring], crs=4547), "t", lang="zh")
    d = path_data(plan.layers[0].xy, plan.layers[0].codes, frame)
    outer, hole = _subpaths(d)  # the outer ring and its hole, each closed
    assert outer[0] == outer[-1] and hole[0] == hole[-1] and len(outer) == len(hole) == 5
    expected = frame.units(np.array(ring.exterior.coords))
    assert sorted(outer[:-1]) == sorted(zip(*(e[:-1].tolist() for e in expected), strict=True))
    points = outer + hole
    assert all(0 <= x <= frame.width and 0 <= y <= frame.height for x, y in points)
    assert frame.width == 1000 and frame.height == round(1000 * 1080 / 2080)


def test_lines_that_meet_are_written_as_one_and_every_road_is_kept() -> None:
    """Consecutive segments of a road go on from one another; a segment shorter than a
    unit is still drawn (a dot), never dropped."""
    frame = Frame.around((0.0, 0.0, 10_000.0, 10_000.0))
    segments = [
        shapely.LineString([(0, 0), (100, 0)]),
        shapely.LineString([(100, 0), (200, 0)]),
        shapely.LineString([(5000, 5000), (5001, 5000)]),  # under a unit long
    ]
    roads = gpd.GeoDataFrame(geometry=segments, crs=4547)
    plan = map_plan([(roads, "road_shade_segments")], roads, "t", lang="zh")
    first, dot = _subpaths(path_data(plan.layers[0].xy, plan.layers[0].codes, frame, line=True))
    x, y = frame.units(np.array([[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [5000.0, 5000.0]]))
    assert first == [(x[0], y[0]), (x[1], y[1]), (x[2], y[2])]  # one line, no move between
    assert dot == [(x[3], y[3]), (x[3], y[3])]


def test_districts_are_coloured_from_low_to_high_and_none_is_shown_as_zero() -> None:
    labels = load_labels("zh")
    zones = _districts(["甲区", "乙区", "丙区", "丁区"], [20.0, 48.0, None, 35.0])
    markup = choropleth_svg(zones, "value", 30.0, labels, "绿化覆盖率", "%", lang="zh")
    svg = _svg(markup)
    districts = [p for p in svg.findall(f"{SVG}path") if p.get("class") == "districts"]
    fills = [p.get("fill") for p in districts]
    lightness = [sum(int(f[i : i + 2], 16) for i in (1, 3, 5)) for f in fills if f]
    no_data = vocabulary().style("layers", "no_data").fill
    assert fills[2] == no_data and fills[0] != no_data  # no value: the no-data colour
    assert lightness[0] > lightness[2] > lightness[1]  # 20 lightest, 48 darkest
    assert _places(markup) == ["甲区 20.0", "乙区 48.0", "丙区 无数值", "丁区 35.0"]
    assert districts[2].findtext(f"{SVG}title") == "丙区: 无数值"
    assert not re.search(r"\b0\.0\b", markup) and "nan" not in markup.lower()
    # only 甲区 is short of 30 %: hatched over its colour, said in the legend
    hatched = [p for p in svg.findall(f"{SVG}path") if p.get("class") == "districts_below_minimum"]
    assert [p.get("d") for p in hatched] == [districts[0].get("d")]
    pattern = svg.find(f"{SVG}defs/{SVG}pattern")
    assert pattern is not None and f"url(#{pattern.get('id')})" in markup
    assert f"{labels['legend_below']} 30 %" in markup
    assert vocabulary().label("layers", "no_data", "zh") in markup


def test_hostile_names_stay_text() -> None:
    names = ["<script>alert(1)</script>", 'A "quoted" & </svg> name']
    markup = choropleth_svg(
        _districts(names, [1.0, 2.0]), "value", None, load_labels("en"), "<b>t</b>", "%",
        lang="en",
    )  # fmt: skip
    assert "<script>" not in markup and "<b>t</b>" not in markup
    assert _places(markup) == [f"{names[0]} 1.0", f"{names[1]} 2.0"]
    assert _svg(markup).get("aria-label") == "<b>t</b>"  # one well-formed SVG


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_map_of_the_report_is_svg_with_ids_used_once(
    demo_assessment, demo_report, lang: str
) -> None:  # type: ignore[no-untyped-def]
    page = demo_report(lang).read_text(encoding="utf-8")
    figures = re.findall(r'<figure class="map">(.*?)</figure>', page, re.S)
    assert len(figures) >= 6 and "data:image" not in page
    for figure in figures:
        assert _svg(figure).findall(f"{SVG}path")
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # a pattern of one map never fills another's
    for used in re.findall(r"url\(#([^)]+)\)", page):
        assert used in ids
    scorecard = demo_assessment.scorecard()
    names = {d.label(lang) for d in scorecard.districts}
    written = {w.split(" ")[0] if lang == "zh" else w for f in figures for w in _places(f)}
    assert any(name in " ".join(written) for name in names)
