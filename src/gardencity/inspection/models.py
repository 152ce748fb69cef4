"""Tables of the inspection preparation: survey responses and the evidence ledger (台账).

They live on the campaign's declarative ``Base`` (one schema, one migration chain);
:mod:`gardencity.campaign.models` imports this module so that every table is registered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gardencity.campaign.models import Base

__all__ = ["LedgerDocument", "SurveyResponse"]


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
    uploaded) is in the content-addressed store under ``file_sha256``."""

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
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]
