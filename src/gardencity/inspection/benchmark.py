"""Peer benchmarking: other cities' published figures beside ours, and our rank on each
indicator (cities compare themselves with the province's leader).

Peer figures come as a table (CSV or Excel), either long — ``city``, ``indicator_id``,
``value``, optional ``province``, ``year`` and ``source`` — or wide — ``city`` (+
``province``, ``year``, ``source``) and one column per indicator id. They are also kept in the
campaign database (:mod:`gardencity.inspection.peer_store`), entered one by one or imported.

The rank is direction-aware: for ``higher_is_better`` indicators the largest value ranks 1,
for ``lower_is_better`` the smallest; ties share the best rank.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gardencity.assessment.scorecard import Scorecard
from gardencity.errors import DataError
from gardencity.messages import Catalogue, Listing, Message

__all__ = ["peer_problems", "rank_city", "read_peer_figures"]

LONG = ("city", "indicator_id", "value")
MESSAGES = Catalogue(__package__)
META = ("city", "province", "year", "source")
# a table's Chinese column headers (and `indicator` for `indicator_id`)
HEADERS_ZH = {
    "城市": "city",
    "省份": "province",
    "年份": "year",
    "来源": "source",
    "指标": "indicator_id",
    "数值": "value",
    "indicator": "indicator_id",
}


def read_peer_figures(
    source: str | Path | pd.DataFrame,
    *,
    known_indicators: set[str] | None = None,
    indicator_names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The peers' figures as a long table ``city, indicator_id, value, year, source,
    province``; every
    problem (unknown indicator ids, values that are not numbers, repeated rows) at once.
    The headers may be Chinese (城市、指标、数值、年份、省份、来源), and an indicator may be
    given by a name of ``indicator_names`` (name → id) instead of its id.

    >>> long = pd.DataFrame({"城市": ["甲市"], "指标": ["绿化覆盖率"], "数值": [44.6]})
    >>> read_peer_figures(long, indicator_names={"绿化覆盖率": "green_coverage_ratio"})[
    ...     ["city", "indicator_id"]].values.tolist()
    [['甲市', 'green_coverage_ratio']]

    >>> wide = pd.DataFrame({"city": ["甲市", "乙市"], "green_coverage_ratio": [44.6, "43.9"]})
    >>> read_peer_figures(wide)[["city", "value"]].values.tolist()
    [['甲市', 44.6], ['乙市', 43.9]]
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    else:
        path = Path(source)
        if not path.is_file():
            raise DataError(MESSAGES.message("peer_file_missing", path=path))
        try:
            frame = pd.read_excel(path) if path.suffix in (".xlsx", ".xls") else pd.read_csv(path)
        except Exception as exc:  # any reader failure means the same to the user: not a table
            detail = f"{type(exc).__name__}: {exc}"
            raise DataError(
                MESSAGES.message("peer_table_unreadable", name=path.name, detail=detail)
            ) from exc
    names = dict(indicator_names or {})
    frame.columns = [
        HEADERS_ZH.get(str(c).strip(), names.get(str(c).strip(), str(c).strip()))
        for c in frame.columns
    ]
    if "city" not in frame:
        raise DataError(MESSAGES.message("peer_needs_city"))
    if "indicator_id" not in frame:
        value_columns = [c for c in frame.columns if c not in META]
        frame = frame.melt(
            id_vars=[c for c in META if c in frame],
            value_vars=value_columns,
            var_name="indicator_id",
            value_name="value",
        )
    elif "value" not in frame:
        raise DataError(MESSAGES.message("peer_needs_value"))
    for column in ("year", "source", "province"):
        if column not in frame:
            frame[column] = None
    frame["indicator_id"] = frame["indicator_id"].map(lambda v: names.get(str(v).strip(), v))
    frame = frame.dropna(subset=["value"])
    frame = frame[frame["value"].astype(str).str.strip() != ""]
    problems: list[Message] = []
    numbers = pd.to_numeric(frame["value"], errors="coerce")
    for row in frame[numbers.isna()].itertuples():
        where = {"city": row.city, "indicator": row.indicator_id}
        problems.append(MESSAGES.message("peer_not_a_number", **where, value=repr(row.value)))
    if known_indicators is not None:
        unknown = sorted(set(frame["indicator_id"]) - known_indicators)
        if unknown:
            problems.append(MESSAGES.message("peer_unknown_indicators", ids=unknown))
    repeated = frame.duplicated(subset=["city", "indicator_id", "year"], keep=False)
    if repeated.any():
        pairs = sorted({f"{r.city} ({r.indicator_id})" for r in frame[repeated].itertuples()})
        problems.append(MESSAGES.message("peer_repeated", pairs=pairs))
    if problems:
        raise DataError(peer_problems(problems))
    frame["value"] = numbers.astype(float)
    frame["city"] = frame["city"].astype(str)
    out = frame[["city", "indicator_id", "value", "year", "source", "province"]]
    return out.reset_index(drop=True)


def rank_city(scorecard: Scorecard | Mapping[str, Any], peers: pd.DataFrame) -> pd.DataFrame:
    """For each indicator with both our value and peer figures: our rank among all cities,
    the number of cities, the leader and its value, and how far we are behind the leader
    (0 when we lead; always ≥ 0, in the indicator's unit).

    The latest year of each peer city counts when a city has several. ``scorecard`` is a
    :class:`~gardencity.assessment.scorecard.Scorecard` or its JSON form.
    """
    if not isinstance(scorecard, Scorecard):
        scorecard = Scorecard.model_validate(scorecard)
    ours = scorecard.city.name
    if "year" in peers and peers["year"].notna().any():
        peers = peers.sort_values("year").groupby(["city", "indicator_id"]).tail(1)
    rows = []
    for result in scorecard.indicators:
        value = result.value
        figures = peers[(peers["indicator_id"] == result.id) & (peers["city"] != ours)]
        if value is None or figures.empty:
            continue
        cities = [ours, *figures["city"].tolist()]
        values = np.array([float(value), *figures["value"].tolist()])
        higher = result.direction != "lower_is_better"
        ranks = pd.Series(values if higher else -values).rank(ascending=False, method="min")
        best = int(np.argmax(values) if higher else np.argmin(values))
        behind = (values[best] - float(value)) if higher else (float(value) - values[best])
        rows.append(
            {
                "indicator_id": result.id,
                "name_zh": result.name_zh,
                "unit": result.unit,
                "direction": "higher_is_better" if higher else "lower_is_better",
                "value": float(value),
                "rank": int(ranks.iloc[0]),
                "n_cities": len(cities),
                "leader": cities[best] if ranks.iloc[best] < ranks.iloc[0] else ours,
                "leader_value": float(values[best]),
                "behind_leader": max(0.0, float(behind)),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "indicator_id",
            "name_zh",
            "unit",
            "direction",
            "value",
            "rank",
            "n_cities",
            "leader",
            "leader_value",
            "behind_leader",
        ],
    )


def peer_problems(problems: list[Message]) -> Message:
    """Every problem of a peer table, one a line, under one heading."""
    return MESSAGES.message("peer_problems", problems=Listing(tuple(problems), ("\n", "\n")))
