"""How much of each grid cell patrols covered: a measure (tracks and cells in, a Series out).

A track is the line through its points in the order they were sampled. Each segment is
buffered by the larger accuracy of its two ends (the phone's radius: the patroller was
somewhere within it), but never less than ``sight_m`` — what a patroller walking a street sees
on either side of it — and a point whose accuracy is worse than ``max_accuracy_m`` is left out
(a position known to ±300 m says nothing of which cell was patrolled). Two points further
apart in time than ``max_gap_s`` are not joined: where the patroller went meanwhile is
unknown. A lone point (or a track of one point) covers the disc of its radius.

The buffers are exact to 0.01 % (shapely, round caps of 256-gon circles) and computed in a
projected CRS in metres: the cells' own if they are projected, else the CGCS2000
Gauss-Krüger zone of the city (:func:`gardencity.io.crs.local_metric_crs`), where areas are
true to well under 0.1 %.

A cell counts as *patrolled* on a day when the share of its area covered that day reaches
``threshold``. The default, 5 %, means "crossed end to end once": a 500 m cell crossed along
one street with 25 m of sight on either side is 500 × 50 / 250 000 = 10 % covered, so a
patrol that walked half of one street through it counts, and a patrol that only clipped
a corner does not.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gardencity.io.crs import local_metric_crs

__all__ = ["COLUMNS", "covered_share", "track_cover"]

COLUMNS = ("track", "seq", "at", "lon", "lat", "accuracy")
# a circle is drawn with 4 × 64 sides: its area is short of π r² by 0.01 %
QUAD_SEGS = 64


def track_cover(
    points: pd.DataFrame,
    *,
    sight_m: float = 0.0,
    max_accuracy_m: float = 100.0,
    max_gap_s: float = 300.0,
) -> shapely.Geometry:
    """The area the tracks of ``points`` covered, as one geometry in the points' ``x``/``y``.

    ``points``: columns ``track`` (any id), ``seq`` (order within a track), ``at`` (datetime),
    ``x``, ``y`` (metres) and ``accuracy`` (metres).

    Examples
    --------
    >>> import pandas as pd
    >>> at = pd.to_datetime(["2026-05-04T01:00Z", "2026-05-04T01:01Z"])
    >>> line = pd.DataFrame({"track": [1, 1], "seq": [0, 1], "at": at,
    ...     "x": [0.0, 100.0], "y": [0.0, 0.0], "accuracy": [5.0, 10.0]})
    >>> round(track_cover(line).area)  # 100 m × 2 × 10 m + a disc of 10 m
    2314
    """
    good = points[(points["accuracy"] > 0) & (points["accuracy"] <= max_accuracy_m)]
    if good.empty:
        return shapely.Polygon()
    good = good.sort_values(["track", "seq"])
    radius = np.maximum(good["accuracy"].to_numpy(dtype=float), sight_m)
    xy = good[["x", "y"]].to_numpy(dtype=float)
    moments = pd.to_datetime(good["at"], utc=True)
    seconds = (moments - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()
    same_track = good["track"].to_numpy()[1:] == good["track"].to_numpy()[:-1]
    joined = same_track & (np.diff(seconds) <= max_gap_s)
    starts = np.flatnonzero(joined)
    segments = shapely.linestrings(
        np.stack([xy[starts], xy[starts + 1]], axis=1).reshape(-1, 2),
        indices=np.repeat(np.arange(len(starts)), 2),
    )
    widths = np.maximum(radius[starts], radius[starts + 1])
    pieces = [shapely.buffer(segments, widths, quad_segs=QUAD_SEGS)]
    # every point's own disc: lone points, and the round ends of each run
    pieces.append(shapely.buffer(shapely.points(xy), radius, quad_segs=QUAD_SEGS))
    return shapely.union_all(np.concatenate(pieces))


def covered_share(
    points: pd.DataFrame,
    cells: gpd.GeoSeries,
    *,
    sight_m: float = 0.0,
    max_accuracy_m: float = 100.0,
    max_gap_s: float = 300.0,
) -> pd.Series:
    """The share (0–1) of each cell's area the tracks of ``points`` covered, indexed like
    ``cells``.

    ``points``: columns ``track``, ``seq``, ``at``, ``lon``, ``lat`` (WGS 84) and
    ``accuracy`` (metres), see :func:`track_cover`. ``cells``: polygons with a CRS.
    """
    if cells.crs is None:
        raise ValueError("the cells have no CRS")
    metric = local_metric_crs(gpd.GeoDataFrame(geometry=cells))
    cells_m = cells.to_crs(metric)
    shares = pd.Series(0.0, index=cells.index, name="covered_share")
    if points.empty or cells.empty:
        return shares
    xy = gpd.GeoSeries(shapely.points(points["lon"], points["lat"]), crs=4326).to_crs(metric)
    located = points.assign(x=xy.x.to_numpy(), y=xy.y.to_numpy())
    cover = track_cover(
        located, sight_m=sight_m, max_accuracy_m=max_accuracy_m, max_gap_s=max_gap_s
    )
    if cover.is_empty:
        return shares
    geoms = cells_m.to_numpy()
    near = shapely.intersects(geoms, cover)
    shared = shapely.area(shapely.intersection(geoms[near], cover))
    shares[near] = shared / shapely.area(geoms[near])
    return shares
