"""The case and ranking exports in the reader's language, with times in the city's zone."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests._campaign import CampaignEnv
from tests._office import CJK, lint_workbook

PARK_EN = "Gulou District Central Park Management Office"


def _dispatched(env: CampaignEnv, title: str) -> None:
    case = env.file("patrol1", title=title)
    response = env.act("coord1", case, "dispatch", unit_id=env.unit("d1park"), reason="派遣")
    assert response.status_code == 200, response.text


def test_a_case_list_is_exported_in_english_for_an_english_reader(campaign: CampaignEnv) -> None:
    _dispatched(campaign, "Bare soil by the gate")
    admin = campaign.headers("admin")
    csv = campaign.client.get("/api/v1/exports/cases.csv?lang=en", headers=admin)
    assert csv.status_code == 200, csv.text
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Reference,Category,Title,Status,Responsible unit,Grid,Priority")
    assert not CJK.search(csv.content.decode("utf-8-sig")), lines
    assert PARK_EN in lines[1] and ",Normal," in lines[1]
    assert "4 May 2026, 09:00" in lines[1]  # filed at 01:00 UTC: 09:00 in Beijing
    asked = {**admin, "Accept-Language": "en-GB,en;q=0.9"}  # a script's client
    assert campaign.client.get("/api/v1/exports/cases.csv", headers=asked).content == csv.content
    xlsx = campaign.client.get("/api/v1/exports/cases.xlsx?lang=en", headers=admin)
    assert lint_workbook(xlsx.content, lang="en") == []
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.title == "Cases"
    assert sheet["A1"].value.endswith(": list of cases") and not CJK.search(sheet["A1"].value)
    assert [c.value for c in sheet[2]][:3] == ["Reference", "Category", "Title"]
    assert sheet.oddFooter.center.text == "Page &P of &N"


def test_a_chinese_case_list_gives_times_in_the_citys_zone(campaign: CampaignEnv) -> None:
    _dispatched(campaign, "裸土整治")
    csv = campaign.client.get("/api/v1/exports/cases.csv", headers=campaign.headers("admin"))
    row = csv.content.decode("utf-8-sig").splitlines()[1]
    assert "2026年5月4日 09:00" in row and "鼓楼区中心公园管理处" in row


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_ranking_is_exported_in_the_readers_language(campaign: CampaignEnv, lang: str) -> None:
    for _ in range(3):
        _dispatched(campaign, "Bare soil")
    computed = campaign.client.post("/api/v1/rankings/compute", headers=campaign.headers("admin"))
    assert computed.status_code == 200, computed.text
    leader = campaign.headers("leader")
    xlsx = campaign.client.get(f"/api/v1/exports/rankings.xlsx?lang={lang}", headers=leader)
    assert lint_workbook(xlsx.content, lang=lang) == []
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3, max_row=sheet.max_row)]
    park = next(r for r in rows if r[2] in (PARK_EN, "鼓楼区中心公园管理处"))
    handled, closure = (
        [c.value for c in sheet[2]].index(
            "Cases in the period" if lang == "en" else "本期案卷（件）"
        ),
        7,
    )
    no_cases = [r for r in rows if r[2] and not r[handled]]
    assert no_cases and all(r[closure] is None for r in no_cases)  # no rate, not 0 %
    assert park[handled] == 3 and park[closure] == 0.0  # three cases, none closed: 0 %
    assert park[4] == 1  # its rank, a number
    if lang == "en":
        assert [c.value for c in sheet[2]][:3] == ["Period from", "Level", "Unit"]
        assert park[0] == "1 May 2026" and park[2] == PARK_EN
        assert not any(CJK.search(str(v)) for row in rows for v in row if v is not None)
    else:
        assert park[0] == "2026年5月1日" and park[2] == "鼓楼区中心公园管理处"
