"""The table of assessment runs (SQLAlchemy 2 ORM); the runs: :mod:`gardencity.jobs.runs`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gardencity.db.base import Base

__all__ = ["AssessmentRun"]


class AssessmentRun(Base):
    """One assessment of the workspace (or a what-if variant of it), run as a job.

    Its outputs (scorecard.json, diagnostics.gpkg, report.html) live in the workspace under
    ``runs/<id>/``; ``values`` keeps each indicator's city value for the trend chart.
    """

    __tablename__ = "assessment_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="assessment")
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(200), default="")
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    edits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
