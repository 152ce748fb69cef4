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


def test_the_golden_command_checks_without_writing_and_refuses_what_it_does_not_know(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``python -m tests.golden --check S`` compares and writes nothing; an argument it does
    not know (``--check X``, ``M``) is refused with its usage, and nothing is written."""
    from tests import golden

    files = sorted(golden.GOLDEN.glob("*.json"))
    before = {f: (f.stat().st_mtime_ns, f.read_bytes()) for f in files}
    assert golden.main(["--check", "S"]) == 0
    assert "demo_S: identical" in capsys.readouterr().out
    for refused in (["--check", "X"], ["M"], ["--check"], ["--write", "S"]):
        assert golden.main(refused) == 2
        assert "usage: python -m tests.golden" in capsys.readouterr().err
    assert sorted(golden.GOLDEN.glob("*.json")) == files
    assert {f: (f.stat().st_mtime_ns, f.read_bytes()) for f in files} == before
