"""The leaders' brief on a worked example: which items and districts fall short, by how much
in physical units, who answers for them, what to do first, and what cannot be judged."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gardencity.assessment.scorecard import Scorecard
from gardencity.inspection.leader_brief import Responsibility, compose_brief

HAN = re.compile(r"[\u4e00-\u9fff]")


def _card(**fields: Any) -> dict[str, Any]:
    return {"name_zh": "", "name_en": "", "status": "pass", **fields}


def _scorecard() -> Scorecard:
    districts = {"320302": "鼓楼区", "320303": "云龙区"}
    return Scorecard.model_validate(
        {
            "city": {"name": "示范市"},
            "standard": {
                "id": "national_ecological_garden_city_2022",
                "name_zh": "国家生态园林城市评选标准（2022年版）",
                "name_en": "National Ecological Garden City Standard (2022)",
            },
            "generated_at": "2026-11-30T17:00:00+00:00",  # 1 December in Beijing
            "districts": [{"id": k, "name": v} for k, v in districts.items()],
            "indicators": [
                _card(
                    id="park_area_per_capita",
                    name_zh="人均公园绿地面积",
                    name_en="Park green space per capita",
                    unit="m²/人",
                    value=11.6,
                    by_district={"320302": 4.6, "320303": 15.2},
                    threshold={"value": 14.8},
                    status="fail_unverified",
                    district_status={"320302": "fail", "320303": "pass"},
                    gap={"amount": 22.8, "unit": "ha", "by_district": {"320302": 10.8}},
                ),
                _card(
                    id="shaded_road_coverage",
                    name_zh="城市林荫路覆盖率",
                    name_en="Shaded road coverage",
                    unit="%",
                    value=84.0,
                    threshold={"value": 85.0},
                    status="fail",
                    district_status={"320302": "pass", "320303": "fail"},
                    by_district={"320302": 86.0, "320303": 80.0},
                    gap={"amount": 1.5, "unit": "km", "by_district": {"320303": 2.0}},
                ),
                _card(
                    id="green_coverage_ratio",
                    name_zh="城市建成区绿化覆盖率",
                    name_en="Green coverage ratio",
                    unit="%",
                    value=45.0,
                    threshold={"value": 43.0},
                    status="pass",
                ),
                _card(
                    id="heat_island_intensity",
                    name_zh="城市热岛效应强度",
                    name_en="Urban heat island intensity",
                    unit="℃",
                    status="insufficient_data",
                    note="No land surface temperature raster.",
                    note_zh="缺少地表温度栅格",
                ),
            ],
        }
    )


SUMMARY = {
    "total": 12,
    "closed": 5,
    "closure_rate": 41.7,
    "overdue": 3,
    "by_unit": [{"name": "园林局", "overdue": 1}, {"name": "城管局", "overdue": 2}],
    "by_indicator": {"park_area_per_capita": {"鼓楼区": ["A1", "A2"], "": ["A1", "A2"]}},
    "targets": [
        {"action": "口袋公园建设", "district": "鼓楼区", "completion_pct": 40.0},
        {"action": "林荫路提升", "district": "云龙区", "completion_pct": 100.0},
    ],
}
WHO = {"鼓楼区": Responsibility("鼓楼区", ("张伟",)), "云龙区": Responsibility("云龙区")}


def test_the_brief_says_what_falls_short_by_how_much_and_who_answers() -> None:
    brief = compose_brief(_scorecard(), lang="zh", run_id=7, responsible=WHO, summary=SUMMARY)
    assert brief.basis.startswith("依据第 7 次评估（2026年12月1日）")
    assert brief.headline == (
        "共 4 项指标：达标 1 项，未达标 2 项，数据不足或未评估 1 项，无标准值仅作参考 0 项。"
    )
    park, shade = brief.shortfalls  # the furthest behind first: 鼓楼区 at 4.6 of 14.8
    assert park.text == (
        "全市：人均公园绿地面积 11.6 m²/人，低于 14.8 m²/人，需新增公园绿地约 22.8 公顷；"
        "已立案整改 2 件。"
    )
    assert park.districts == [
        "鼓楼区：人均公园绿地面积 4.6 m²/人，低于 14.8 m²/人，需新增公园绿地约 10.8 公顷；"
        "责任单位：鼓楼区；包挂领导：张伟；已立案整改 2 件。"
    ]
    assert shade.districts == [
        "云龙区：城市林荫路覆盖率 80%，低于 85%，需新增林荫路约 2 公里；责任单位：云龙区。"
    ]
    assert brief.first == [
        "优先补齐鼓楼区人均公园绿地面积的缺口（约 10.8 公顷）（责任单位：鼓楼区）。",
        "优先补齐云龙区城市林荫路覆盖率的缺口（约 2 公里）（责任单位：云龙区）。",
        "补齐数据后判定「城市热岛效应强度」：缺少地表温度栅格",
        "督办超期未办结案卷 3 件（最多的是城管局，2 件）。",
        "推进完成率最低的目标：口袋公园建设（鼓楼区）40%。",
    ]
    assert brief.unknown == ["城市热岛效应强度：缺少地表温度栅格"]  # unknown, never a zero
    assert brief.campaign == [
        "创建以来受理问题案卷 12 件，已结案 5 件，结案率 41.7%；超期未办结 3 件。",
        "创建目标 2 项，已完成 1 项；完成率最低的是口袋公园建设（鼓楼区）40%。",
    ]


def test_the_english_brief_is_english_but_for_proper_names() -> None:
    brief = compose_brief(_scorecard(), lang="en", run_id=7, responsible=WHO, summary=SUMMARY)
    proper = re.compile("鼓楼区|云龙区|张伟|园林局|城管局|口袋公园建设")
    sentences = [brief.title, brief.basis, brief.headline, *brief.first, *brief.campaign]
    for shortfall in brief.shortfalls:
        sentences += [shortfall.text, *shortfall.districts]
    assert all(not HAN.search(proper.sub("", s)) for s in sentences), sentences
    assert (
        brief.shortfalls[0]
        .districts[0]
        .startswith(
            "Gulou District: Park green space per capita 4.6 m²/person, below 14.8 m²/person; "
            "add about "
            "10.8 ha of park green space"
        )
    )
    assert brief.first[0] == (
        "Close the gap in park green space per capita in Gulou District (about 10.8 ha) "
        "(responsible: 鼓楼区)."  # a district in English; the responsible unit as it is named
    )
    assert brief.unknown == ["Urban heat island intensity: No land surface temperature raster."]


def test_without_a_campaign_or_shortfalls_the_brief_says_so() -> None:
    card = _scorecard()
    passing = card.model_copy(update={"indicators": card.indicators[2:3]})
    brief = compose_brief(passing, lang="zh", summary=None)
    assert brief.shortfalls == [] and brief.unknown == [] and brief.first == []
    assert brief.campaign == ["尚无问题案卷。", "尚未设定创建目标。"]
    assert "第 — 次评估" in brief.basis


@pytest.mark.parametrize(
    ("lang", "said"),
    [("zh", "结案率 —（受理的案卷均已作废，无从计算）"), ("en", "closure rate not known")],
)
def test_a_closure_rate_nothing_could_count_is_said_to_be_unknown_not_zero(
    lang: str, said: str
) -> None:
    every_case_discarded = {**SUMMARY, "closed": 0, "closure_rate": None}
    brief = compose_brief(_scorecard(), lang=lang, summary=every_case_discarded)
    assert said in brief.campaign[0] and "0.0%" not in brief.campaign[0]
