"""Road pieces for the road measures: the roads of some grades cut by zone, each counted once."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from gardencity.io.threads import prepared_copies
from gardencity.toolkit.road_geometry import LineAxes
from gardencity.toolkit.zonal import pieces_by_zone

__all__ = ["road_piece_axes", "road_pieces"]


def road_pieces(
    roads: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, grades: list[str] | tuple[str, ...]
) -> gpd.GeoDataFrame:
    """Roads of ``grades`` cut by zone, exploded to single LineStrings, with ``length_m``.

    A piece that runs exactly along the boundary of two zones is kept for the zone on its
    left only, so that it is counted once.

    Parameters
    ----------
    roads
        The ``roads`` input (``grade``).
    zones
        The zones.
    grades
        The grades evaluated.

    Examples
    --------
    >>> zones = gpd.GeoDataFrame(index=["built_up_area"], crs=4547,
    ...     geometry=[shapely.box(0, 0, 100, 100)])
    >>> roads = gpd.GeoDataFrame({"grade": ["branch", "arterial"]}, crs=4547, geometry=[
    ...     shapely.LineString([(-50, 50), (150, 50)]), shapely.LineString([(0, 0), (0, 9)])])
    >>> road_pieces(roads, zones, ["branch"])[["zone_id", "length_m"]].to_numpy().tolist()
    [['built_up_area', 100.0]]
    """
    pieces = _zone_pieces(roads, zones, grades)
    return pieces[_on_left_side(pieces, zones)].reset_index(drop=True)


def road_piece_axes(
    roads: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, grades: list[str] | tuple[str, ...]
) -> tuple[gpd.GeoDataFrame, LineAxes]:
    """:func:`road_pieces` and their :class:`LineAxes` (those that placed the pieces'
    probes, cut down to the pieces kept)."""
    pieces, axes, keep = _pieces_and_axes(roads, zones, grades)
    return pieces[keep].reset_index(drop=True), axes.subset(np.flatnonzero(keep))


def _pieces_and_axes(
    roads: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, grades: list[str] | tuple[str, ...]
) -> tuple[gpd.GeoDataFrame, LineAxes, npt.NDArray[np.bool_]]:
    """Every piece of ``grades`` cut by zone, their axes, and the pieces to keep."""
    pieces = _zone_pieces(roads, zones, grades)
    axes = LineAxes(pieces.geometry.to_numpy())
    return pieces, axes, _on_left_side(pieces, zones, axes)


def _zone_pieces(
    roads: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, grades: list[str] | tuple[str, ...]
) -> gpd.GeoDataFrame:
    """Every piece of ``grades`` cut by zone, a LineString each, with ``length_m``."""
    selected = roads[roads["grade"].isin(list(grades))]
    pieces = pieces_by_zone(selected, zones)
    single = shapely.get_type_id(pieces.geometry.to_numpy()) == shapely.GeometryType.LINESTRING
    if single.all():  # no part to take apart: the columns in the order explode leaves
        geometry = pieces.geometry.name
        pieces = pieces[[*pieces.columns.drop(geometry), geometry]]
    else:
        pieces = pieces.explode(index_parts=False)
        pieces = pieces[pieces.geometry.geom_type == "LineString"]
    pieces = pieces.reset_index(drop=True)
    pieces["length_m"] = shapely.length(pieces.geometry.to_numpy())
    return pieces[pieces["length_m"] > 0].reset_index(drop=True)


def _on_left_side(
    pieces: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, axes: LineAxes | None = None
) -> npt.NDArray[np.bool_]:
    """Whether the point 0.5 m left of each piece's midpoint lies in the piece's zone.

    A road running exactly along a zone boundary (district boundaries often follow roads) is
    cut into the same piece for both neighbouring zones; it is kept for the zone on its left
    only, so it is counted once and tiny coordinate changes cannot move it. ``axes``: the
    pieces' axes, if at hand (else only those of the pieces on a boundary are made; a line's
    points are the same either way).
    """
    lines = pieces.geometry.to_numpy()
    if axes is None:
        count = shapely.get_num_coordinates(lines)
        start = shapely.get_coordinates(lines)[np.cumsum(count) - count]
        start_x, start_y = start[:, 0], start[:, 1]
    else:
        start_x, start_y = axes.x[axes.first], axes.y[axes.first]
    zone_ids = pieces["zone_id"].to_numpy()
    on_edge = []
    for zone_id, geom in zip(zones.index, prepared_copies(zones.geometry.to_numpy()), strict=True):
        # A piece on the boundary starts on it (not in the zone's interior): test those only.
        mask = np.flatnonzero(zone_ids == zone_id)
        mask = mask[~shapely.contains_xy(geom, start_x[mask], start_y[mask])]
        if not mask.size:
            continue
        edge = shapely.boundary(geom)
        shapely.prepare(edge)
        on_edge.append((geom, mask[shapely.covers(edge, lines[mask])]))
    keep = np.ones(len(pieces), dtype=bool)
    rows = np.concatenate([mask for _, mask in on_edge]) if on_edge else np.zeros(0, np.intp)
    if not rows.size:
        return keep
    if axes is None:
        axes, index = LineAxes(lines[rows]), np.arange(len(rows))
    else:
        index = rows
    probe = _left_probes(axes, index, pieces["length_m"].to_numpy()[rows])
    done = 0
    for geom, mask in on_edge:
        keep[mask] = shapely.covers(geom, shapely.points(probe[done : done + len(mask)]))
        done += len(mask)
    return keep


def _left_probes(
    axes: LineAxes, index: npt.NDArray[np.intp], length: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The point 0.5 m left of the midpoint of each line ``index`` of ``length``."""
    half = length / 2
    mid = axes.points(index, half)
    d = axes.points(index, np.minimum(half + 0.5, length)) - axes.points(
        index, np.maximum(half - 0.5, 0.0)
    )
    norm = np.hypot(d[:, 0], d[:, 1])
    norm[norm == 0] = 1.0
    return mid + 0.5 * np.column_stack([-d[:, 1] / norm, d[:, 0] / norm])
