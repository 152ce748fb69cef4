"""Reports: an assessment's outputs — scorecard.json, diagnostics.gpkg (with QGIS styles) and
the self-contained HTML report (Chinese or English) — and the self-assessment report."""

from __future__ import annotations

from gardencity.reports.html import write_report
from gardencity.reports.outputs import (
    start_diagnostics,
    start_district_figures,
    start_figures,
    write_diagnostics,
    write_outputs,
)
from gardencity.reports.worker import FigureWorker

__all__ = [
    "FigureWorker",
    "start_diagnostics",
    "start_district_figures",
    "start_figures",
    "write_diagnostics",
    "write_outputs",
    "write_report",
]
