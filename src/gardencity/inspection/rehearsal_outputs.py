"""Rehearsal results on file: spot-check estimates, survey results, check sheets and the peer
benchmark as JSON (read by the self-assessment report) and as office workbooks."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from gardencity.assessment.scorecard import Scorecard
from gardencity.errors import DataError
from gardencity.inspection.sites import SITE_KIND_NAMES
from gardencity.inspection.spot_checks import CoverageEstimate, points_for_margin
from gardencity.messages import Catalogue
from gardencity.office.workbook import Column, Sheet, write_workbook
from gardencity.vocabulary import vocabulary

MESSAGES = Catalogue(__package__)

__all__ = [
    "CHECK_SHEET_COLUMNS",
    "benchmark_sheets",
    "check_sheet_sheets",
    "read_check_sheet",
    "spot_check_record",
    "survey_record",
    "write_json",
    "write_spot_check",
    "write_survey",
]

KIND_ZH = {kind: names[0] for kind, names in SITE_KIND_NAMES.items()} | {
    "other": vocabulary().label("site_kinds", "other", "zh")
}
VERDICT_ZH = vocabulary().labels("survey_verdicts", "zh")
CHECK_SHEET_COLUMNS = [
    Column("考查点编号", "site_id"),
    Column("类别", "kind"),
    Column("名称", "name"),
    Column("经度（°）", "lon", "number", 6),
    Column("纬度（°）", "lat", "number", 6),
    Column("是否合格（是/否）", "passed"),
    Column("问题类别", "category"),
    Column("问题描述", "note"),
]


def write_json(record: Mapping[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2), "utf-8")
    return path


def spot_check_record(
    estimate: CoverageEstimate, hit_chances: Sequence[Mapping[str, Any]], *, margin_pct: float
) -> dict[str, Any]:
    """What the report and the workbook show of a spot-check rehearsal."""
    g = estimate.to_dict()
    g["target_margin_pct"] = margin_pct
    g["points_for_margin"] = points_for_margin(
        margin_pct,
        expected_pct=max(min(estimate.estimate_pct, 99.0), 1.0),
        confidence=estimate.confidence,
    )
    return {"green_coverage": g, "hit_chances": [dict(r) for r in hit_chances]}


def write_spot_check(
    record: Mapping[str, Any], out: Path, *, city: str, organisation: str
) -> list[Path]:
    """``spot_check.json`` and ``模拟抽查结果.xlsx`` in ``out``."""
    g = record["green_coverage"]
    summary = [
        {"item": "随机样点（个）", "value": g["n_points"]},
        {"item": "可判读样点（个）", "value": g["n_observed"]},
        {"item": "绿化样点（个）", "value": g["n_green"]},
        {"item": "绿化覆盖率估计值（%）", "value": g["estimate_pct"]},
        {"item": "标准误（百分点）", "value": g["standard_error_pct"]},
        {"item": "置信水平（%）", "value": 100 * g["confidence"]},
        {"item": "置信区间下限（%）", "value": g["ci_low_pct"]},
        {"item": "置信区间上限（%）", "value": g["ci_high_pct"]},
        {"item": "目标误差（±百分点）", "value": g["target_margin_pct"]},
        {"item": "达到目标误差所需样点（个）", "value": g["points_for_margin"]},
    ]
    hits = [
        r | {"kind_zh": r["kind_zh"], "hit_pct": 100 * float(r["hit_chance"])}
        for r in record["hit_chances"]
    ]
    book = out / "模拟抽查结果.xlsx"
    write_workbook(
        book,
        [
            Sheet(
                "绿化覆盖率抽样",
                f"{city}绿化覆盖率随机样点估计",
                [Column("项目", "item"), Column("数值", "value", "number", 2)],
                summary,
            ),
            Sheet(
                "命中概率",
                f"{city}专家随机抽查命中未整改问题的概率",
                [
                    Column("类别", "kind_zh"),
                    Column("候选点（处）", "sites", "integer"),
                    Column("有未结案卷（处）", "open_problems", "integer"),
                    Column("抽查（处）", "sample", "integer"),
                    Column("命中概率（%）", "hit_pct", "number", 1),
                ],
                hits,
            ),
        ],
        organisation=organisation,
    )
    return [write_json(record, out / "spot_check.json"), book]


def survey_record(
    results: Mapping[str, Any], names: Mapping[str, str], populations: Mapping[str, float]
) -> dict[str, Any]:
    """The satisfaction question's result, population-weighted by district, with the verdict."""
    requirement = results.get("requirement") or {}
    question = (results.get("questions") or {}).get(requirement.get("question_id", ""), {})
    share = question.get("satisfied_pct")
    record: dict[str, Any] = {
        "n": int(results.get("n", 0)),
        "satisfaction": None,
        "by_district": [],
    }
    if not share:
        return record
    record["satisfaction"] = {
        "estimate_pct": share["estimate"],
        "ci_low_pct": share["ci_low"],
        "ci_high_pct": share["ci_high"],
        "confidence": share["confidence"],
        "required_pct": requirement.get("min_satisfied_pct"),
        "verdict": requirement.get("verdict"),
        "weighting": "population" if populations else "sample",
    }
    for code, stratum in (share.get("by_stratum") or {}).items():
        record["by_district"].append(
            {
                "code": code,
                "district": names.get(code, code),
                "n": int(stratum["n"]),
                "weight_pct": 100 * float(stratum["weight"]),
                "satisfied_pct": float(stratum["pct"]),
            }
        )
    return record


def write_survey(
    record: Mapping[str, Any], out: Path, *, city: str, organisation: str
) -> list[Path]:
    """``survey_results.json`` and ``满意度调查结果.xlsx`` in ``out``."""
    s = record.get("satisfaction") or {}
    subtitle = (
        f"有效问卷 {record['n']} 份；按城区人口加权满意率 {s['estimate_pct']:.1f}%，"
        f"{round(100 * s['confidence'])}%置信区间 {s['ci_low_pct']:.1f}%—{s['ci_high_pct']:.1f}%，"
        f"标准要求 ≥{s['required_pct']:g}%，{VERDICT_ZH.get(s['verdict'], s['verdict'])}"
        if s
        else "尚无有效问卷"
    )
    book = out / "满意度调查结果.xlsx"
    write_workbook(
        book,
        [
            Sheet(
                "满意度调查",
                f"{city}公众对城市园林绿化满意度调查结果",
                [
                    Column(vocabulary().label("levels", "district", "zh"), "district"),
                    Column("有效问卷（份）", "n", "integer"),
                    Column("人口权重（%）", "weight_pct", "number", 1),
                    Column("满意率（%）", "satisfied_pct", "number", 1),
                ],
                record.get("by_district", []),
                subtitle=subtitle,
            )
        ],
        organisation=organisation,
    )
    return [write_json(record, out / "survey_results.json"), book]


def check_sheet_sheets(
    sheet: pd.DataFrame, categories: Mapping[str, str], title: str
) -> list[Sheet]:
    """The field-check sheet in Chinese (kinds as 公园/道路/…), and the problem categories
    to choose from (their Chinese names are what the filled sheet gives back)."""
    records = [{str(k): v for k, v in r.items()} for r in sheet.to_dict("records")]
    rows = [r | {"kind": KIND_ZH.get(str(r["kind"]), str(r["kind"]))} for r in records]
    return [
        Sheet(
            "检查表",
            title,
            CHECK_SHEET_COLUMNS,
            rows,
            subtitle="请现场填写“是否合格”；不合格的须从“问题类别”表中选填类别名称并描述问题。",
        ),
        Sheet(
            "问题类别",
            "问题类别（填写名称）",
            [Column("类别名称", "name"), Column("代码", "code")],
            [{"name": name, "code": code} for code, name in categories.items()],
        ),
    ]


def read_check_sheet(path: Path, categories: Mapping[str, str]) -> pd.DataFrame:
    """A filled check sheet back as the table :func:`read_field_check_sheet` reads: the
    Chinese workbook (title rows skipped, Chinese kinds and category names) or a plain
    table with the English column names (xlsx or csv)."""
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path)
    raw = pd.read_excel(path, sheet_name=0, header=None, dtype=object)
    headers = [c.header for c in CHECK_SHEET_COLUMNS]
    found = [
        position
        for position, row in enumerate(raw.itertuples(index=False))
        if headers[0] in [str(v) for v in row]
    ]
    if not found:
        return pd.read_excel(path)
    head = found[0]
    frame = raw.iloc[head + 1 :].copy()
    frame.columns = [str(v) for v in raw.iloc[head].tolist()]
    frame = frame[frame[headers[0]].notna() & frame["类别"].notna()]
    frame = frame.rename(columns={c.header: c.key for c in CHECK_SHEET_COLUMNS})
    kinds = {name: kind for kind, name in KIND_ZH.items()}
    by_name = {name: code for code, name in categories.items()}
    unknown = sorted(
        {str(c) for c in frame["category"].dropna() if str(c).strip()}
        - set(by_name)
        - set(categories)
    )
    if unknown:
        raise DataError(
            MESSAGES.message(
                "rehearsal_unknown_categories", file=path.name, unknown=unknown, sheet="问题类别"
            )
        )
    frame["kind"] = frame["kind"].map(lambda k: kinds.get(str(k), str(k)))
    frame["category"] = frame["category"].map(
        lambda c: by_name.get(str(c).strip(), str(c).strip()) if pd.notna(c) else c
    )
    return frame.reset_index(drop=True)


def benchmark_sheets(
    table: pd.DataFrame, figures: pd.DataFrame, scorecard: Scorecard
) -> list[Sheet]:
    """The ranking per indicator and every peer's figure with its year and source."""
    names = {r.id: (r.name_zh, r.unit) for r in scorecard.indicators}
    ranking = [
        r
        | {
            "name": f"{r['name_zh']}（{r['unit']}）" if r["unit"] else r["name_zh"],
            "rank_text": f"{r['rank']}/{r['n_cities']}",
        }
        for r in table.to_dict("records")
    ]
    peers = [
        {
            "city": r["city"],
            "province": r.get("province") or "",
            "name": f"{names.get(r['indicator_id'], (r['indicator_id'], ''))[0]}",
            "unit": names.get(r["indicator_id"], ("", ""))[1],
            "value": r["value"],
            "year": "" if pd.isna(r.get("year")) else str(int(float(r["year"]))),
            "source": r.get("source") or "",
        }
        for r in figures.to_dict("records")
    ]
    city = scorecard.city.name
    return [
        Sheet(
            "排名",
            f"{city}与同类城市指标对比",
            [
                Column("指标", "name"),
                Column("本市", "value", "number", 2),
                Column("名次", "rank_text"),
                Column("领先城市", "leader"),
                Column("领先值", "leader_value", "number", 2),
                Column("与领先城市差距", "behind_leader", "number", 2),
            ],
            ranking,
        ),
        Sheet(
            "同类城市数据",
            "同类城市公开数据（数值、年份、来源）",
            [
                Column("城市", "city"),
                Column("省份", "province"),
                Column("指标", "name"),
                Column("单位", "unit"),
                Column("数值", "value", "number", 2),
                Column("年份", "year"),
                Column("来源", "source"),
            ],
            peers,
        ),
    ]
