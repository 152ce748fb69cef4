"""The inspection's errors read in the reader's language: a resident's survey answers and a
ledger change through the API (the request's language), a spot check's and a check sheet's
problems (whoever shows them) — Chinese pages read Chinese, English pages English."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from pyproj import CRS

from gardencity.errors import DataError, GardenCityError
from gardencity.inspection.check_cases import read_field_check_sheet
from gardencity.inspection.spot_checks import classify_points, random_points_in
from gardencity.io.raster import Raster
from tests._campaign import CampaignEnv

HAN = re.compile(r"[\u3400-\u9fff]")
ENGLISH_WORD = re.compile(r"\b(?:the|is|not|no|a|of|give|must|Fix|row|question|yes)\b")
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def _zh(text: str) -> None:
    assert HAN.search(text) and not ENGLISH_WORD.search(text), text


def _en(text: str) -> None:
    assert text and not HAN.search(text), text


def _both(error: GardenCityError) -> tuple[str, str]:
    zh, en = error.text("zh"), error.text("en")
    _zh(zh)
    _en(en)
    return zh, en


def _message(response: Any) -> str:
    assert response.status_code == 422, response.text
    return str(response.json()["error"]["message"])


def test_a_residents_bad_answers_are_told_in_the_page_language(campaign: CampaignEnv) -> None:
    answers = {"overall": 9, "park_nearby": "yes", "colour": "red"}
    body = {"stratum": "d9", "answers": answers}
    url = "/api/v1/public/survey/responses"
    zh = _message(campaign.client.post(url, json=body))
    en = _message(campaign.client.post(url, json=body, headers=ENGLISH))
    districts = list(campaign.client.get("/api/v1/public/survey").json()["strata"].values())
    _zh(zh.replace("colour", ""))  # the unknown question is named as it was sent
    names_in_english = en
    for district in districts:  # district names are names in English too
        names_in_english = names_in_english.replace(district, "")
    _en(names_in_english)
    assert zh.startswith(f"答卷有以下问题：请选择所在城区：{'、'.join(sorted(districts))}；")
    assert "第 2 题：请选择“是”或“否”" in zh
    assert "question 1: give a whole number from 1 to 5" in en and en.endswith("again.")


def test_a_ledger_title_cleared_is_refused_in_the_page_language(campaign: CampaignEnv) -> None:
    created = campaign.client.post(
        "/api/v1/ledger",
        json={"item_id": "green_coverage_ratio", "title": "统计表"},
        headers=campaign.headers("admin"),
    )
    assert created.status_code in (200, 201), created.text
    url = f"/api/v1/ledger/{created.json()['id']}"
    patch = {"title": None, "status": None}
    zh = _message(campaign.client.patch(url, json=patch, headers=campaign.headers("admin")))
    en = _message(
        campaign.client.patch(url, json=patch, headers=campaign.headers("admin") | ENGLISH)
    )
    assert zh == "状态、标题不能为空：如不修改，请不要填写该项"
    assert en == "status, title cannot be empty: leave them out to keep them."


def test_spot_check_errors_come_in_both_languages() -> None:
    with pytest.raises(DataError) as empty:
        random_points_in(shapely.Polygon(), 10, np.random.default_rng(1))
    assert _both(empty.value)[0] == "抽样范围为空。处理：检查建成区（built_up_area）图层"
    rotated = Raster(
        np.zeros((2, 2), dtype=np.uint8),
        Affine(10, 1, 0, 0, -10, 20),
        CRS.from_epsg(4547),
        255,
        None,
    )
    with pytest.raises(DataError) as turned:
        classify_points(np.array([[5.0, 5.0]]), canopy=rotated)
    assert "north-up" in _both(turned.value)[1]
    with pytest.raises(DataError) as nothing:
        classify_points(np.array([[5.0, 5.0]]))
    _both(nothing.value)


def test_a_check_sheets_problems_come_in_both_languages() -> None:
    sheet = pd.DataFrame(
        [
            {
                "site_id": "p1",
                "kind": "lake",
                "name": "甲园",
                "lon": "x",
                "lat": 31.0,
                "passed": "也许",
                "category": None,
                "note": None,
            },
        ]
    )
    try:
        read_field_check_sheet(sheet)
    except DataError as exc:
        zh, en = exc.text("zh"), exc.text("en")
    else:
        pytest.fail("the sheet's problems were not reported")
    _zh(zh.replace("也许", ""))
    _en(en.replace("也许", "").replace("甲园", ""))
    assert "第 2 行：场所类别“lake”无效，应填以下代码之一：park（公园）、road（道路）" in zh
    assert "row 2: kind 'lake' is not one of park, road" in en
