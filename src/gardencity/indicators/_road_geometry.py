"""Road geometry for the road measures: sampling the slow-lane bands along both sides."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gardencity.indicators._zonal import pieces_by_zone

__all__ = ["DEFAULT_RED_LINE_M", "road_pieces", "side_samples"]

# Red-line width assumed where the data gives none (typical CJJ 37 cross-sections).
DEFAULT_RED_LINE_M = {
    "expressway": 50.0,
    "arterial": 45.0,
    "secondary": 30.0,
    "branch": 16.0,
    "other": 8.0,
}


def road_pieces(
    roads: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, grades: list[str] | tuple[str, ...]
) -> gpd.GeoDataFrame:
    """Roads of ``grades`` cut by zone, exploded to single LineStrings, with ``length_m``."""
    selected = roads[roads["grade"].isin(list(grades))]
    pieces = pieces_by_zone(selected, zones)
    pieces = pieces.explode(index_parts=False)
    pieces = pieces[pieces.geometry.geom_type == "LineString"].reset_index(drop=True)
    pieces["length_m"] = shapely.length(pieces.geometry.to_numpy())
    pieces = pieces[pieces["length_m"] > 0].reset_index(drop=True)
    return pieces[_on_left_side(pieces, zones)].reset_index(drop=True)


def _on_left_side(pieces: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> npt.NDArray[np.bool_]:
    """Whether the point 0.5 m left of each piece's midpoint lies in the piece's zone.

    A road running exactly along a zone boundary (district boundaries often follow roads) is
    cut into the same piece for both neighbouring zones; it is kept for the zone on its left
    only, so it is counted once and tiny coordinate changes cannot move it.
    """
    lines = pieces.geometry.to_numpy()
    half = shapely.length(lines) / 2
    mid = shapely.get_coordinates(shapely.line_interpolate_point(lines, half))
    ahead = shapely.get_coordinates(
        shapely.line_interpolate_point(lines, np.minimum(half + 0.5, shapely.length(lines)))
    )
    behind = shapely.get_coordinates(
        shapely.line_interpolate_point(lines, np.maximum(half - 0.5, 0.0))
    )
    d = ahead - behind
    norm = np.hypot(d[:, 0], d[:, 1])
    norm[norm == 0] = 1.0
    probe = mid + 0.5 * np.column_stack([-d[:, 1] / norm, d[:, 0] / norm])
    points = shapely.points(probe)
    keep = np.ones(len(pieces), dtype=bool)
    zone_ids = pieces["zone_id"].to_numpy()
    for zone_id, geom in zip(zones.index, zones.geometry.to_numpy(), strict=True):
        mask = zone_ids == zone_id
        if not mask.any():
            continue
        edge = shapely.boundary(geom)
        shapely.prepare(geom)
        shapely.prepare(edge)
        on_boundary = shapely.covers(edge, lines[mask])
        keep[mask] = shapely.covers(geom, points[mask]) | ~on_boundary
    return keep


def side_samples(
    lines: npt.NDArray[np.object_],
    inner_m: npt.NDArray[np.float64],
    outer_m: npt.NDArray[np.float64],
    *,
    step_m: float,
    segment_length_m: float,
    across: int,
) -> pd.DataFrame:
    """Sample points over each side's band between ``inner_m`` and ``outer_m`` from the axis.

    Returns one row per sample: ``line`` (position), ``bin`` (segment number along the line),
    ``side`` (+1 left, −1 right), ``x``, ``y``, ``along`` (distance along the axis).
    """
    lengths = shapely.length(lines)
    n_along = np.maximum(1, np.ceil(lengths / step_m).astype(np.int64))
    owner = np.repeat(np.arange(len(lines)), n_along)
    start = np.cumsum(n_along) - n_along
    k = np.arange(n_along.sum()) - np.repeat(start, n_along)
    along = (k + 0.5) * (lengths[owner] / n_along[owner])
    centre = shapely.line_interpolate_point(lines[owner], along)
    eps = np.minimum(0.5, lengths[owner] / 4)
    ahead = shapely.line_interpolate_point(lines[owner], np.minimum(along + eps, lengths[owner]))
    behind = shapely.line_interpolate_point(lines[owner], np.maximum(along - eps, 0.0))
    c = shapely.get_coordinates(centre)
    d = shapely.get_coordinates(ahead) - shapely.get_coordinates(behind)
    norm = np.hypot(d[:, 0], d[:, 1])
    norm[norm == 0] = 1.0
    normal = np.column_stack([-d[:, 1] / norm, d[:, 0] / norm])
    frames = []
    for side in (1.0, -1.0):
        for j in range(across):
            frac = (j + 0.5) / across
            offset = inner_m[owner] + frac * (outer_m[owner] - inner_m[owner])
            xy = c + side * offset[:, None] * normal
            frames.append(
                pd.DataFrame(
                    {
                        "line": owner,
                        "bin": (along // segment_length_m).astype(np.int64),
                        "side": int(side),
                        "x": xy[:, 0],
                        "y": xy[:, 1],
                        "along": along,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)
