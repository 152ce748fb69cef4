"""Review a workspace before assessing it: validation plus, for the chosen standard, every
indicator that will not be assessed and why — in the same words the assessment uses."""

from __future__ import annotations

from gardencity.assessment.completeness import available_for, find_gap
from gardencity.assessment.inputs import AssessmentInputs
from gardencity.errors import Problem
from gardencity.io.data_gaps import DataGap
from gardencity.io.validate import validate_workspace
from gardencity.io.validate_setup import resolve_standard
from gardencity.io.workspace import Workspace
from gardencity.standards import load_standard

__all__ = ["gap_problems", "review_workspace"]


def review_workspace(ws: Workspace, *, standard: str | None = None) -> list[Problem]:
    """Every validation finding; when nothing blocks, also the indicators left unassessed."""
    problems = validate_workspace(ws)
    if any(p.severity == "error" for p in problems):
        return problems
    return [*problems, *gap_problems(ws, standard=standard)]


def gap_problems(ws: Workspace, *, standard: str | None = None) -> list[Problem]:
    """One warning per data gap, naming the indicators it leaves unassessed."""
    std = load_standard(resolve_standard(ws, standard))
    inputs = AssessmentInputs(ws)
    found: dict[str, tuple[DataGap, list[tuple[str, str]]]] = {}
    for spec in std.indicators:
        needs, available = available_for(spec, inputs)
        gap = find_gap(needs, available, str(ws.path))
        if gap is not None:
            key = f"{gap.key}:{gap.zh}"
            found.setdefault(key, (gap, []))[1].append((spec.name_zh, spec.name_en))
    problems = []
    for gap, names in found.values():
        zh = "、".join(n for n, _ in names)
        en = "; ".join(n for _, n in names)
        problems.append(
            Problem(
                gap.layer or "workspace",
                f"{gap.en} — not assessed: {en}",
                gap.fix_en,
                "warning",
                len(names),
                message_zh=f"{gap.zh}——以下指标将不作评估：{zh}",
                fix_zh=gap.fix_zh,
            )
        )
    return problems
