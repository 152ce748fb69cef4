"""Tables of the inspection preparation: survey responses, the evidence ledger (台账) and
other cities' published figures (peer benchmarking).

They live on the shared declarative ``Base`` (one schema, one migration chain);
:mod:`gardencity.db.registry` names this module so that Alembic and the backup see them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gardencity.db.base import Base

__all__ = ["LedgerDocument", "PeerFigure", "SurveyResponse"]


class SurveyResponse(Base):
    """One resident's anonymous answers to the satisfaction survey."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[str] = mapped_column(String(64), index=True)
    stratum: Mapped[str] = mapped_column(String(64), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    submitted_at: Mapped[datetime] = mapped_column(index=True)


class LedgerDocument(Base):
    """One document or data set that proves an item of the chosen standard; the file (when
    uploaded) is in the content-addressed store under ``file_sha256``.

    Evidence the platform generates itself (kind ``generated``: a run's scorecard, maps,
    diagnostics, the self-assessment report) names the run it came from (``run_id``), keeps
    the SHA-256 of the file in ``file_sha256`` and its workspace path in ``note``."""

    __tablename__ = "ledger_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    due_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), index=True)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(200))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("assessment_runs.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class PeerFigure(Base):
    """One published figure of another city (统计公报, news, a ministry list) on an indicator
    of the catalogue, for the peer ranking; one per city, indicator and year."""

    __tablename__ = "peer_figures"
    __table_args__ = (UniqueConstraint("city", "indicator_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city: Mapped[str] = mapped_column(String(100), index=True)
    province: Mapped[str | None] = mapped_column(String(50))
    year: Mapped[int]
    indicator_id: Mapped[str] = mapped_column(String(64), index=True)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(300))
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime]
