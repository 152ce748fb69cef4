"""Reports: an assessment rendered as a self-contained HTML file (Chinese or English)."""

from __future__ import annotations

from gardencity.reports.html import write_report

__all__ = ["write_report"]
