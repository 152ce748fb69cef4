"""`gardencity plan` on the S demo city: the suggested pocket parks reach the standard's
coverage, and applied as a what-if they measure what the plan promised."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from click.testing import CliRunner

from gardencity.cli import main
from gardencity.jobs.whatif_fast import incremental_whatif
from gardencity.reports.outputs import write_outputs

pytestmark = pytest.mark.slow
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_plan_suggests_sites_that_the_what_if_confirms(
    demo_city: Path, demo_assessment: Any, tmp_path: Path
) -> None:
    outputs = write_outputs(demo_assessment, tmp_path / "out")
    out = tmp_path / "suggestions.gpkg"
    args = ["plan", str(demo_city), "--diagnostics", str(outputs["diagnostics"]), "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "建议新增口袋公园" in result.output and "可达到目标" in result.output
    sites = gpd.read_file(out, layer="suggested_pocket_parks")
    roads = gpd.read_file(out, layer="suggested_shading")
    assert len(sites) >= 1 and sites["coverage_percent"].iloc[-1] >= 90.0
    assert roads["coverage_percent"].is_monotonic_increasing and len(roads) >= 1
    edits = json.loads(out.with_suffix(".whatif.json").read_text(encoding="utf-8"))
    scenario = incremental_whatif(demo_city, {"parks": edits["parks"]})
    coverage = scenario.scorecard().by_id()["park_service_coverage"].value
    assert coverage == pytest.approx(sites["coverage_percent"].iloc[-1], abs=0.05)

    english = CliRunner().invoke(main, [*args, "--lang", "en"])
    assert english.exit_code == 0 and not HAN.search(english.output), english.output


def test_plan_without_candidates_says_how_to_fix_it(demo_city: Path) -> None:
    result = CliRunner().invoke(main, ["plan", str(demo_city), "--from-categories", "nothing"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output and "other、green" in result.output
