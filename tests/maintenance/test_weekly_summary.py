"""The weekly patrol and maintenance summary of a district: the maintenance part from the
inspections, the patrol part said honestly (not connected, none, or the rows given), the
workbook in the office layout with safe cells."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from gardencity.maintenance.weekly import weekly_summary, weekly_workbook
from tests._campaign import CampaignEnv
from tests._office import CJK, lint_workbook
from tests.maintenance.test_inspections import _results, _site, inspect

MONDAY = date(2026, 5, 4)  # the fixtures' clock: Monday 4 May 2026, 09:00 in Beijing


def _texts(book: openpyxl.Workbook, sheet: str) -> list[str]:
    return [str(c.value) for row in book[sheet].iter_rows() for c in row if c.value is not None]


def test_the_weekly_summary_and_its_workbook(campaign: CampaignEnv) -> None:
    park = _site(campaign, "GL-P01", "park", "d1park", 501_000, 3_801_000)
    road = _site(campaign, "GL-R01", "road_green", "d1park", 501_050, 3_801_000)
    for site, kind, failed in ((park, "park", {"clean": True}), (road, "road_green", {})):
        assert (
            inspect(campaign, "inspector", site, _results(campaign, kind, failed)).status_code
            == 201
        )
    headers = campaign.headers("coord1")
    district = campaign.unit("d1")
    summary = campaign.client.get(
        f"/api/v1/maintenance/weekly?district_id={district}&day=2026-05-06", headers=headers
    ).json()
    assert (summary["site_count"], summary["inspected_sites"], summary["inspections"]) == (2, 2, 2)
    assert summary["mean_score"] == pytest.approx((85 + 100) / 2)
    assert summary["period"] == "2026年5月4日至5月10日"
    assert [s["site"] for s in summary["sites"]] == ["GL-P01绿地", "GL-R01绿地"]  # worst first
    assert summary["cases_filed"] == 1 and summary["patrol_connected"] is False
    english = campaign.client.get(
        f"/api/v1/maintenance/weekly?district_id={district}&day=2026-05-06",
        headers=headers | {"Accept-Language": "en"},
    ).json()
    assert english["period"] == "4 May – 10 May 2026" and english["sites"][0]["type"] == "Park"
    response = campaign.client.get(
        f"/api/v1/maintenance/weekly.xlsx?district_id={district}&day=2026-05-06", headers=headers
    )
    assert response.status_code == 200, response.text
    assert lint_workbook(response.content) == []
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "巡查记录未接入本平台，本周巡查情况暂无数据（不计为零）。" in _texts(book, "巡查情况")
    assert not any(c.value == 0 for row in book["巡查情况"].iter_rows(min_row=4) for c in row)
    english_book = campaign.client.get(
        f"/api/v1/maintenance/weekly.xlsx?district_id={district}&day=2026-05-06&lang=en",
        headers=headers,
    )
    assert lint_workbook(english_book.content, lang="en") == []
    assert "Gulou%20District%20weekly%20summary.xlsx" in english_book.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(english_book.content))
    assert book.sheetnames == ["Inspections", "Unit scores", "Patrols"]
    texts = [t for sheet in book.sheetnames for t in _texts(book, sheet)]
    # the sites' own names (as the city entered them) are the only Chinese left
    assert [t for t in texts if CJK.search(t)] == ["GL-P01绿地", "GL-R01绿地"]
    assert any(t.startswith("Period: 4 May – 10 May 2026; 2 maintained sites") for t in texts)
    assert "Gulou District Central Park Management Office" in texts
    # the other district's week: no inspection is said as such, not as a score of 0
    empty = campaign.client.get(
        f"/api/v1/maintenance/weekly?district_id={campaign.unit('d2')}&day=2026-05-06",
        headers=campaign.headers("admin"),
    ).json()
    assert empty["mean_score"] is None and empty["sites"] == []
    # a coordinator of the first district may not read the second's
    refused = campaign.client.get(
        f"/api/v1/maintenance/weekly?district_id={campaign.unit('d2')}", headers=headers
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([], "本周无巡查记录。"),
        (
            [
                {
                    "team": "=1+1",
                    "zone": "一片区",
                    "patrols": 5,
                    "km": 12.34,
                    "coverage": 0.8,
                    "cases": 2,
                }
            ],
            80.0,  # the share as a percentage
        ),
    ],
)
def test_the_patrol_part_shows_what_it_is_given(
    campaign: CampaignEnv, rows: list[dict], expected: object
) -> None:
    app = campaign.app
    with app.state.db.session() as session:
        summary = weekly_summary(
            session,
            app.state.checklists,
            campaign.unit("d1"),
            MONDAY,
            tz="Asia/Shanghai",
            lang="zh",
            patrol_rows=rows,
        )
    book = openpyxl.load_workbook(io.BytesIO(weekly_workbook(summary, city="示范市", day=MONDAY)))
    sheet = book["巡查情况"]
    shown = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert expected in shown
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # "=1+1" stays text
    assert "未接入" not in "".join(map(str, shown))
