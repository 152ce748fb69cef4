"""The campaign's figures (organisation, targets, cases, red and black flags) and the
rehearsal results (survey, spot checks, ledger) as report blocks."""

from __future__ import annotations

from typing import Any

from gardencity.assessment.scorecard import Scorecard
from gardencity.reports.self_assessment.model import ReportDocument
from gardencity.vocabulary import vocabulary

__all__ = ["campaign_blocks", "rehearsal_blocks"]

VERDICT_ZH = vocabulary().labels("survey_verdicts", "zh")


def _pct(value: Any) -> str:
    return "—" if value is None else f"{float(value):.1f}%"


def _rate_text(value: Any) -> str:
    """The closure rate in a sentence; none (nothing countable) is said, not written 0 %."""
    return " —（尚无可计的案卷，无从计算）" if value is None else f" {float(value):.1f}%"


def campaign_blocks(
    doc: ReportDocument, campaign: dict[str, Any] | None, scorecard: Scorecard
) -> None:
    """（n）组织与分工, 创建行动与目标完成情况, 问题案卷办理情况, 红黑榜."""
    if not campaign:
        return
    _organisation_block(doc, campaign.get("organisation") or {})
    _targets_block(doc, campaign.get("targets") or [])
    _cases_block(doc, campaign)
    _flags_block(doc, campaign.get("flags") or {})


def _organisation_block(doc: ReportDocument, org: dict[str, Any]) -> None:
    if org:
        doc.subsection("组织与分工")
        doc.paragraph(
            f"全市建立“市—区—街道—社区”四级创建责任体系，纳入 {org.get('districts', 0)} 个城区、"
            f"{org.get('streets', 0)} 个街道、{org.get('communities', 0)} 个社区和 "
            f"{org.get('departments', 0) + org.get('responsible', 0)} 个责任单位，"
            f"{org.get('leaders', 0)} 名市级领导包挂联系。"
        )


def _targets_block(doc: ReportDocument, targets: list[dict[str, Any]]) -> None:
    if targets:
        doc.subsection("创建行动与目标完成情况")
        doc.add_table(
            "创建行动目标完成情况",
            ["创建行动", "城区", "目标内容", "目标值", "已完成", "完成率"],
            [
                [
                    str(t["action"]),
                    str(t["district"]),
                    str(t["metric"]),
                    f"{t['target']:.2f}",
                    f"{t['reported']:.2f}",
                    _pct(t["completion_pct"]),
                ]
                for t in targets
            ],
            numeric=[False, False, False, True, True, True],
        )


def _cases_block(doc: ReportDocument, campaign: dict[str, Any]) -> None:
    doc.subsection("问题案卷办理情况")
    doc.paragraph(
        f"创建以来共受理问题案卷 {campaign['total']} 件，已结案 {campaign['closed']} 件，"
        f"结案率{_rate_text(campaign.get('closure_rate'))}；超期未办结 {campaign['overdue']} 件。"
    )
    by_district = campaign.get("by_district") or []
    if by_district:
        doc.add_table(
            "各城区问题案卷办理情况",
            ["城区", "受理（件）", "已结案（件）", "超期未办结（件）", "结案率"],
            [
                [
                    str(r["name"]),
                    str(r["filed"]),
                    str(r["closed"]),
                    str(r["overdue"]),
                    _pct(r["closure_rate"]),
                ]
                for r in by_district
            ],
            numeric=[False, True, True, True, True],
        )
    by_unit = campaign.get("by_unit") or []
    if by_unit:
        doc.add_table(
            "责任单位问题案卷办理情况",
            ["责任单位", "受理（件）", "已结案（件）", "超期未办结（件）", "结案率"],
            [
                [
                    *(str(r[k]) for k in ("name", "filed", "closed", "overdue")),
                    _pct(r["closure_rate"]),
                ]
                for r in by_unit
            ],
            numeric=[False, True, True, True, True],
        )
    status = campaign.get("by_status") or {}
    if status:
        doc.add_table(
            "问题案卷办理状态",
            list(status),
            [[str(v) for v in status.values()]],
            numeric=[True] * len(status),
        )


def _flags_block(doc: ReportDocument, flags: dict[str, Any]) -> None:
    if flags.get("red") or flags.get("black"):
        doc.subsection("红黑榜")
        red = "、".join(flags.get("red") or []) or "无"
        black = "、".join(flags.get("black") or []) or "无"
        doc.paragraph(
            f"按{flags.get('period', '最近一期')}考评，获红旗的单位：{red}；获黑旗的单位：{black}。"
        )


def rehearsal_blocks(
    doc: ReportDocument,
    rehearsal: dict[str, Any],
    campaign: dict[str, Any] | None,
    scorecard: Scorecard,
) -> None:
    """（n）公众满意度调查, 模拟抽查, 台账资料; a part not yet done says so."""
    _survey_block(doc, rehearsal.get("survey"))
    _spot_check_block(doc, rehearsal.get("spot_check"), scorecard)
    _ledger_block(doc, (campaign or {}).get("ledger"))


def _survey_block(doc: ReportDocument, survey: dict[str, Any] | None) -> None:
    doc.subsection("公众满意度调查")
    if survey and survey.get("satisfaction"):
        s = survey["satisfaction"]
        doc.paragraph(
            f"按各城区人口比例分层抽样，共回收有效问卷 {survey['n']} 份。按城区人口加权，"
            f"公众对城市园林绿化的满意率为 {s['estimate_pct']:.1f}%"
            f"（{round(100 * s['confidence'])}%置信区间 {s['ci_low_pct']:.1f}%—"
            f"{s['ci_high_pct']:.1f}%），标准要求 ≥{s['required_pct']:g}%，"
            f"{VERDICT_ZH.get(s['verdict'], s['verdict'])}。"
        )
        rows = [
            [
                str(r["district"]),
                str(r["n"]),
                f"{r['weight_pct']:.1f}%",
                f"{r['satisfied_pct']:.1f}%",
            ]
            for r in survey.get("by_district", [])
        ]
        if rows:
            doc.add_table(
                "公众满意度调查结果（分城区）",
                ["城区", "有效问卷（份）", "人口权重", "满意率"],
                rows,
                numeric=[False, True, True, True],
            )
    else:
        doc.paragraph("公众满意度调查尚未开展或尚无有效问卷。")


def _spot_check_block(
    doc: ReportDocument, spot: dict[str, Any] | None, scorecard: Scorecard
) -> None:
    doc.subsection("模拟抽查")
    if spot:
        g = spot["green_coverage"]
        card = scorecard.by_id().get("green_coverage_ratio")
        measured = None if card is None else card.value
        compare = ""
        if measured is not None:
            inside = g["ci_low_pct"] <= measured <= g["ci_high_pct"]
            compare = f"，与测算值 {measured:.2f}% {'相符' if inside else '存在差异，需复核'}"
        doc.paragraph(
            f"在建成区内随机布设 {g['n_points']} 个样点目视判读，绿化覆盖率抽样估计为 "
            f"{g['estimate_pct']:.2f}%（{round(100 * g['confidence'])}%置信区间 "
            f"{g['ci_low_pct']:.2f}%—{g['ci_high_pct']:.2f}%）{compare}。"
            f"如需将误差控制在 ±{g['target_margin_pct']:g} 个百分点以内，需布设 "
            f"{g['points_for_margin']} 个样点。"
        )
        rows = [
            [
                str(r["kind_zh"]),
                str(r["sites"]),
                str(r["open_problems"]),
                str(r["sample"]),
                f"{100 * r['hit_chance']:.1f}%",
            ]
            for r in spot.get("hit_chances", [])
        ]
        if rows:
            doc.add_table(
                "专家随机抽查命中未整改问题的概率",
                ["类别", "候选点（处）", "有未结案卷（处）", "抽查（处）", "命中概率"],
                rows,
                numeric=[False, True, True, True, True],
            )
    else:
        doc.paragraph("模拟抽查尚未开展。")


def _ledger_block(doc: ReportDocument, ledger: dict[str, Any] | None) -> None:
    doc.subsection("台账资料")
    if ledger:
        doc.paragraph(
            f"按评选标准 {ledger['items_total']} 个条目整理台账资料，已齐备 "
            f"{ledger['items_complete']} 个条目（{ledger['completeness_pct']:.1f}%）；"
            "平台测算成果作为参考资料归档，不计入佐证材料。"
        )
    else:
        doc.paragraph("台账资料正在整理。")
