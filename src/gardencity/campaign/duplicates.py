"""Flag a new case that repeats an open one: same category, near the same spot, recent."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from pyproj import Geod

__all__ = ["find_duplicates", "nearest_within"]

_GEOD = Geod(ellps="WGS84")
OPEN = {"filed", "dispatched", "in_progress", "submitted", "sent_back"}


def find_duplicates(
    lonlat: tuple[float, float],
    category: str,
    created_at: datetime,
    existing: pd.DataFrame,
    *,
    radius_m: float,
    window_days: float,
) -> list[int]:
    """Ids of open cases of ``category`` within ``radius_m`` (geodesic) filed in the
    ``window_days`` before ``created_at``, nearest first.

    ``existing`` has columns id, lon, lat, category, created_at, status.

    Examples
    --------
    >>> from datetime import UTC
    >>> t = datetime(2026, 5, 1, tzinfo=UTC)
    >>> old = pd.DataFrame({"id": [1, 2], "lon": [116.30001, 116.31], "lat": [39.99, 39.99],
    ...     "category": ["bare_soil"] * 2, "created_at": [t, t], "status": ["filed"] * 2})
    >>> find_duplicates((116.3, 39.99), "bare_soil", t, old, radius_m=30, window_days=14)
    [1]
    """
    if existing.empty:
        return []
    since = created_at - timedelta(days=window_days)
    pool = existing[
        (existing["category"] == category)
        & existing["status"].isin(OPEN)
        & (pd.to_datetime(existing["created_at"], utc=True) >= since)
    ]
    if pool.empty:
        return []
    return nearest_within(
        lonlat,
        pool["id"].to_numpy(),
        pool["lon"].to_numpy(float),
        pool["lat"].to_numpy(float),
        radius_m=radius_m,
    )


def nearest_within(
    lonlat: tuple[float, float],
    ids: np.ndarray,
    lons: np.ndarray,
    lats: np.ndarray,
    *,
    radius_m: float,
) -> list[int]:
    """Of the points (``ids``, ``lons``, ``lats``), the ids within ``radius_m`` (geodesic) of
    ``lonlat``, nearest first (ties by id).

    >>> nearest_within((116.3, 39.99), np.array([7, 8]), np.array([116.3001, 116.31]),
    ...                np.array([39.99, 39.99]), radius_m=30)
    [7]
    """
    if len(ids) == 0:
        return []
    origin_lon = np.full(len(ids), lonlat[0])
    origin_lat = np.full(len(ids), lonlat[1])
    _, _, distance = _GEOD.inv(origin_lon, origin_lat, lons, lats)
    near = np.flatnonzero(np.asarray(distance) <= radius_m)
    order = np.lexsort((ids[near], np.asarray(distance)[near]))
    return [int(i) for i in ids[near][order]]
