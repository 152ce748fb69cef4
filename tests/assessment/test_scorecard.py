"""The typed scorecard: what an assessment writes is read back unchanged, bad files are clear
errors, and every reader goes through the one model."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import gardencity
from gardencity.assessment.scorecard import SCORECARD_FILE, Scorecard, Status
from gardencity.errors import WorkspaceError


def test_written_scorecard_reads_back_as_the_assessment(demo_assessment, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = demo_assessment.scorecard().write(tmp_path / SCORECARD_FILE)
    assert json.loads(path.read_text("utf-8")) == demo_assessment.to_dict()
    card = Scorecard.read(path)
    for result in demo_assessment.indicators:
        typed = card.indicator(result.id)
        assert typed.status is Status(result.status)
        assert typed.value == result.value
        assert typed.by_district == result.by_district
        assert typed.failing == (result.status in ("fail", "fail_unverified"))


def test_fields_of_a_newer_writer_survive_a_read_and_a_write(
    demo_assessment,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    raw = demo_assessment.to_dict()
    raw["completeness"] = {"assessed": 3}
    raw["indicators"][0]["confidence_note"] = "新字段"
    source = tmp_path / "new.json"
    source.write_text(json.dumps(raw, ensure_ascii=False), "utf-8")
    again = Scorecard.read(source).write(tmp_path / "again.json")
    assert json.loads(again.read_text("utf-8")) == raw


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "No scorecard"),
        ("{not json", "Cannot read the scorecard"),
        (
            '{"city": {"name": "x"}, "standard": {"id": "s", "name_zh": "s", "name_en": "s"}, '
            '"indicators": [{"id": "a", "name_zh": "a", "name_en": "a", "status": "great"}]}',
            "Cannot read the scorecard",
        ),
    ],
)
def test_a_missing_or_broken_scorecard_is_an_error_that_says_what_to_do(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / SCORECARD_FILE
    if content is not None:
        path.write_text(content, "utf-8")
    with pytest.raises(WorkspaceError, match="gardencity assess|重新评估") as info:
        Scorecard.read(path)
    assert expected in info.value.text("en") and "assess" in info.value.text("en")
    assert "/ " + expected not in str(info.value)


def test_only_the_scorecard_module_names_the_scorecard_file() -> None:
    """Readers take the file through :class:`Scorecard` (no raw-dict reading of
    ``scorecard.json`` elsewhere); the download route names it in its URL and sends the bytes."""
    root = Path(gardencity.__file__).parent
    naming = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and node.value == SCORECARD_FILE
                and id(node) not in docstrings
            ):
                naming.append(str(path.relative_to(root)))
    assert sorted(naming) == ["api/routes/runs.py", "assessment/scorecard.py"]
