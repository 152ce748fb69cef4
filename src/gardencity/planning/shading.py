"""Where shading roads gives the most 林荫路 coverage per kilometre of new planting.

A side-segment counts as shaded when the canopy over its slow lanes reaches the threshold
(:func:`~gardencity.indicators.roads.road_shade_segments`). Shading an unshaded segment of
length ``L`` whose canopy fraction is ``f`` adds ``L`` to the shaded length and needs canopy
over ``L × (threshold − f)`` of it: segments already nearly shaded give the most coverage per
kilometre planted, so they come first.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from gardencity.errors import DataError
from gardencity.messages import Catalogue
from gardencity.toolkit import require_columns

__all__ = ["shading_priorities"]
MESSAGES = Catalogue(__package__)


def shading_priorities(
    segments: gpd.GeoDataFrame,
    *,
    shade_threshold: float = 0.9,
    target_percent: float | None = None,
) -> gpd.GeoDataFrame:
    """Unshaded segments in the order to shade them, with the planting each needs and the
    coverage reached after it (cumulative); cut at ``target_percent`` when given.

    Columns added: ``planting_m`` (slow-lane length to bring under canopy), ``km_per_km``
    (shaded length gained per length planted), ``coverage_percent`` (shaded share of all
    segments' length after this one).

    >>> import shapely
    >>> s = gpd.GeoDataFrame({"length_m": [100.0, 100.0, 100.0],
    ...     "canopy_fraction": [0.95, 0.85, 0.30], "is_shaded": [True, False, False]},
    ...     geometry=[shapely.LineString([(0, 0), (100, 0)])] * 3, crs=4547)
    >>> plan = shading_priorities(s, target_percent=60)
    >>> plan.index.tolist(), plan["planting_m"].round(1).tolist()
    ([1], [5.0])
    >>> plan["coverage_percent"].round(1).tolist()
    [66.7]
    """
    require_columns(segments, ["length_m", "canopy_fraction", "is_shaded"], "road segments")
    if not 0 < shade_threshold <= 1:
        raise DataError(MESSAGES.message("shade_threshold_range", value=shade_threshold))
    total = float(segments["length_m"].sum())
    if total <= 0:
        raise DataError(MESSAGES.message("roads_no_length"))
    shaded = float(segments.loc[segments["is_shaded"].astype(bool), "length_m"].sum())
    todo = segments[~segments["is_shaded"].astype(bool)].copy()
    fraction = todo["canopy_fraction"].fillna(0.0).clip(0.0, 1.0).to_numpy(dtype=float)
    missing = np.maximum(shade_threshold - fraction, 1e-9)
    todo["planting_m"] = todo["length_m"].to_numpy(dtype=float) * missing
    todo["km_per_km"] = 1.0 / missing
    todo = todo.sort_values(["km_per_km", "length_m"], ascending=[False, False], kind="stable")
    todo["coverage_percent"] = 100.0 * (shaded + todo["length_m"].cumsum()) / total
    if target_percent is not None:
        if 100.0 * shaded / total >= target_percent:
            return todo.iloc[:0]
        reached = np.flatnonzero(todo["coverage_percent"].to_numpy() >= target_percent)
        todo = todo.iloc[: reached[0] + 1] if len(reached) else todo
    return todo
