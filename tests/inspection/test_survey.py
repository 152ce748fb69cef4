"""Satisfaction survey: allocation, stratified estimates (worked examples), the API."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from gardencity.errors import DataError
from gardencity.inspection.survey import (
    allocate_sample,
    load_survey,
    sample_size_for_proportion,
    stratified_mean,
    stratified_proportion,
    survey_results,
    validate_answers,
    verdict,
)


def test_stratified_proportion_worked_example() -> None:
    # N = 6000 / 4000, n = 60 / 40, satisfied 48 / 36: p = 0.8 / 0.9, W = 0.6 / 0.4
    est = stratified_proportion({"a": 48, "b": 36}, {"a": 60, "b": 40}, {"a": 6000, "b": 4000})
    assert est.estimate == pytest.approx(84.0)
    # V = 0.36·0.99·0.16/59 + 0.16·0.99·0.09/39 = 0.00096651 + 0.00036554
    assert est.standard_error == pytest.approx(100 * math.sqrt(0.00133205), rel=1e-4)
    # effective sample size n* = p(1 - p) / V = 0.84 · 0.16 / 0.00133205 = 100.897
    assert est.effective_n == pytest.approx(0.1344 / 0.00133205, rel=1e-4)
    # Wilson: (p + z²/2n* ± z √(p(1-p)/n* + z²/4n*²)) / (1 + z²/n*), z = 1.959964
    # z²/n* = 3.841459/100.897 = 0.038073; centre (0.84 + 0.019036) / 1.038073 = 0.827530
    # half 1.959964 · √(0.00133205 + 0.00009434) / 1.038073 = 0.071308
    assert est.interval == "wilson"
    assert est.ci_low == pytest.approx(100 * (0.827530 - 0.071308), abs=2e-3)
    assert est.ci_high == pytest.approx(100 * (0.827530 + 0.071308), abs=2e-3)
    assert verdict(est, 80) == "undecided" and verdict(est, 70) == "pass"
    assert verdict(est, 95) == "fail"


def test_all_satisfied_gives_an_upper_bound_of_exactly_100() -> None:
    # one district, 40 of 40 satisfied: V = 0, so n* comes from Kish's formula, 1/(1²/40) = 40;
    # Wilson at p = 1: low = n*/(n* + z²) = 40/43.841459 = 0.912378, high = 1 exactly
    est = stratified_proportion({"a": 40}, {"a": 40})
    assert est.estimate == 100.0 and est.standard_error == 0.0
    assert est.effective_n == pytest.approx(40.0)
    assert est.ci_high == 100.0
    assert est.ci_low == pytest.approx(100 * 40 / (40 + 1.959964**2), abs=1e-4)
    assert est.ci_low < 100.0
    # two districts both at 100 % (weights 0.6 / 0.4, n 30 / 10, N 600 / 400):
    # Kish n* = 1 / (0.36 · 0.95 / 30 + 0.16 · 0.975 / 10) = 1 / 0.0270 = 37.037
    both = stratified_proportion({"a": 30, "b": 10}, {"a": 30, "b": 10}, {"a": 600, "b": 400})
    assert both.estimate == 100.0 and both.ci_high == 100.0
    assert both.effective_n == pytest.approx(1 / (0.36 * 0.95 / 30 + 0.16 * 0.975 / 10))
    assert both.ci_low == pytest.approx(100 * 37.037037 / (37.037037 + 3.841459), abs=1e-3)
    # and none satisfied: the lower end is exactly 0 and the upper end above it
    none = stratified_proportion({"a": 0}, {"a": 40})
    assert none.ci_low == 0.0 and none.ci_high == pytest.approx(100 - est.ci_low, abs=1e-9)
    assert verdict(est, 80) == "pass" and verdict(none, 80) == "fail"


def test_intervals_of_shares_never_leave_0_to_100() -> None:
    # small, lopsided strata where the normal interval 97.5 ± 1.96 · 2.45 would reach 102.3 %
    est = stratified_proportion({"a": 19, "b": 20}, {"a": 20, "b": 20}, {"a": 500, "b": 500})
    normal_high = est.estimate + 1.959964 * est.standard_error
    assert normal_high > 100.0
    assert 0.0 < est.ci_low < est.estimate < est.ci_high < 100.0


def test_stratified_mean_worked_example() -> None:
    # a: mean 4, s² = 2/3, n = 4, N = 300; b: mean 2.5, s² = 1/2, n = 2, N = 100
    est = stratified_mean({"a": [4, 5, 3, 4], "b": [2, 3]}, {"a": 300, "b": 100})
    assert est.estimate == pytest.approx(0.75 * 4 + 0.25 * 2.5)
    variance = 0.75**2 * (1 - 4 / 300) * (2 / 3) / 4 + 0.25**2 * (1 - 2 / 100) * 0.5 / 2
    assert est.standard_error == pytest.approx(math.sqrt(variance))
    # a mean keeps the normal interval, unclipped
    assert est.interval == "normal" and est.effective_n is None
    assert est.ci_high == pytest.approx(est.estimate + 1.959964 * math.sqrt(variance), abs=1e-5)


def test_missing_strata_are_named_and_weights_renormalised() -> None:
    est = stratified_proportion({"a": 5}, {"a": 10}, {"a": 100, "b": 300})
    assert est.missing_strata == ["b"] and est.estimate == pytest.approx(50.0)
    with pytest.raises(DataError, match="没有对应的人口"):
        stratified_proportion({"x": 1}, {"x": 2}, {"a": 10})


def test_allocation_adds_up_and_respects_minimums() -> None:
    assert allocate_sample(100, {"a": 5000, "b": 3000, "c": 2000}) == {"a": 50, "b": 30, "c": 20}
    split = allocate_sample(400, {"a": 24100, "b": 18600, "c": 21400, "d": 7100}, minimum=30)
    assert sum(split.values()) == 400 and min(split.values()) >= 30
    assert split["a"] > split["c"] > split["b"] > split["d"]
    neyman = allocate_sample(100, {"a": 1, "b": 1}, method="neyman", std_devs={"a": 3, "b": 1})
    assert neyman == {"a": 75, "b": 25}
    with pytest.raises(DataError):
        allocate_sample(10, {"a": 1, "b": 1, "c": 1}, minimum=4)
    assert sample_size_for_proportion(3) == 1068


def test_answers_are_checked_all_at_once() -> None:
    survey = load_survey()
    with pytest.raises(DataError) as info:
        validate_answers(survey, {"overall": 7, "park_nearby": "yes", "colour": "red"})
    text = info.value.text("en")
    assert "unknown questions colour" in text and "question 1: give a whole number" in text
    assert "question 2: give yes or no" in text and "question 3: an answer is required" in text
    zh = info.value.text("zh")
    assert "第 1 题：请填写 1 到 5 之间的整数" in zh and "第 3 题为必答题" in zh


def test_results_against_the_requirement() -> None:
    survey = load_survey().model_copy(update={"strata": {"d1": 6000.0, "d2": 4000.0}})
    rows = []
    for stratum, n, good in (("d1", 60, 48), ("d2", 40, 36)):
        for i in range(n):
            rows.append(
                {
                    "stratum": stratum,
                    "overall": 5 if i < good else 2,
                    "park_nearby": i % 2 == 0,
                    "visit_frequency": "每周",
                }
            )
    out = survey_results(survey, pd.DataFrame(rows))
    overall = out["questions"]["overall"]
    assert overall["satisfied_pct"]["estimate"] == pytest.approx(84.0)
    assert overall["mean"]["estimate"] == pytest.approx(
        0.6 * (48 * 5 + 12 * 2) / 60 + 0.4 * (36 * 5 + 4 * 2) / 40
    )
    assert out["questions"]["visit_frequency"]["counts"] == {
        "每天": 0,
        "每周": 100,
        "每月": 0,
        "很少": 0,
    }
    assert out["requirement"]["min_satisfied_pct"] == 80
    assert out["requirement"]["confidence"] == "unverified"
    assert out["requirement"]["verdict"] == "undecided"


def test_survey_through_the_api(campaign) -> None:  # type: ignore[no-untyped-def]
    client = campaign.client
    form = client.get("/api/v1/public/survey").json()
    assert form["questions"][0]["id"] == "overall" and set(form["strata"]) == {"d1", "d2"}
    answers = {
        "overall": 5,
        "park_nearby": True,
        "park_quality": 4,
        "street_shade": 3,
        "visit_frequency": "每天",
    }
    for stratum, overall in [("d1", 5), ("d1", 4), ("d1", 2), ("d2", 5), ("d2", 1)]:
        response = client.post(
            "/api/v1/public/survey/responses",
            json={"stratum": stratum, "answers": answers | {"overall": overall}},
        )
        assert response.status_code == 201, response.text
    bad = client.post(
        "/api/v1/public/survey/responses", json={"stratum": "d9", "answers": {"overall": 9}}
    )
    assert bad.status_code == 422
    message = bad.json()["error"]["message"]
    assert "请选择所在城区：云龙区、鼓楼区" in message
    assert "第 1 题：请填写 1 到 5 之间的整数" in message
    assert client.get("/api/v1/survey/results").status_code == 401
    assert (
        client.get("/api/v1/survey/results", headers=campaign.headers("officer11")).status_code
        == 403
    )
    results = client.get("/api/v1/survey/results", headers=campaign.headers("admin")).json()
    # self-weighted (no populations): d1 2/3, d2 1/2 → weights 3/5, 2/5 → 60 %
    assert results["questions"]["overall"]["satisfied_pct"]["estimate"] == pytest.approx(60.0)
    assert results["responses_by_stratum"] == {"d1": 3, "d2": 2}
    assert results["requirement"]["verdict"] in {"fail", "undecided"}
    split = client.get("/api/v1/survey/allocation?total=101", headers=campaign.headers("leader"))
    assert split.json() == {"d1": 51, "d2": 50}


def test_a_single_response_in_a_district_gives_results_without_an_interval(campaign) -> None:  # type: ignore[no-untyped-def]
    """One response per district: no variance yet, so the interval is null (not a server
    error from NaN in JSON) and the verdict stays undecided."""
    client = campaign.client
    answers = {
        "overall": 5,
        "park_nearby": True,
        "park_quality": 4,
        "street_shade": 3,
        "visit_frequency": "每天",
    }
    response = client.post(
        "/api/v1/public/survey/responses", json={"stratum": "d1", "answers": answers}
    )
    assert response.status_code == 201, response.text
    results = client.get("/api/v1/survey/results", headers=campaign.headers("admin"))
    assert results.status_code == 200, results.text
    share = results.json()["questions"]["overall"]["satisfied_pct"]
    assert share["estimate"] == pytest.approx(100.0)
    assert share["ci_low"] is None and share["ci_high"] is None
    assert share["missing_strata"] == [] or "d2" in share["missing_strata"]
