"""Peer benchmarking in the campaign database: other cities' published figures, entered one by
one or imported from a table, and the city's rank on each indicator against them.

A figure is one value of one city on one indicator of the chosen standard for one year; entering
or importing the same city, indicator and year again replaces the stored value (the latest
publication counts), so a corrected table can simply be imported again.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.assessment.scorecard import Scorecard
from gardencity.auth.models import User
from gardencity.auth.permissions import authorize
from gardencity.campaign.context import ServiceContext
from gardencity.errors import ConflictError, DataError, InvalidRequestError, NotFoundError
from gardencity.inspection.benchmark import peer_problems, rank_city, read_peer_figures
from gardencity.inspection.models import PeerFigure
from gardencity.messages import Catalogue, Message
from gardencity.standards import load_standard
from gardencity.text import CleanInput

__all__ = [
    "PeerFigureIn",
    "add_figure",
    "delete_figure",
    "import_figures",
    "list_figures",
    "peer_frame",
    "peer_ranking",
]
MESSAGES = Catalogue(__package__)


class PeerFigureIn(CleanInput):
    """One published figure of another city."""

    model_config = ConfigDict(extra="forbid")
    city: str = Field(min_length=1, max_length=100, description="e.g. 佛山市")
    province: str | None = Field(default=None, max_length=50, description="e.g. 广东省")
    year: int = Field(ge=1990, le=2100, description="the year the figure is for")
    indicator_id: str = Field(min_length=1, max_length=64, description="a catalogue id")
    value: float = Field(description="in the indicator's unit, e.g. 43.2 for 43.2 %")
    source: str | None = Field(default=None, max_length=300, description="e.g. 2024年统计公报")

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("give a finite number")
        return value

    @field_validator("city", "province", "source")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        text = value.strip() if value is not None else None
        return text or None


def _indicator_ids(standard_id: str) -> set[str]:
    return {spec.id for spec in load_standard(standard_id).indicators}


def _store(session: Session, ctx: ServiceContext, actor: User, data: PeerFigureIn) -> PeerFigure:
    """Insert or replace the figure of (city, indicator, year)."""
    if data.city is None:
        raise InvalidRequestError(MESSAGES.message("peer_city_empty"))
    row = session.scalars(
        select(PeerFigure).where(
            PeerFigure.city == data.city,
            PeerFigure.indicator_id == data.indicator_id,
            PeerFigure.year == data.year,
        )
    ).one_or_none()
    if row is None:
        row = PeerFigure(city=data.city, indicator_id=data.indicator_id, year=data.year)
        session.add(row)
    row.province = data.province
    row.value = data.value
    row.source = data.source
    row.entered_by = actor.id
    row.entered_at = ctx.now()
    session.flush()
    return row


def add_figure(
    session: Session, ctx: ServiceContext, actor: User, data: PeerFigureIn, standard_id: str
) -> PeerFigure:
    """Enter one figure (replacing an earlier one of the same city, indicator and year)."""
    authorize(actor, "benchmark.manage")
    known = _indicator_ids(standard_id)
    if data.indicator_id not in known:
        raise InvalidRequestError(
            MESSAGES.message(
                "peer_not_in_standard",
                indicator=data.indicator_id,
                standard=standard_id,
                known=sorted(known),
            )
        )
    return _store(session, ctx, actor, data)


def _indicator_names(standard_id: str) -> dict[str, str]:
    """The catalogue's indicator names (Chinese and English) → ids, for a table's cells."""
    indicators = load_standard(standard_id).indicators
    return {i.name_zh: i.id for i in indicators} | {
        i.name_en: i.id for i in indicators if i.name_en
    }


def import_figures(
    session: Session,
    ctx: ServiceContext,
    actor: User,
    source: str | Path | pd.DataFrame,
    standard_id: str,
) -> list[PeerFigure]:
    """Import a table of figures (CSV or Excel, long or wide: see
    :func:`~gardencity.inspection.benchmark.read_peer_figures`); every row needs a year.
    Nothing is stored when any row has a problem (all problems are reported at once)."""
    authorize(actor, "benchmark.manage")
    try:
        figures = read_peer_figures(
            source,
            known_indicators=_indicator_ids(standard_id),
            indicator_names=_indicator_names(standard_id),
        )
    except DataError as exc:
        raise InvalidRequestError(exc.message or str(exc)) from exc
    if figures.empty:
        raise InvalidRequestError(MESSAGES.message("peer_no_figures"))
    years = pd.to_numeric(figures["year"], errors="coerce")
    problems: list[Message] = []
    entries = []
    for record, year in zip(figures.to_dict("records"), years, strict=True):
        where = {"city": record["city"], "indicator": record["indicator_id"]}
        if pd.isna(year) or not 1990 <= year <= 2100 or year != int(year):
            problems.append(MESSAGES.message("peer_no_year", **where))
            continue
        province, text = record.get("province"), record.get("source")
        try:
            entries.append(
                PeerFigureIn(
                    city=str(record["city"]),
                    province=None if pd.isna(province) else str(province),
                    year=int(year),
                    indicator_id=str(record["indicator_id"]),
                    value=float(record["value"]),
                    source=None if pd.isna(text) else str(text)[:300],
                )
            )
        except ValidationError as exc:
            fields = [MESSAGES.message(f"peer_field.{e['loc'][0]}") for e in exc.errors()]
            problems.append(MESSAGES.message("peer_row_invalid", **where, fields=fields))
    if problems:
        raise InvalidRequestError(peer_problems(problems))
    return [_store(session, ctx, actor, data) for data in entries]


def list_figures(session: Session, actor: User) -> list[PeerFigure]:
    """Every stored figure, by indicator, city and year."""
    authorize(actor, "benchmark.view")
    query = select(PeerFigure).order_by(
        PeerFigure.indicator_id, PeerFigure.city, PeerFigure.year, PeerFigure.id
    )
    return list(session.scalars(query).all())


def delete_figure(session: Session, actor: User, figure_id: int) -> None:
    authorize(actor, "benchmark.manage")
    row = session.get(PeerFigure, figure_id)
    if row is None:
        raise NotFoundError(MESSAGES.message("peer_figure_not_found", figure_id=figure_id))
    session.delete(row)
    session.flush()


def peer_frame(session: Session, *, province: str | None = None) -> pd.DataFrame:
    """The stored figures as the long table :func:`rank_city` takes (optionally one
    province's cities only)."""
    query = select(
        PeerFigure.city,
        PeerFigure.indicator_id,
        PeerFigure.value,
        PeerFigure.year,
        PeerFigure.source,
        PeerFigure.province,
    )
    if province:
        query = query.where(PeerFigure.province == province)
    columns = ["city", "indicator_id", "value", "year", "source", "province"]
    return pd.DataFrame([r._asdict() for r in session.execute(query)], columns=columns)


def peer_ranking(
    session: Session, actor: User, scorecard: Scorecard | None, *, province: str | None = None
) -> list[dict[str, Any]]:
    """The city's rank on each indicator among the stored peers (see :func:`rank_city`);
    ``scorecard`` is the latest run's (:func:`gardencity.jobs.runs.latest_scorecard`), None
    when there is none yet."""
    authorize(actor, "benchmark.view")
    if scorecard is None:
        raise ConflictError(MESSAGES.message("no_assessment_to_rank"))
    table = rank_city(scorecard, peer_frame(session, province=province))
    return [{str(k): v for k, v in r.items()} for r in table.to_dict("records")]
