"""The check-lists are data: a city changes weights, items and grades in its own file, and a
wrong file is refused with every problem listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from gardencity.campaign.config import load_campaign_config
from gardencity.errors import InvalidRequestError
from gardencity.maintenance.checklists import SITE_TYPES, load_checklists
from gardencity.maintenance.scoring import inspection_score

CATEGORIES = set(load_campaign_config().categories)


def test_our_check_lists_cover_every_site_type_with_weights_of_100() -> None:
    lists = load_checklists(categories=CATEGORIES)
    assert set(lists.site_types) == set(SITE_TYPES)
    for spec in lists.site_types.values():
        assert sum(i.weight for i in spec.items) == 100
        assert all(i.name.zh != i.name.en and i.criterion.en for i in spec.items)
    assert [lists.grade_for(s).name.zh for s in (95, 85, 75, 50)] == [
        "一级养护",
        "二级养护",
        "三级养护",
        "不达标",
    ]


def test_a_city_overrides_weights_items_and_grades(tmp_path: Path) -> None:
    city = tmp_path / "maintenance.yaml"
    city.write_text(
        "grades:\n  - {code: grade_1, min: 95, name: {zh: 一级养护, en: Grade I}}\n"
        "site_types:\n  park:\n    items:\n      - {code: clean, weight: 35}\n"
        "      - {code: toilets_clean, weight: 10, category: litter_in_green_space,\n"
        "         name: {zh: 厕所洁净, en: Toilets clean},\n"
        "         criterion: {zh: 厕所无异味, en: No smell}}\n",
        encoding="utf-8",
    )
    lists = load_checklists(city, CATEGORIES)
    park = lists.site_types["park"]
    assert park.item("clean").weight == 35 and park.item("clean").name.zh == "园容整洁"
    assert park.items[-1].code == "toilets_clean"
    assert lists.grade_for(92).name.zh == "二级养护"  # 一级 now needs 95
    weights = {i.code: i.weight for i in park.items}
    results = dict.fromkeys(weights, "pass") | {"clean": "fail"}
    assert inspection_score(results, weights) == pytest.approx(100 * (130 - 35) / 130)


def test_a_wrong_file_is_refused_with_every_problem(tmp_path: Path) -> None:
    city = tmp_path / "maintenance.yaml"
    city.write_text(
        "site_types:\n  river:\n    name: {zh: 河道, en: River}\n    items:\n"
        "      - {code: a, weight: 5, category: nowhere,\n"
        "         name: {zh: 甲, en: A}, criterion: {zh: 甲, en: A}}\n"
        "  park:\n    items:\n      - {code: clean, category: no_such_category}\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidRequestError) as caught:
        load_checklists(city, CATEGORIES)
    text = caught.value.text("en")
    for part in ("river", "nowhere", "no_such_category", str(city)):
        assert part in text, text
