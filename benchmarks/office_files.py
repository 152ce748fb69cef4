"""Spreadsheet exports of long tables: the office workbook writer (gardencity.office.workbook,
every .xlsx the platform hands out) and the CSV writer, on tables shaped like the case export
(15 columns: text, numbers, dates) of 1,000 and 10,000 rows.

    python -m benchmarks.office_files [--repeat N]

Each figure is the median of ``--repeat`` runs in this process; recorded with the machine's
core count in benchmarks/results/office_files.json. What it guards: the writer stays linear
in the rows. It was quadratic: a 1,000-row case list took 2.6 s and a 5,000-row, 12-column
sheet 26 s, before the writer made its own cells and copied one style per column into them
(0.3 s and 1 s after).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from gardencity.office.cells import csv_bytes
from gardencity.office.workbook import sheet_from_frame, workbook_bytes

RESULTS = Path(__file__).resolve().parent / "results" / "office_files.json"
SIZES = (1_000, 10_000)


def case_table(rows: int) -> pd.DataFrame:
    """A case list of ``rows`` rows with the case export's columns and kinds of value."""
    first = date(2026, 3, 1)
    return pd.DataFrame(
        {
            "编号": [f"GC-2026-{i:06d}" for i in range(rows)],
            "类别": ["绿地养护" if i % 3 else "=行道树缺株" for i in range(rows)],
            "标题": [f"第 {i % 97} 号路段绿化带黄土裸露，需补植" for i in range(rows)],
            "状态": ["处理中" if i % 4 else "已办结" for i in range(rows)],
            "责任单位": [f"区园林绿化局第{i % 12}养护所" for i in range(rows)],
            "网格": [f"网格{i % 300:03d}" for i in range(rows)],
            "优先级": ["一般" if i % 5 else "紧急" for i in range(rows)],
            "立案日期": [first + timedelta(days=i % 200) for i in range(rows)],
            "期限": [first + timedelta(days=i % 200 + 7) for i in range(rows)],
            "办结日期": [
                first + timedelta(days=i % 200 + 3) if i % 4 == 0 else None for i in range(rows)
            ],
            "是否超期": ["是" if i % 9 == 0 else "否" for i in range(rows)],
            "督办级别": [i % 3 for i in range(rows)],
            "退回次数": [i % 2 for i in range(rows)],
            "经度": [116.3 + (i % 1000) * 1e-4 for i in range(rows)],
            "纬度": [39.9 + (i % 700) * 1e-4 for i in range(rows)],
        }
    )


def _median_s(work: Any, argument: Any, repeat: int, **keywords: Any) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work(argument, **keywords)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def main(repeat: int) -> None:
    runs: dict[str, Any] = {}
    for rows in SIZES:
        frame = case_table(rows)
        sheet = sheet_from_frame(frame, "案件", "案件清单", decimals={"经度": 6, "纬度": 6})
        xlsx = _median_s(workbook_bytes, [sheet], repeat, organisation="市园林局")
        csv = _median_s(csv_bytes, frame, repeat)
        runs[str(rows)] = {"xlsx_s": xlsx, "csv_s": csv, "xlsx_rows_per_s": round(rows / xlsx)}
        print(f"{rows} rows × 15 columns: xlsx {xlsx} s, csv {csv} s", flush=True)
    results = {
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "repeat": repeat,
        "runs": runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    main(parser.parse_args().repeat)
