"""Red and black flags (流动红黑旗): score and rank units within a level for one period.

For each unit, over the cases dispatched to it in the period:

* closure rate      = closed / handled
* on-time rate      = closed on time (submitted before the deadline) / handled
* rework rate       = send-backs / submissions (0 when nothing was submitted)
* overdue per case  = min(1, cases still overdue at the period's end / handled)
* spot check        = mean spot-check score in the period / 100 (a unit without spot checks
  gets the mean of its level, so it is neither helped nor hurt)
* maintenance       = the unit's maintenance score in the period / 100 — the mean over the
  sites it answers for of each site's mean inspection score (a district: over the sites in
  it); optional, given by the caller as a Series by unit id (0–100); a unit without it gets
  its level's mean, like spot checks
* patrol coverage   = the share (0–1) of the unit's patrol zones covered in the period;
  optional, given as a Series by unit id; NaN (no zone) gets the level's mean

The two optional terms come from packages above the campaign (maintenance, patrols): the
caller passes them in ``extra``; without a weight in the configuration they count nothing.

``score = Σ weight × term`` with the weights of the configuration (negative for rework and
overdue). Units with fewer than ``min_cases`` handled cases are listed but not ranked. Within
each level (unit kind) the best ``flags_per_level`` get a red flag and the worst a black
flag, if at least twice that many units are ranked. Ties are broken by closure rate, then
on-time rate, then unit id (smaller first), so the order is always the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from gardencity.campaign.config import RankingRule

__all__ = ["OPTIONAL_TERMS", "RATE_COLUMNS", "STATS_COLUMNS", "period_bounds", "unit_scores"]

STATS_COLUMNS = [
    "unit_id",
    "level",
    "handled",
    "closed",
    "closed_on_time",
    "submissions",
    "send_backs",
    "overdue_open",
    "spot_check_score",
]
#: periods run from local midnight in the city's time zone
CITY_TIME_ZONE = "Asia/Shanghai"
#: terms given by the caller (Series by unit id) -> the column keeping the figure as given
OPTIONAL_TERMS = {"maintenance": "maintenance_score", "patrol_coverage": "patrol_coverage_share"}
RATE_COLUMNS = [
    "closure_rate",
    "on_time_rate",
    "rework_rate",
    "overdue_per_case",
    "spot_check",
    *OPTIONAL_TERMS,
]


def period_bounds(
    period: str, when: datetime, tz: str = CITY_TIME_ZONE
) -> tuple[datetime, datetime]:
    """The week (Monday 00:00) or month containing ``when``, in local time ``tz``.

    Examples
    --------
    >>> from datetime import UTC
    >>> start, end = period_bounds("week", datetime(2026, 5, 6, 20, 0, tzinfo=UTC))
    >>> start.isoformat(), end.isoformat()
    ('2026-05-04T00:00:00+08:00', '2026-05-11T00:00:00+08:00')
    >>> new_year = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # already 1 January in Beijing
    >>> [d.isoformat() for d in period_bounds("month", new_year)]
    ['2027-01-01T00:00:00+08:00', '2027-02-01T00:00:00+08:00']
    """
    local = when.astimezone(ZoneInfo(tz))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if period == "month":
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        return start, end
    raise ValueError(f"period must be 'week' or 'month', not {period!r}")


def _level_filled(values: pd.Series, level: pd.Series) -> pd.Series:
    """Missing values replaced by their level's mean (0 when the whole level lacks it)."""
    return values.fillna(values.groupby(level).transform("mean")).fillna(0.0)


def _optional_terms(df: pd.DataFrame, extra: Mapping[str, pd.Series]) -> None:
    unknown = sorted(set(extra) - set(OPTIONAL_TERMS))
    if unknown:
        raise ValueError(f"unknown ranking inputs {unknown}; known: {sorted(OPTIONAL_TERMS)}")
    for term, column in OPTIONAL_TERMS.items():
        given = extra.get(term)
        values = (
            df["unit_id"].map(given).astype(float)
            if given is not None
            else pd.Series(np.nan, index=df.index)
        )
        scale = 100.0 if term == "maintenance" else 1.0
        if ((values < 0) | (values > scale)).any():
            raise ValueError(f"{term} must lie between 0 and {scale:g}")
        df[column] = values
        df[term] = _level_filled(values / scale, df["level"])


def unit_scores(
    stats: pd.DataFrame, rule: RankingRule, extra: Mapping[str, pd.Series] | None = None
) -> pd.DataFrame:
    """Rates, score, rank within level and flag for each unit (one row per unit).

    ``extra`` holds the optional terms by name (``maintenance``: score 0–100,
    ``patrol_coverage``: share 0–1), each a Series indexed by unit id.

    Examples
    --------
    >>> from gardencity.campaign.config import load_campaign_config
    >>> rule = load_campaign_config().ranking
    >>> stats = pd.DataFrame({"unit_id": [1, 2], "level": ["street", "street"],
    ...     "handled": [10, 10], "closed": [10, 5], "closed_on_time": [10, 2],
    ...     "submissions": [10, 6], "send_backs": [0, 3], "overdue_open": [0, 4],
    ...     "spot_check_score": [90.0, 60.0]})
    >>> result = unit_scores(stats, rule)
    >>> result[["unit_id", "score", "rank", "flag"]].values.tolist()
    [[1, 97.0, 1, 'red'], [2, 30.0, 2, 'black']]
    """
    missing = [c for c in STATS_COLUMNS if c not in stats.columns]
    if missing:
        raise ValueError(f"stats lacks columns {missing}")
    df = stats[STATS_COLUMNS].copy()
    handled = df["handled"].astype(float)
    safe = handled.where(handled > 0)
    df["closure_rate"] = (df["closed"] / safe).fillna(0.0)
    df["on_time_rate"] = (df["closed_on_time"] / safe).fillna(0.0)
    submissions = df["submissions"].astype(float)
    df["rework_rate"] = (df["send_backs"] / submissions.where(submissions > 0)).fillna(0.0)
    df["overdue_per_case"] = (df["overdue_open"] / safe).fillna(0.0).clip(upper=1.0)
    spot = df["spot_check_score"].astype(float)
    level_mean = spot.groupby(df["level"]).transform("mean")
    df["spot_check"] = (spot.fillna(level_mean) / 100.0).fillna(0.0)
    _optional_terms(df, extra or {})
    df["ranked"] = handled >= rule.min_cases
    score = np.zeros(len(df))
    for term, weight in rule.weights.items():
        score = score + weight * df[term].to_numpy(float)
    df["score"] = np.round(score, 6)
    df["rank"] = pd.array([pd.NA] * len(df), dtype="Int64")
    df["flag"] = None
    order = df[df["ranked"]].sort_values(
        ["level", "score", "closure_rate", "on_time_rate", "unit_id"],
        ascending=[True, False, False, False, True],
    )
    for _, group in order.groupby("level", sort=True):
        ranks = range(1, len(group) + 1)
        df.loc[group.index, "rank"] = list(ranks)
        n = rule.flags_per_level
        if n and len(group) >= 2 * n:
            df.loc[group.index[:n], "flag"] = "red"
            df.loc[group.index[-n:], "flag"] = "black"
    df = df.sort_values(["level", "rank", "unit_id"], na_position="last").reset_index(drop=True)
    df["rank"] = pd.Series(
        [None if pd.isna(r) else int(r) for r in df["rank"]], index=df.index, dtype=object
    )
    return df
