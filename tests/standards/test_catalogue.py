import inspect
from pathlib import Path

import pytest

from gardencity.errors import StandardError
from gardencity.indicators import REGISTRY
from gardencity.standards import list_standards, load_standard

EDITIONS = {
    "national_garden_city_2022",
    "national_ecological_garden_city_2022",
    "gbt50563_2010",
    "gb55014_2021",
}


def test_the_four_editions_load() -> None:
    assert {s.id for s in list_standards()} == EDITIONS


@pytest.mark.parametrize("standard", sorted(EDITIONS))
def test_every_measure_exists_and_accepts_its_params(standard: str) -> None:
    for spec in load_standard(standard).indicators:
        assert spec.measure in REGISTRY, f"{standard}:{spec.id} names unknown {spec.measure}"
        accepted = {
            n
            for n, p in inspect.signature(REGISTRY[spec.measure]).parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        }
        assert set(spec.params) <= accepted, f"{spec.id}: {set(spec.params) - accepted}"


def test_every_registered_measure_is_used_by_some_catalogue() -> None:
    used = {spec.measure for s in list_standards() for spec in s.indicators}
    assert used == set(REGISTRY)


@pytest.mark.parametrize("standard", sorted(EDITIONS))
def test_every_threshold_names_its_source_clause_and_confidence(standard: str) -> None:
    std = load_standard(standard)
    for spec in std.indicators:
        assert spec.unit is not None and spec.method_zh and spec.method_en
        for rule in spec.thresholds:
            assert rule.source in std.sources and rule.clause
            assert rule.confidence in ("confirmed", "secondary", "unverified")


def test_confidence_follows_the_research_notes() -> None:
    egc = load_standard("national_ecological_garden_city_2022")
    assert egc.indicator("green_coverage_ratio").select_threshold().value == 43
    assert egc.indicator("green_coverage_ratio").select_threshold().confidence == "secondary"
    gc = load_standard("national_garden_city_2022")
    assert all(
        r.value is None or spec.measure == "management_item"
        for spec in gc.indicators
        for r in spec.thresholds
    )
    floors = load_standard("gb55014_2021")
    rule = floors.indicator("park_service_coverage").select_threshold()
    assert (rule.op, rule.value, rule.confidence) == (">", 80, "confirmed")


def test_threshold_selected_by_grade() -> None:
    spec = load_standard("gbt50563_2010").indicator("green_coverage_ratio")
    assert spec.select_threshold(grade="I").value == 40
    assert spec.select_threshold(grade="II").value == 36
    assert spec.select_threshold(grade="IV") is None
    assert spec.select_threshold() is None


def test_city_file_extends_and_overrides(tmp_path: Path) -> None:
    own = tmp_path / "our_catalogue.yaml"
    own.write_text(
        """
id: demo_city_official_2022
name_zh: 示范市载入的官方标准
name_en: Official tables as loaded by the city
edition: "2022"
catalogue_version: "city-1"
document: 建城〔2022〕2号（官方 PDF）
extends: national_ecological_garden_city_2022
sources:
  OFFICIAL: {title: 官方标准文本, kind: official}
indicators:
  - id: green_space_ratio
    thresholds:
      - {op: ">=", value: 38, confidence: confirmed, source: OFFICIAL, clause: "表1 第2项"}
  - id: extra_ratio
    name_zh: 附加指标
    name_en: Extra
    unit: "%"
    measure: green_space_ratio
    params: {counted_classes: [G1], other_green_classes: [EG]}
    method_zh: 测试
    method_en: test
""",
        encoding="utf-8",
    )
    std = load_standard(own)
    assert std.extends == "national_ecological_garden_city_2022"
    assert std.indicator("green_space_ratio").select_threshold().value == 38
    assert std.indicator("green_space_ratio").select_threshold().confidence == "confirmed"
    assert std.indicator("green_space_ratio").params["other_green_cap"] == 0.2
    assert std.indicator("extra_ratio").name_zh == "附加指标"
    assert len(std.indicators) == 20


def test_malformed_catalogue_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        """
id: bad
name_zh: 坏
name_en: bad
edition: "1"
catalogue_version: "1"
document: x
sources: {S1: {title: t}}
indicators:
  - id: a
    name_zh: 甲
    name_en: a
    unit: "%"
    measure: green_coverage_ratio
    method_zh: m
    method_en: m
    thresholds: [{op: "=>", value: 1, confidence: sure, source: S1, clause: c}]
""",
        encoding="utf-8",
    )
    with pytest.raises(StandardError) as info:
        load_standard(bad)
    message = info.value.text("en")
    assert "bad.yaml" in message and "indicator 'a'" in message
    assert "op" in message and "confidence" in message and "Fix" in message
    assert "2 处问题" in str(info.value) and "请更正这些字段" in str(info.value)


def test_unknown_source_and_duplicate_ids_are_reported_together(tmp_path: Path) -> None:
    bad = tmp_path / "dup.yaml"
    entry = """
  - id: a
    name_zh: 甲
    name_en: a
    unit: "%"
    measure: green_coverage_ratio
    method_zh: m
    method_en: m
    thresholds: [{op: ">=", value: 1, confidence: secondary, source: NOPE, clause: c}]"""
    bad.write_text(
        "id: d\nname_zh: d\nname_en: d\nedition: '1'\ncatalogue_version: '1'\n"
        "document: x\nindicators:" + entry + entry + "\n",
        encoding="utf-8",
    )
    with pytest.raises(StandardError) as info:
        load_standard(bad)
    assert "id 重复" in str(info.value) and "“NOPE”" in str(info.value)
    assert "duplicate id" in info.value.text("en") and "'NOPE'" in info.value.text("en")


def test_unknown_standard_and_unknown_extends(tmp_path: Path) -> None:
    with pytest.raises(StandardError, match="未知标准“nope”") as caught:
        load_standard("nope")
    assert caught.value.text("en").startswith("Unknown standard 'nope'")
    own = tmp_path / "x.yaml"
    own.write_text("extends: nope\nindicators: []\n", encoding="utf-8")
    with pytest.raises(StandardError, match="所继承的标准“nope”不存在") as caught:
        load_standard(own)
    assert "extends unknown standard 'nope'" in caught.value.text("en")
