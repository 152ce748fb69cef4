"""A city without parks, cut from a real OpenStreetMap extract: no park indicator has a value,
and the import, validation and the assessment say the same thing about it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gardencity.cli import main

SOURCE = "beijing_haidian_2017.osm"
# a corner of Haidian with residential land and attached green space (XG), but no park (G1)
BOUNDARY = "bbox:116.3184,39.9905,116.3264,39.9985"
SENTENCE = "绿地数据中没有公园绿地（G1）图斑，公园类指标无法计算"
PARK_INDICATORS = {
    "park_area_per_capita",
    "min_district_park_area_per_capita",
    "park_service_coverage",
    "park_service_coverage_walking",
    "parks_per_10k",
}


def _flat(text: str) -> str:
    return "".join(text.split())


@pytest.mark.shared_data
def test_a_parkless_city_gets_no_park_value_and_one_story(
    shared_data: Path, tmp_path: Path
) -> None:
    runner = CliRunner(env={"COLUMNS": "400"})
    root, out = tmp_path / "ws", tmp_path / "out"
    imported = runner.invoke(
        main,
        ["import-osm", str(shared_data / SOURCE), str(root), "--boundary", BOUNDARY,
         "--name", "无园区", "--population", "20000"],
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    validated = runner.invoke(main, ["validate", str(root)])
    assert validated.exit_code == 0, validated.output
    assessed = runner.invoke(main, ["assess", str(root), "--out", str(out)])
    assert assessed.exit_code == 0, assessed.output
    for said in (imported.output, validated.output, assessed.output):
        assert _flat(SENTENCE) in _flat(said), said

    card = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    by_id = {item["id"]: item for item in card["indicators"]}
    assert set(by_id) >= PARK_INDICATORS
    for indicator_id in PARK_INDICATORS:
        item = by_id[indicator_id]
        assert item["value"] is None and item["status"] == "not_assessed", item
        assert all(v is None for v in item["by_district"].values()), item
        assert item["gap"] is None, item
        assert "没有公园绿地" in item["note_zh"] and "no park polygon" in item["note"]
    # the green space that is there is still measured
    assert by_id["green_space_ratio"]["value"] is not None
    report = (out / "report.html").read_text(encoding="utf-8")
    assert SENTENCE in report
