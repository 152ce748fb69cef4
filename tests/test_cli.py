"""The command line: help, errors as messages with exit code 2, the main job end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gardencity.cli import main

COMMANDS = [
    "assess",
    "validate",
    "demo-city",
    "import-osm",
    "import-layer",
    "init",
    "push-postgis",
    "standards",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_help(command: str) -> None:
    result = CliRunner(env={"COLUMNS": "220"}).invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_each_command_group_is_a_module_registered_explicitly() -> None:
    """``cli/__init__`` registers the commands each group's module defines; importing a
    module registers nothing by itself."""
    import click

    from gardencity.cli import batch, campaign, inspection, planning, standards, workspace

    registered = {id(command) for command in main.commands.values()}
    defined: set[int] = set()
    for module in (workspace, standards, batch, planning, campaign, inspection):
        commands = [getattr(module, name) for name in module.__all__]
        assert commands and all(isinstance(c, click.Command) for c in commands)
        assert {id(c) for c in commands} <= registered, module.__name__
        defined |= {id(c) for c in commands}
    assert registered == defined  # every command comes from a group's module


def test_standards_list_and_show() -> None:
    runner = CliRunner(env={"COLUMNS": "220"})
    listed = runner.invoke(main, ["standards", "list"])
    assert listed.exit_code == 0
    for edition in (
        "national_garden_city_2022",
        "national_ecological_garden_city_2022",
        "gbt50563_2010",
        "gb55014_2021",
    ):
        assert edition in listed.output
    shown = runner.invoke(main, ["standards", "show", "gb55014_2021"])
    assert shown.exit_code == 0 and "已确认" in shown.output and "> 80.0" in shown.output


def test_errors_are_messages_with_exit_code_2(tmp_path: Path) -> None:
    result = CliRunner(env={"COLUMNS": "220"}).invoke(main, ["assess", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "没有工作区文件夹" in result.output and "Traceback" not in result.output
    english = CliRunner(env={"COLUMNS": "220"}).invoke(
        main, ["assess", str(tmp_path / "nope"), "--lang", "en"]
    )
    assert english.exit_code == 2 and "No workspace folder" in english.output


def test_assess_prints_the_scorecard_and_writes_outputs(demo_city: Path, tmp_path: Path) -> None:
    result = CliRunner(env={"COLUMNS": "220"}).invoke(
        main, ["assess", str(demo_city), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "人均公园绿地面积" in result.output and "未达标（阈值待核实）" in result.output
    # Chinese means Chinese: the table's headings and the outputs' names in one language
    assert "指标" in result.output and "数据完整度" in result.output and "评估报告" in result.output
    for english in ("indicator", "value", "completeness", "shortfall", "report:"):
        assert english not in result.output
    card = json.loads((tmp_path / "scorecard.json").read_text(encoding="utf-8"))
    assert len(card["indicators"]) == 19
    assert (tmp_path / "diagnostics.gpkg").stat().st_size > 0
    assert (tmp_path / "report.html").stat().st_size > 0


def test_validate_reports_problems(demo_city: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "c"
    shutil.copytree(demo_city, copy)
    (copy / "city.toml").write_text(
        (copy / "city.toml").read_text(encoding="utf-8").replace("gb50137", "sandiao"),
        encoding="utf-8",
    )
    runner = CliRunner(env={"COLUMNS": "220"})
    result = runner.invoke(main, ["validate", "--lang", "en", str(copy)])
    assert result.exit_code == 2
    assert "unknown in the sandiao scheme" in result.output and "fix:" in result.output
    chinese = runner.invoke(main, ["validate", str(copy)])
    assert chinese.exit_code == 2
    assert "不属于 sandiao 分类体系" in chinese.output and "处理：" in chinese.output


def test_thresholds_are_printed_with_the_comparison_sign() -> None:
    """A threshold reads "≥ 40", as a figure writes it, never the ASCII ">= 40"."""
    result = CliRunner(env={"COLUMNS": "220"}).invoke(
        main, ["standards", "show", "national_ecological_garden_city_2022"]
    )
    assert result.exit_code == 0, result.output
    assert "≥" in result.output and ">=" not in result.output
