"""The red and black flag formula with the maintenance and patrol coverage terms: a worked
example by hand, and the maintenance scores reaching the ranking through the API."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gardencity.campaign.config import RankingRule
from gardencity.campaign.ranking import unit_scores
from tests._campaign import campaign_fixture
from tests.maintenance.test_inspections import _results, _site, inspect

WEIGHTS = {
    "closure_rate": 40,
    "on_time_rate": 30,
    "rework_rate": -20,
    "overdue_per_case": -10,
    "spot_check": 30,
}


def _stats() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": [1, 2, 3, 9],
            "level": ["street", "street", "street", "district"],
            "handled": [10, 10, 10, 10],
            "closed": [10, 5, 8, 10],
            "closed_on_time": [10, 2, 6, 10],
            "submissions": [10, 6, 8, 10],
            "send_backs": [0, 3, 0, 0],
            "overdue_open": [0, 4, 1, 0],
            "spot_check_score": [90.0, 60.0, 80.0, 100.0],
        }
    )


def test_ranking_formula_with_maintenance_and_coverage_weights() -> None:
    rule = RankingRule(
        min_cases=1,
        flags_per_level=1,
        weights=WEIGHTS | {"maintenance": 20, "patrol_coverage": 10},
    )
    maintenance = pd.Series({1: 85.0, 3: 70.0, 9: 60.0})  # unit 2: no inspected site
    coverage = pd.Series({1: 0.9, 2: float("nan"), 3: 0.5})  # unit 2: no zone; 9: absent
    scored = unit_scores(_stats(), rule, {"maintenance": maintenance, "patrol_coverage": coverage})
    by_unit = scored.set_index("unit_id")
    # unit 1: 40×1 + 30×1 − 0 − 0 + 30×0.90 + 20×0.85 + 10×0.9 = 97 + 17 + 9 = 123
    assert by_unit.loc[1, "score"] == pytest.approx(123.0)
    # unit 2: 40×0.5 + 30×0.2 − 20×0.5 − 10×0.4 + 30×0.6 = 30; its street level's means:
    # maintenance (85 + 70) / 2 = 77.5 → 20×0.775 = 15.5; coverage (0.9 + 0.5) / 2 → 10×0.7 = 7
    assert by_unit.loc[2, "score"] == pytest.approx(52.5)
    assert by_unit.loc[2, "maintenance"] == pytest.approx(0.775)
    assert pd.isna(by_unit.loc[2, "maintenance_score"])  # the figure as given: unknown
    # unit 3: 40×0.8 + 30×0.6 − 0 − 10×0.1 + 30×0.8 + 20×0.70 + 10×0.5 = 73 + 14 + 5 = 92
    assert by_unit.loc[3, "score"] == pytest.approx(92.0)
    # the district alone in its level, no coverage in its level at all: 0
    assert by_unit.loc[9, "score"] == pytest.approx(100 + 12 + 0)
    flags = dict(zip(scored["unit_id"], scored["flag"], strict=True))
    assert (flags[1], flags[3], flags[2]) == ("red", None, "black")


def test_without_their_weights_the_new_terms_change_nothing() -> None:
    rule = RankingRule(min_cases=1, weights=WEIGHTS)
    extra = {"maintenance": pd.Series({1: 0.0, 2: 100.0}), "patrol_coverage": pd.Series({1: 0.0})}
    plain = unit_scores(_stats(), rule).set_index("unit_id")["score"]
    assert unit_scores(_stats(), rule, extra).set_index("unit_id")["score"].equals(plain)
    assert plain[1] == pytest.approx(97.0) and plain[2] == pytest.approx(30.0)


def test_out_of_range_inputs_are_refused() -> None:
    rule = RankingRule(min_cases=1, weights=WEIGHTS)
    with pytest.raises(ValueError, match="patrol_coverage must lie between 0 and 1"):
        unit_scores(_stats(), rule, {"patrol_coverage": pd.Series({1: 45.0})})


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_maintenance_scores_reach_the_ranking(
    backend: str, seeded_templates: dict, tmp_path: Path
) -> None:
    config = tmp_path / "campaign.yaml"
    config.write_text(
        "ranking:\n  weights: {closure_rate: 40, on_time_rate: 30, rework_rate: -20, "
        "overdue_per_case: -10, spot_check: 30, maintenance: 20, patrol_coverage: 10}\n",
        encoding="utf-8",
    )
    with campaign_fixture(backend, seeded_templates, tmp_path, campaign_config=config) as env:
        park = _site(env, "GL-P01", "park", "d1park", 501_000, 3_801_000)
        failed = {"no_dead_trees": False, "weeds_controlled": False}
        response = inspect(env, "inspector", park, _results(env, "park", failed, ("water_clean",)))
        assert response.status_code == 201, response.text
        flags = env.client.post("/api/v1/rankings/compute", headers=env.headers("admin")).json()
        details = {f["unit_id"]: f["details"] for f in flags}
        assert details[env.unit("d1park")]["maintenance_score"] == pytest.approx(100 * 70 / 95)
        assert details[env.unit("d1")]["maintenance_score"] == pytest.approx(100 * 70 / 95)
        # the other district: no inspected site → its level's mean, said as unknown
        assert details[env.unit("d2")]["maintenance_score"] is None
        assert details[env.unit("d2")]["maintenance"] == pytest.approx(0.70 / 0.95)
        # no patrol was ever recorded here: unknown for every unit, never a share of 0
        assert all(d["patrol_coverage_share"] is None for d in details.values())
        assert details[env.unit("d1")]["weights"]["maintenance"] == 20
