"""Place names: Chinese in Chinese; in English the English name, else the name in pinyin with
its generic part in English; never a code. The server takes the city's names from city.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from gardencity.assessment.scorecard import CityInfo, DistrictRef
from gardencity.settings import Settings
from gardencity.vocabulary.places import place_name, place_names, romanised, romanised_unit


@pytest.mark.parametrize(
    ("name", "english"),
    [
        ("鼓楼区", "Gulou District"),
        ("示范市", "Shifan City"),
        ("重庆市", "Chongqing City"),  # a character read by the word it is in
        ("长安区", "Chang'an District"),  # an apostrophe where syllables would run together
        ("浦东新区", "Pudong New Area"),  # the longest generic part
        ("高新区", "Gaoxin District"),  # 新区 would leave one character: 区 is the generic part
        ("淇县", "Qixian County"),  # a one-character specific part keeps its generic part
        ("绿园区", "Lüyuan District"),
        ("Helsinki", "Helsinki"),
    ],
)
def test_a_chinese_place_name_is_written_in_pinyin(name: str, english: str) -> None:
    assert romanised(name) == english


@pytest.mark.parametrize(
    ("name", "english"),
    [
        ("鼓楼区园林局", "Gulou District Landscaping Bureau"),  # the longest ending: 园林局
        ("徐州市鼓楼区园林局", "Xuzhou City Gulou District Landscaping Bureau"),  # two places
        ("鼓楼区中心公园管理处", "Gulou District Zhongxingongyuan Management Office"),
        ("市园林绿化局", "City Landscaping and Greening Bureau"),  # a generic part alone
        ("湖滨区街道办事处", "Hubin District Subdistrict Office"),
        ("鼓楼区人民政府", "Gulou District People's Government"),
        ("某某物业公司", "Moumouwuye Company"),
        ("创园办", "Garden City Campaign Office"),
        ("鼓楼区", "Gulou District"),  # a place alone, as a place name
        ("Helsinki", "Helsinki"),
    ],
)
def test_an_organisations_name_is_written_with_its_places_and_ending_in_english(
    name: str, english: str
) -> None:
    assert romanised_unit(name) == english


def test_the_english_name_is_shown_in_english_and_the_chinese_in_chinese() -> None:
    assert place_name("鼓楼区", "Gulou District", "zh") == "鼓楼区"
    assert place_name("鼓楼区", "Gulou District", "en") == "Gulou District"
    assert place_name("经开区", "Economic Development Zone", "en") == "Economic Development Zone"
    assert place_name("泉山区", None, "en") == "Quanshan District"
    assert place_name("泉山区", "  ", "en") == "Quanshan District"
    nan = float("nan")  # a layer's empty cell as pandas reads it
    assert place_names(["鼓楼区", "湖滨区"], ["Gulou District", nan], "en") == [
        "Gulou District",
        "Hubin District",
    ]
    assert place_names(["鼓楼区"], None, "zh") == ["鼓楼区"]


def test_the_scorecard_names_its_city_and_districts_in_each_language() -> None:
    city = CityInfo(name="示范市", name_en="Demo City")
    assert (city.label("zh"), city.label("en")) == ("示范市", "Demo City")
    district = DistrictRef(id="320302", name="鼓楼区")
    assert (district.label("zh"), district.label("en")) == ("鼓楼区", "Gulou District")


def test_the_server_takes_the_city_names_from_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "city.toml").write_text('[city]\nname = "甲市"\nname_en = "Jia City"\n', "utf-8")
    settings = Settings.for_workspace(tmp_path)
    assert (settings.city("zh"), settings.city("en")) == ("甲市", "Jia City")
    # as the server reads its environment: GARDENCITY_WORKSPACE and no name given
    from_env = Settings(database_url="sqlite:///c.db", files_dir=tmp_path, workspace=tmp_path)
    assert from_env.city("en") == "Jia City"
    # a name given wins, and then both are the ones given
    given = Settings.for_workspace(tmp_path, city_name="乙市")
    assert (given.city("zh"), given.city("en")) == ("乙市", "Yishi City")
    (tmp_path / "city.toml").write_text('[city]\nname = "甲市"\n', "utf-8")
    assert Settings.for_workspace(tmp_path).city("en") == "Jiashi City"
