"""The family registry: a family declared in test code alone (measure, diagnostic layer,
shortfall figure, chart) reaches the scorecard, diagnostics.gpkg and report.html."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from gardencity.assessment import Assessment, run_assessment
from gardencity.errors import StandardError
from gardencity.indicators import (
    FAMILIES,
    REGISTRY,
    Chart,
    Diagnostic,
    Family,
    GapFigure,
    installed_families,
)
from gardencity.io.workspace import Workspace
from gardencity.reports import write_outputs
from gardencity.toolkit import CITY_ZONE, district_of, ratio_result, require_same_crs


def street_tree_density(zones: gpd.GeoDataFrame, trees: gpd.GeoDataFrame) -> pd.Series:
    """Trees per hectare of each zone (a toy measure)."""
    require_same_crs(zones=zones, trees=trees)
    points = trees.geometry.to_numpy()
    counts = [float(shapely.contains(z, points).sum()) for z in zones.geometry.to_numpy()]
    return ratio_result(
        pd.Series(counts, index=zones.index),
        pd.Series(shapely.area(zones.geometry.to_numpy()) / 1e4, index=zones.index),
        name="street_tree_density",
        scale=1.0,
        numerator_unit="count",
        denominator_unit="ha",
    )


def tree_layers(zones: gpd.GeoDataFrame, trees: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """The city's trees with their district (a toy diagnostic layer)."""
    inside = trees[shapely.contains(zones.loc[CITY_ZONE, "geometry"], trees.geometry.to_numpy())]
    layer = inside[["species", "geometry"]].reset_index(drop=True)
    layer["zone_id"] = district_of(layer, zones)
    return {"toy_city_trees": layer}


def trees_counted(series: pd.Series, gap_unit: str) -> float | None:
    return float(series.attrs["numerator"][CITY_ZONE]) if gap_unit == "count" else None


TOY = Family(
    name="toy_trees",
    measures=(street_tree_density,),
    diagnostics=(Diagnostic("street_tree_density", ("toy_city_trees",), tree_layers),),
    gap_figures=(GapFigure("street_tree_density", "trees_counted", trees_counted),),
    charts=(Chart("street_tree_density"),),
)

CATALOGUE = """
id: toy_city_catalogue
name_zh: 玩具城市标准
name_en: Toy city catalogue
edition: "2022"
catalogue_version: "toy-1"
document: 测试
extends: national_ecological_garden_city_2022
sources:
  TOY: {title: 测试来源, kind: secondary}
indicators:
  - id: street_tree_density
    name_zh: 行道树密度
    name_en: Street tree density
    unit: 株/公顷
    measure: street_tree_density
    method_zh: 每公顷树木株数
    method_en: Trees per hectare
    gap: {kind: add_numerator, unit: count, what_zh: 树木, what_en: trees}
    thresholds:
      - {op: ">=", value: 0.5, confidence: unverified, source: TOY, clause: 测试}
"""


@pytest.fixture(scope="module")
def toy_outputs(
    demo_city: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Assessment, dict[str, Path]]:
    """The S city assessed against a catalogue with the toy indicator, and its outputs (the
    toy family is registered only meanwhile)."""
    catalogue = tmp_path_factory.mktemp("toy") / "toy.yaml"
    catalogue.write_text(CATALOGUE, encoding="utf-8")
    with FAMILIES.registered(TOY):
        assessment = run_assessment(demo_city, standard=str(catalogue))
        paths = write_outputs(assessment, catalogue.parent / "out")
    return assessment, paths


def test_a_toy_family_reaches_the_scorecard(
    demo_city: Path, toy_outputs: tuple[Assessment, dict[str, Path]]
) -> None:
    assessment, paths = toy_outputs
    card = json.loads(paths["scorecard"].read_text(encoding="utf-8"))
    result = next(r for r in card["indicators"] if r["id"] == "street_tree_density")
    trees = Workspace.open(demo_city).load_layer("trees")
    city = assessment.zones.loc[CITY_ZONE, "geometry"]
    expected = trees.within(city).sum() / (city.area / 1e4)  # geopandas, independently
    assert result["value"] == pytest.approx(expected, rel=1e-12)
    assert result["status"] == "fail_unverified"
    assert result["gap"]["trees_counted"] == trees.within(city).sum()
    assert set(result["by_district"]) == set(assessment.zones.index[1:])


def test_a_toy_family_reaches_the_diagnostics(
    demo_city: Path, toy_outputs: tuple[Assessment, dict[str, Path]]
) -> None:
    _, paths = toy_outputs
    assert "toy_city_trees" in pyogrio.list_layers(paths["diagnostics"])[:, 0]
    layer = pyogrio.read_dataframe(paths["diagnostics"], layer="toy_city_trees")
    trees = Workspace.open(demo_city).load_layer("trees")
    city = Workspace.open(demo_city).load_layer("built_up_area").union_all()
    assert len(layer) == trees.within(city).sum() > 0 and layer["zone_id"].notna().all()


def test_a_toy_family_reaches_the_report(toy_outputs: tuple[Assessment, dict[str, Path]]) -> None:
    _, paths = toy_outputs
    html = paths["report"].read_text(encoding="utf-8")
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html)
    assert "行道树密度" in captions  # the toy family's bar chart
    assert "城市建成区绿化覆盖率" in captions  # the built-in charts stay


def test_unregistered_the_toy_family_is_gone(
    toy_outputs: tuple[Assessment, dict[str, Path]],
) -> None:
    assert "street_tree_density" not in REGISTRY and "toy_trees" not in FAMILIES
    assert "toy_city_trees" not in {n for d in FAMILIES.diagnostics() for n in d.layers}


def test_a_wrong_declaration_is_refused_with_every_problem() -> None:
    def green_coverage_ratio(zones: gpd.GeoDataFrame) -> pd.Series:
        return zones.geometry.area

    bad = Family(
        name="coverage",
        measures=(green_coverage_ratio,),
        diagnostics=(
            Diagnostic("green_coverage_ratio", ("zones_x", "eligible_parks"), tree_layers),
        ),
        charts=(Chart("someone_elses_measure"),),
    )
    with pytest.raises(StandardError) as caught:
        FAMILIES.register(bad)
    message = str(caught.value)
    for part in (
        "'coverage' is already",
        "['green_coverage_ratio'] already",
        "['someone_elses_measure']",
        "['eligible_parks']",
    ):
        assert part in message
    assert REGISTRY["green_coverage_ratio"].__module__ == "gardencity.indicators.coverage"


def test_an_installed_package_adds_its_family_by_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "toy_plugin.py").write_text(
        "from gardencity.indicators import Family\n"
        "def toy_count(zones):\n"
        "    return zones.geometry.area * 0\n"
        "FAMILY = Family('toy_plugin', (toy_count,))\n",
        encoding="utf-8",
    )
    info = tmp_path / "toy_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[gardencity.indicator_families]\ntoy = toy_plugin:FAMILY\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "toy_plugin", raising=False)
    found = [f for f in installed_families() if f.name == "toy_plugin"]
    assert [f.measure_names() for f in found] == [("toy_count",)]
