"""Golden scorecards of the demo cities (the real extracts: tests/io/test_osm.py): every
indicator value, district value and shortfall as tests/golden.py recorded them."""

from __future__ import annotations

from pathlib import Path

import pytest

from gardencity.assessment import Assessment, run_assessment
from gardencity.reports import FigureWorker
from tests.golden import STANDARDS, differences, golden_name


def test_demo_s_matches_its_golden_scorecard(demo_assessment: Assessment) -> None:
    assert differences(demo_assessment.to_dict(), golden_name("demo_S")) == []


@pytest.mark.parametrize("standard", STANDARDS[1:])
def test_demo_s_matches_its_golden_scorecard_for_every_standard(
    demo_city: Path, standard: str
) -> None:
    card = run_assessment(demo_city, standard=standard).to_dict()
    assert differences(card, golden_name("demo_S", standard)) == []


def test_demo_m_matches_its_golden_scorecard(demo_city_m: Path) -> None:
    city = demo_city_m
    assert differences(run_assessment(city).to_dict(), golden_name("demo_M")) == []
    with FigureWorker() as figures:  # as the command assesses: some measures in the worker
        card = run_assessment(city, executor=figures.executor).to_dict()
    assert differences(card, golden_name("demo_M")) == []
