"""Maintenance scores as measures: data in, numbers or frames out (no I/O).

* An **inspection's score** is the weighted share of the items passed, 0–100:
  ``100 × Σ weight(passed) / Σ weight(checked)``; an item marked not applicable is left out of
  both sums (a park without water is not marked down for its water).
* A **site's period score** is the mean of its inspections' scores in the period; its
  **latest score** is that of its latest inspection.
* A **unit's** (the responsible unit's) and a **district's period score** is the mean of the
  period scores of its sites: each site counts once, however often it was inspected, so a
  site inspected every day does not outweigh one inspected once. Sites not inspected in the
  period have no score and are left out; a unit or district with no inspected site has no
  score (unknown, never 0).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = ["inspection_score", "latest_site_scores", "period_scores"]

RESULTS = ("pass", "fail", "na")


def inspection_score(results: Mapping[str, str], weights: Mapping[str, float]) -> float | None:
    """Weighted share (0–100) of the checked items that passed; None if nothing was checked.

    >>> inspection_score({"a": "pass", "b": "fail", "c": "na"}, {"a": 30, "b": 10, "c": 60})
    75.0
    """
    checked = {code: r for code, r in results.items() if r != "na"}
    total = sum(float(weights[code]) for code in checked)
    if total <= 0:
        return None
    passed = sum(float(weights[code]) for code, r in checked.items() if r == "pass")
    return round(100.0 * passed / total, 6)


def latest_site_scores(inspections: pd.DataFrame) -> pd.DataFrame:
    """The latest inspection of each site (columns of ``inspections``: site_id,
    inspected_at, score and any others), one row per site, sorted by score (worst first).

    >>> frame = pd.DataFrame({"site_id": [1, 1, 2], "score": [60.0, 80.0, 70.0],
    ...     "inspected_at": pd.to_datetime(["2026-05-01", "2026-05-03", "2026-05-02"])})
    >>> latest = latest_site_scores(frame)
    >>> list(zip(latest["site_id"], latest["score"]))
    [(2, 70.0), (1, 80.0)]
    """
    if inspections.empty:
        return inspections.copy()
    ordered = inspections.sort_values(["site_id", "inspected_at"])
    latest = ordered.groupby("site_id", sort=False).tail(1)
    return latest.sort_values(["score", "site_id"]).reset_index(drop=True)


def period_scores(inspections: pd.DataFrame, by: str) -> pd.Series:
    """Period score per ``by`` (unit_id or district_id): the mean over its sites of each
    site's mean inspection score (columns: site_id, ``by``, score); index: ``by``.

    >>> frame = pd.DataFrame({"site_id": [1, 1, 2], "unit_id": [7, 7, 7],
    ...                       "score": [60.0, 80.0, 100.0]})
    >>> period_scores(frame, "unit_id").to_dict()  # site 1: 70, site 2: 100 → 85
    {7: 85.0}
    """
    if inspections.empty:
        return pd.Series(dtype=float, name="score")
    valid = inspections.dropna(subset=[by, "score"])
    per_site = valid.groupby(["site_id", by])["score"].mean().reset_index()
    result = per_site.groupby(by)["score"].mean()
    result.index = result.index.astype(int)
    return result.rename("score")
