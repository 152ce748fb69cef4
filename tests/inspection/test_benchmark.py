"""Peer benchmarking: reading published figures, direction-aware ranks (worked examples)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gardencity.errors import DataError
from gardencity.inspection.benchmark import rank_city, read_peer_figures

SCORECARD = {
    "city": {"name": "示范市"},
    "indicators": [
        {
            "id": "green_coverage_ratio",
            "name_zh": "绿化覆盖率",
            "unit": "%",
            "direction": "higher_is_better",
            "value": 43.0,
        },
        {
            "id": "heat_island_intensity",
            "name_zh": "热岛强度",
            "unit": "℃",
            "direction": "lower_is_better",
            "value": 2.0,
        },
        {
            "id": "park_area_per_capita",
            "name_zh": "人均公园绿地",
            "unit": "m²/人",
            "direction": "higher_is_better",
            "value": 16.0,
        },
        {
            "id": "tree_shrub_share",
            "name_zh": "乔灌木占比",
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
    text = str(info.value)
    assert "'high' is not a number" in text and "unknown indicator ids ['greenness']" in text
    assert "repeated figures for ['甲市 / green_coverage_ratio']" in text
    with pytest.raises(DataError, match="city"):
        read_peer_figures(pd.DataFrame({"name": ["x"]}))
