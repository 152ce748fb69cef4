"""Results a reader can reconcile: repairs listed once with feature ids, shares never above 100,
the regional-green (EG) credit stated per zone, a Chinese report without English notes and the
method's parameters in words."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
import shapely

from gardencity.assessment import run_assessment
from gardencity.assessment.evaluate import evaluate_indicator
from gardencity.assessment.inputs import AssessmentInputs
from gardencity.io.workspace import Workspace
from gardencity.reports import write_outputs
from gardencity.standards import load_standard
from gardencity.toolkit import ratio_result
from tests.assessment._full_city import X0, Y0, full_config, full_layers, write_city

BOW_TIE = shapely.Polygon([(X0 + 0, Y0 + 600), (X0 + 400, Y0 + 1000), (X0 + 400, Y0 + 600),
                           (X0 + 0, Y0 + 1000)])  # fmt: skip


@pytest.fixture(scope="module")
def assessed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Path]:  # type: ignore[type-arg]
    """The full city with an invalid (self-crossing) parcel, no trees and one undeclared
    management item: repairs, gaps and regional green space to reconcile."""
    root = tmp_path_factory.mktemp("reconcile") / "city"
    layers = full_layers()
    land = layers["land_use"]
    layers["land_use"] = land.set_geometry(
        [*land.geometry.iloc[:2], BOW_TIE, land.geometry.iloc[3]]
    )
    del layers["trees"]
    config = full_config()
    del config["management"]["dedicated_funding"]
    write_city(root.parent / "city", layers, config)
    assessment = run_assessment(root)
    out = root.parent / "out"
    write_outputs(assessment, out, lang="zh")
    return root, assessment.to_dict(), out


def test_repairs_are_listed_once_with_feature_ids(assessed: tuple[Path, dict, Path]) -> None:  # type: ignore[type-arg]
    _, card, _ = assessed
    repairs = [p for p in card["validation"] if "make_valid" in p["message"]]
    assert len(repairs) == 1, card["validation"]
    assert repairs[0]["layer"] == "land_use" and repairs[0]["count"] == 1
    assert repairs[0]["details"] == ["fid 3 (parcel_id b1)"]
    assert repairs[0]["message_zh"] == "1 个无效几何已用 make_valid 修复"


def test_a_share_is_never_above_100_but_a_real_excess_shows(tmp_path: Path) -> None:
    root = write_city(tmp_path / "city", full_layers(), full_config())
    standard = load_standard("national_ecological_garden_city_2022")
    spec = standard.indicator("greenway_service_coverage")
    inputs = AssessmentInputs(Workspace.open(root))
    context: dict[str, str | None] = {"grade": None, "region": None, "city_size": None}

    def measure(covered: float) -> pd.Series:
        index = inputs.get("zones").index
        return ratio_result(pd.Series(covered, index=index), pd.Series(100.0, index=index),
                            name="x", numerator_unit="m2", denominator_unit="m2")  # fmt: skip

    noisy = 100.00000000000436  # the float noise of unioned areas, as seen on Helsinki
    result, _ = evaluate_indicator(
        spec, inputs, {spec.measure: lambda **_: measure(noisy)}, standard, context
    )
    assert result.value == 100.0 and all(v == 100.0 for v in result.by_district.values())
    result, _ = evaluate_indicator(
        spec, inputs, {spec.measure: lambda **_: measure(100.5)}, standard, context
    )
    assert result.value == pytest.approx(100.5)  # a real error stays visible


def test_the_regional_green_credit_is_stated_per_zone(assessed: tuple[Path, dict, Path]) -> None:  # type: ignore[type-arg]
    _, card, out = assessed
    item = next(i for i in card["indicators"] if i["id"] == "green_space_ratio")
    details = item["details"]
    zones = ["built_up_area", "w", "e"]
    for zone in zones:
        counted = details["green_space_counted_ha"][zone]
        credited = details["regional_green_credited_ha"][zone]
        adjoining = details["regional_green_adjoining_ha"][zone]
        assert credited <= 0.2 * counted + 1e-9 and credited <= adjoining + 1e-9
        value = item["value"] if zone == "built_up_area" else item["by_district"][zone]
        assert value == pytest.approx(100 * (counted + credited) / details["zone_area_ha"][zone])
    # 2 ha of EG adjoin the east district's 3 ha of green space: the 20 % cap applies per
    # zone, so the east credits 0.6 ha, the city 1.2 ha of its 6 ha, the west none
    credited = details["regional_green_credited_ha"]
    assert credited["e"] == pytest.approx(0.6) and credited["built_up_area"] == pytest.approx(1.2)
    assert credited["w"] == 0.0
    report = (out / "report.html").read_text(encoding="utf-8")
    section = report[report.index('id="regional-green"') :]
    section = section[: section.index("</section>")]
    assert "计入的区域绿地（公顷）" in section and "东区" in section
    assert "0.60" in section and "1.20" in section


def _text(page: str) -> str:
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<img[^>]*>", " ", page)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_chinese_report_has_no_english_notes(assessed: tuple[Path, dict, Path]) -> None:  # type: ignore[type-arg]
    _, _, out = assessed
    text = _text((out / "report.html").read_text(encoding="utf-8"))
    for english in ("Not assessed", "Insufficient data", "[warning]", "fix:", "Fix:", "repaired"):
        assert english not in text, english
    assert "未评估：没有树木调查数据" in text
    assert re.search(r"生成时间 \d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d（北京时间）", text)
    assert "提示：用地：1 个无效几何已用 make_valid 修复（fid 3 (parcel_id b1)）" in text
    # parameters in words, not as JSON
    assert '{"' not in text and "缓冲区圆弧精度（每四分之一圆的段数）：16" in text
    assert "服务半径：面积 ≥5,000 m² 的公园 500 m" in text
    assert "参与评价的道路等级：次干路、支路" in text


def test_the_english_report_says_it_in_english(assessed: tuple[Path, dict, Path]) -> None:  # type: ignore[type-arg]
    root, _, out = assessed
    write_outputs(run_assessment(root), out / "en", lang="en")
    text = _text((out / "en" / "report.html").read_text(encoding="utf-8"))
    assert "Not assessed: there is no tree inventory" in text
    assert "service radius: parks of 5,000 m² and more 500 m" in text
    assert "warning: land_use: 1 invalid geometr(y/ies) repaired with make_valid" in text
    assert "未评估" not in text and "处理：" not in text
