"""Peer benchmarking: reading published figures, direction-aware ranks (worked examples), and
the stored figures entered, imported, ranked and deleted through the API (both backends)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gardencity.errors import DataError
from gardencity.inspection.benchmark import rank_city, read_peer_figures
from gardencity.jobs.runs import import_outputs
from tests._campaign import PASSWORD, CampaignEnv

SCORECARD = {
    "city": {"name": "示范市"},
    "standard": {"id": "national_ecological_garden_city_2022", "name_zh": "标准", "name_en": "S"},
    "indicators": [
        {
            "id": "green_coverage_ratio",
            "name_zh": "绿化覆盖率",
            "name_en": "-",
            "status": "no_threshold",
            "unit": "%",
            "direction": "higher_is_better",
            "value": 43.0,
        },
        {
            "id": "heat_island_intensity",
            "name_zh": "热岛强度",
            "name_en": "-",
            "status": "no_threshold",
            "unit": "℃",
            "direction": "lower_is_better",
            "value": 2.0,
        },
        {
            "id": "park_area_per_capita",
            "name_zh": "人均公园绿地",
            "name_en": "-",
            "status": "no_threshold",
            "unit": "m²/人",
            "direction": "higher_is_better",
            "value": 16.0,
        },
        {
            "id": "tree_shrub_share",
            "name_zh": "乔灌木占比",
            "name_en": "-",
            "status": "no_threshold",
            "unit": "%",
            "direction": "higher_is_better",
            "value": None,
        },
    ],
}


def test_ranks_are_direction_aware_with_the_gap_to_the_leader(tmp_path: Path) -> None:
    csv = tmp_path / "peers.csv"
    csv.write_text(
        "city,year,source,green_coverage_ratio,heat_island_intensity,park_area_per_capita\n"
        "甲市,2023,统计公报,44.6,2.5,16.0\n"
        "乙市,2023,新闻,41.0,1.5,12.0\n"
        "丙市,2022,新闻,40.0,3.0,\n"
        "丙市,2023,新闻,42.5,,\n",
        encoding="utf-8",
    )
    peers = read_peer_figures(csv, known_indicators={r["id"] for r in SCORECARD["indicators"]})
    table = rank_city(SCORECARD, peers).set_index("indicator_id")
    # coverage: 44.6 > 43.0 > 42.5 (丙市's latest year) > 41.0
    assert table.loc["green_coverage_ratio", ["rank", "n_cities", "leader"]].tolist() == [
        2,
        4,
        "甲市",
    ]
    assert table.loc["green_coverage_ratio", "behind_leader"] == pytest.approx(1.6)
    # heat island, lower is better: 1.5 < 2.0 < 2.5 < 3.0 (丙市 2022 is its only figure)
    assert table.loc["heat_island_intensity", ["rank", "leader"]].tolist() == [2, "乙市"]
    assert table.loc["heat_island_intensity", "behind_leader"] == pytest.approx(0.5)
    # a tie with the best shares rank 1, and we count as leading
    assert table.loc["park_area_per_capita", ["rank", "leader", "behind_leader"]].tolist() == [
        1,
        "示范市",
        0.0,
    ]
    assert "tree_shrub_share" not in table.index  # no value of ours: nothing to rank


def test_bad_peer_tables_report_every_problem() -> None:
    long = pd.DataFrame(
        {
            "city": ["甲市", "甲市", "乙市"],
            "indicator_id": ["green_coverage_ratio", "green_coverage_ratio", "greenness"],
            "value": ["44", "45", "high"],
        }
    )
    with pytest.raises(DataError) as info:
        read_peer_figures(long, known_indicators={"green_coverage_ratio"})
    text = info.value.text("en")
    assert "'high' is not a number" in text and "unknown indicator ids greenness" in text
    assert "repeated figures for 甲市 (green_coverage_ratio)" in text
    chinese = info.value.text("zh")
    assert "'high' 不是数字" in chinese and "所选标准中没有这些指标：greenness" in chinese
    with pytest.raises(DataError, match="city"):
        read_peer_figures(pd.DataFrame({"name": ["x"]}))


def _scorecard_run(campaign: CampaignEnv, tmp_path: Path) -> Path:
    """A workspace whose latest assessment run has SCORECARD, served by the campaign app."""
    workspace, out = tmp_path / "ws", tmp_path / "out"
    out.mkdir()
    (out / "scorecard.json").write_text(json.dumps(SCORECARD, ensure_ascii=False), "utf-8")
    with campaign.app.state.db.session() as session:
        import_outputs(session, workspace, out)
    settings = campaign.app.state.settings
    campaign.app.state.settings = settings.model_copy(update={"workspace": workspace})
    return workspace


def test_figures_are_entered_imported_ranked_and_deleted(
    campaign: CampaignEnv, tmp_path: Path
) -> None:
    client, admin = campaign.client, campaign.headers("admin")
    leader = campaign.headers("leader")
    no_run = client.get("/api/v1/benchmark/ranking", headers=leader)
    assert no_run.status_code == 409 and "gardencity serve WORKSPACE" in no_run.text
    _scorecard_run(campaign, tmp_path)
    assert client.get("/api/v1/benchmark/ranking", headers=leader).json() == []

    one = {"city": "甲市", "province": "广东省", "year": 2023, "source": "统计公报"}
    response = client.post(
        "/api/v1/benchmark/figures",
        json=one | {"indicator_id": "green_coverage_ratio", "value": 44.6},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    assert response.json()["entered_by"] is not None
    # the same city, indicator and year again replaces the value
    again = client.post(
        "/api/v1/benchmark/figures",
        json=one | {"indicator_id": "green_coverage_ratio", "value": 44.8},
        headers=admin,
    )
    assert again.json()["id"] == response.json()["id"] and again.json()["value"] == 44.8
    bad = client.post(
        "/api/v1/benchmark/figures",
        json=one | {"indicator_id": "greenness", "value": 1},
        headers=admin,
    )
    assert bad.status_code == 422 and "“greenness”不是所选标准" in bad.text

    table = (
        "city,province,year,source,green_coverage_ratio,heat_island_intensity\n"
        "乙市,广东省,2023,新闻,41.0,1.5\n"
        "丙市,湖南省,2023,新闻,45.0,3.0\n"
    )
    imported = client.post(
        "/api/v1/benchmark/figures/import",
        files={"file": ("peers.csv", table.encode(), "text/csv")},
        headers=admin,
    )
    assert imported.status_code == 201, imported.text
    assert len(imported.json()) == 4
    no_year = client.post(
        "/api/v1/benchmark/figures/import",
        files={"file": ("p.csv", "city,green_coverage_ratio\n丁市,40\n".encode(), "text/csv")},
        headers=admin,
    )
    assert no_year.status_code == 422
    assert "丁市，green_coverage_ratio：请填写年份（1990–2100" in no_year.text
    garbage = client.post(
        "/api/v1/benchmark/figures/import",
        files={"file": ("p.xlsx", b"not a workbook", "application/octet-stream")},
        headers=admin,
    )
    assert garbage.status_code == 422 and "另存为 UTF-8 编码的 CSV 文件" in garbage.text
    figures = client.get("/api/v1/benchmark/figures", headers=leader).json()
    assert len(figures) == 5 and {f["city"] for f in figures} == {"甲市", "乙市", "丙市"}

    # coverage: 丙市 45.0 > 甲市 44.8 > ours 43.0 > 乙市 41.0 → 3rd of 4, 2.0 behind 丙市
    ranking = client.get("/api/v1/benchmark/ranking", headers=leader).json()
    rows = {r["indicator_id"]: r for r in ranking}
    assert (rows["green_coverage_ratio"]["rank"], rows["green_coverage_ratio"]["n_cities"]) == (
        3,
        4,
    )
    assert rows["green_coverage_ratio"]["leader"] == "丙市"
    assert rows["green_coverage_ratio"]["behind_leader"] == pytest.approx(2.0)
    # heat island (lower is better): 乙市 1.5 < ours 2.0 < 丙市 3.0
    assert (rows["heat_island_intensity"]["rank"], rows["heat_island_intensity"]["leader"]) == (
        2,
        "乙市",
    )
    # within the province only (广东省: 甲市, 乙市): 2nd of 3 behind 甲市
    guangdong = client.get("/api/v1/benchmark/ranking?province=广东省", headers=leader).json()
    coverage = next(r for r in guangdong if r["indicator_id"] == "green_coverage_ratio")
    assert (coverage["rank"], coverage["n_cities"], coverage["leader"]) == (2, 3, "甲市")

    leader_value = next(f for f in figures if f["city"] == "丙市" and f["value"] == 45.0)
    assert (
        client.delete(f"/api/v1/benchmark/figures/{leader_value['id']}", headers=admin).status_code
        == 204
    )
    after = client.get("/api/v1/benchmark/ranking", headers=leader).json()
    assert next(r for r in after if r["indicator_id"] == "green_coverage_ratio")["rank"] == 2
    assert (
        client.delete(f"/api/v1/benchmark/figures/{leader_value['id']}", headers=admin).status_code
        == 404
    )
    assert (
        client.get("/api/v1/benchmark/figures", headers=campaign.headers("officer11")).status_code
        == 403
    )
    coordinator = campaign.headers("coord1")
    assert (
        client.post(
            "/api/v1/benchmark/figures",
            json=one | {"indicator_id": "green_coverage_ratio", "value": 1},
            headers=coordinator,
        ).status_code
        == 403
    )


@pytest.mark.parametrize("campaign", ["sqlite"], indirect=True)
def test_the_benchmark_page_has_the_form_for_the_office_only(campaign: CampaignEnv) -> None:
    client = campaign.client

    def page(username: str, path: str = "/benchmark") -> tuple[int, str]:
        client.cookies.clear()
        login = client.post(
            "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
        )
        assert login.status_code == 303, login.text
        response = client.get(path, follow_redirects=False)
        return response.status_code, response.text

    status, html = page("admin")
    assert status == 200 and "同类城市对标" in html and 'id="bench-form"' in html
    assert 'value="green_coverage_ratio"' in html and 'value="green_system_plan"' not in html
    assert 'href="/benchmark"' in html  # in the navigation
    status, html = page("leader", "/benchmark?lang=en")
    assert status == 200 and "Peer benchmarking" in html and 'id="bench-form"' not in html
    assert 'id="rank-table"' in html
    status, _ = page("officer11")
    assert status == 303  # not a role that compares the city with its peers
