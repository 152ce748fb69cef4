"""Failed field checks become campaign cases (both backends); the sheet reports every problem."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import select

from gardencity.auth.models import User
from gardencity.errors import DataError
from gardencity.inspection.campaign_summary import campaign_summary
from gardencity.inspection.check_cases import (
    field_check_sheet,
    file_failed_checks,
    open_case_locations,
    read_field_check_sheet,
)
from gardencity.inspection.sites import exclude_sites_with_open_cases
from gardencity.inspection.spot_checks import sample_sites


def _sites() -> gpd.GeoDataFrame:
    x, y = 500_000.0, 3_800_000.0
    return gpd.GeoDataFrame(
        {
            "site_id": ["park:1", "park:2", "road:人民路", "compound:7"],
            "kind": ["park", "park", "road", "compound"],
            "name": ["人民公园", "滨河公园", "人民路", "幸福小区"],
        },
        geometry=[
            shapely.box(x + 100, y + 100, x + 300, y + 300),
            shapely.box(x + 2500, y + 500, x + 2700, y + 700),
            shapely.LineString([(x + 50, y + 1500), (x + 3900, y + 1500)]),
            shapely.box(x + 3000, y + 200, x + 3200, y + 400),
        ],
        crs=4548,
    )


def test_failed_checks_become_cases_and_block_their_sites(campaign) -> None:  # type: ignore[no-untyped-def]
    sheet = field_check_sheet(sample_sites(_sites(), 5, seed=3))
    assert len(sheet) == 4 and sheet["lon"].between(110, 125).all()
    sheet["passed"] = ["是", "否", "yes", "否"]
    sheet["category"] = ["", "dead_or_missing_tree", "", "bare_soil"]
    sheet["note"] = ["", "缺株 3 处", "", "裸土约 20 m²"]
    checks = read_field_check_sheet(sheet)
    failed_ids = {c.site_id for c in checks if not c.passed}
    db, ctx = campaign.app.state.db, campaign.app.state.ctx
    with db.session() as session:
        actor = session.scalars(select(User).where(User.username == "inspector")).one()
        cases = file_failed_checks(session, ctx, actor, checks, source="expert")
        assert {c.site_ref for c in cases} == failed_ids
        assert all(c.source == "expert" and c.unit_id is not None for c in cases)
        refs = [c.reference for c in cases]
    listed = campaign.client.get(
        "/api/v1/cases?source=expert", headers=campaign.headers("admin")
    ).json()
    assert sorted(item["reference"] for item in listed["items"]) == sorted(refs)
    with db.session() as session:
        open_cases = open_case_locations(session)
        summary = campaign_summary(session, ctx)
    assert summary["total"] == len(refs) and summary["closed"] == 0
    assert summary["by_source"] == {"专家反馈": len(refs)}
    assert summary["by_status"]["已上报"] == len(refs) and summary["closure_rate"] == 0.0
    clear, blocked = exclude_sites_with_open_cases(_sites(), open_cases, distance_m=50)
    assert set(blocked["site_id"]) == failed_ids
    assert set(clear["site_id"]) == {"park:1", "park:2", "road:人民路", "compound:7"} - failed_ids


def test_a_bad_sheet_reports_every_row() -> None:
    sheet = pd.DataFrame(
        {
            "site_id": ["a", "b", "c"],
            "kind": ["park", "garden", "road"],
            "name": ["", "", ""],
            "lon": [117.0, 117.0, "x"],
            "lat": [34.0, 34.0, 34.0],
            "passed": ["maybe", "是", "否"],
            "category": ["", "", ""],
            "note": ["", "", ""],
        }
    )
    with pytest.raises(DataError) as info:
        read_field_check_sheet(sheet)
    text = info.value.text("en")
    assert "row 2: passed" in text and "row 3: kind 'garden'" in text
    assert "row 4: a failed check needs a problem category" in text
    assert "row 4: lon/lat" in text


def test_hit_chance_endpoint(campaign) -> None:  # type: ignore[no-untyped-def]
    url = "/api/v1/spot-checks/hit-chance?population=10&problems=2&sample=3&max_chance=0.5"
    body = campaign.client.get(url, headers=campaign.headers("inspector")).json()
    assert body["chance"] == pytest.approx(1 - 56 / 120)  # 1 - C(8,3)/C(10,3)
    assert body["tolerable_problems"] == 1  # 2 problems already give 53 %
    bad = campaign.client.get(
        "/api/v1/spot-checks/hit-chance?population=10&problems=11&sample=3",
        headers=campaign.headers("inspector"),
    )
    assert bad.status_code == 422 and "问题场所数应在 0 到场所总数 10 之间（现为 11）" in bad.text
    english = campaign.client.get(
        "/api/v1/spot-checks/hit-chance?population=10&problems=11&sample=3",
        headers=campaign.headers("inspector") | {"Accept-Language": "en"},
    )
    assert "problems must be between 0 and population=10 (got 11)" in english.text


def test_the_flag_period_reads_from_its_first_to_its_last_local_day(campaign) -> None:  # type: ignore[no-untyped-def]
    """Flags of November (stored in UTC, the end excluded) read 11月1日至11月30日."""
    from datetime import UTC, datetime

    from gardencity.campaign.flags import compute_flags

    db, ctx = campaign.app.state.db, campaign.app.state.ctx
    with db.session() as session:
        compute_flags(session, ctx, None, datetime(2026, 11, 15, 4, 0, tzinfo=UTC))
        session.commit()
        summary = campaign_summary(session, ctx)
    assert summary["flags"]["period"] == "2026年11月1日至2026年11月30日"


def test_a_campaign_whose_every_case_was_discarded_has_no_closure_rate(campaign) -> None:  # type: ignore[no-untyped-def]
    db, ctx = campaign.app.state.db, campaign.app.state.ctx
    with db.session() as session:
        assert campaign_summary(session, ctx)["closure_rate"] is None  # no case: unknown
    case = campaign.file("patrol1")
    assert campaign.act("coord1", case, "discard", reason="重复上报").status_code == 200
    with db.session() as session:
        summary = campaign_summary(session, ctx)
    assert (summary["total"], summary["closure_rate"]) == (1, None)  # not 0 %
