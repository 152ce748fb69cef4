"""Overlapping land-use parcels: GEOS coverage validation finds the parcels whose edges do not
match their neighbours', and only the pairs around them are intersected."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from gardencity.errors import Problem
from gardencity.io.threads import work_pool, work_threads

__all__ = ["OVERLAP_TOLERANCE_M2", "land_use_off_coverage", "overlap_problems"]

OVERLAP_TOLERANCE_M2 = 1.0

#: parcels at least in each piece of a coverage check split across cores
COVERAGE_PIECE_MIN = 20_000
#: pieces at most of a coverage check (each border adds the parcels along it: 3 % on L)
COVERAGE_PIECES_MAX = 4


def _off_coverage(geoms: np.ndarray, threads: int | None = None) -> np.ndarray | None:
    """Which polygons have edges that do not match their neighbours' (GEOS coverage
    validation, much faster than testing every touching pair); None if it cannot tell.

    A large coverage is checked in pieces on ``threads`` threads (by default
    :func:`~gardencity.io.threads.work_threads`; GEOS lets go of the interpreter), each
    piece a band of polygons with every polygon whose bounds touch theirs
    (:func:`_coverage_pieces`): GEOS judges a polygon against exactly those, so each polygon
    is flagged as the whole check flags it."""
    valid = shapely.is_valid(geoms) & ~shapely.is_empty(geoms)
    if not valid.all():
        return None
    pieces = _coverage_pieces(geoms)
    flagged = np.zeros(len(geoms), dtype=bool)
    count = work_threads() if threads is None else threads
    with work_pool(max(1, min(count, len(pieces)))) as pool:
        checks = [pool.submit(_invalid_edges_of, geoms, near, own) for near, own in pieces]
        try:
            for (_, own), check in zip(pieces, checks, strict=True):
                flagged[own] = check.result()
        except shapely.errors.GEOSException:
            for check in checks:
                check.cancel()
            return None
    return flagged


def _invalid_edges_of(geoms: np.ndarray, near: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Whether each of the polygons ``own`` has invalid edges, the coverage check made on the
    polygons ``near`` (sorted, holding ``own`` and every polygon whose bounds touch theirs)."""
    edges = shapely.coverage_invalid_edges(geoms[near])
    return np.asarray(~shapely.is_empty(edges[np.searchsorted(near, own)]), dtype=bool)


def _coverage_pieces(geoms: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The polygons in bands from west to east, an equal number in each (by the middle of
    their bounds): for each band, the polygons whose bounds touch the band's bounds (sorted)
    and the band's own polygons. One piece, every polygon, for a small coverage."""
    everything = np.arange(len(geoms))
    count = min(COVERAGE_PIECES_MAX, len(geoms) // COVERAGE_PIECE_MIN)
    if count < 2:
        return [(everything, everything)]
    bounds = shapely.bounds(geoms)
    bands = np.array_split(np.argsort(bounds[:, 0] + bounds[:, 2], kind="stable"), count)
    pieces = []
    for own in bands:
        x0, y0 = bounds[own, 0].min(), bounds[own, 1].min()
        x1, y1 = bounds[own, 2].max(), bounds[own, 3].max()
        touching = (bounds[:, 0] <= x1) & (bounds[:, 2] >= x0)
        touching &= (bounds[:, 1] <= y1) & (bounds[:, 3] >= y0)
        pieces.append((np.flatnonzero(touching), np.sort(own)))
    return pieces


def land_use_off_coverage(layers: dict[str, gpd.GeoDataFrame]) -> np.ndarray | None:
    """:func:`_off_coverage` of the land-use parcels (None without them). It only reads the
    geometries, so it may run beside work that prepares them."""
    if "land_use" not in layers:
        return None
    return _off_coverage(layers["land_use"].geometry.to_numpy())


def overlap_problems(
    layers: dict[str, gpd.GeoDataFrame], suspects: np.ndarray | None
) -> list[Problem]:
    """Overlapping land-use parcels, from :func:`land_use_off_coverage`'s ``suspects``."""
    if "land_use" not in layers:
        return []
    geoms = layers["land_use"].geometry.to_numpy()
    if suspects is not None and not suspects.any():
        return []  # parcels that form a valid coverage do not overlap
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    if suspects is not None:
        near = suspects[left] | suspects[right]
        left, right = left[near], right[near]
    pairs = left < right
    left, right = left[pairs], right[pairs]
    if left.size == 0:
        return []
    touching_only = shapely.touches(geoms[left], geoms[right])
    left, right = left[~touching_only], right[~touching_only]
    if left.size == 0:
        return []
    areas = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    big = areas > OVERLAP_TOLERANCE_M2
    if not big.any():
        return []
    ids = layers["land_use"].get("parcel_id")
    labels = (
        ids.astype(str).to_numpy()
        if ids is not None and ids.notna().all()
        else np.arange(len(geoms)).astype(str)
    )
    details = tuple(
        f"{labels[a]}×{labels[b]} ({s:.0f} m²)"
        for a, b, s in zip(left[big], right[big], areas[big], strict=True)
    )
    return [
        Problem(
            "land_use",
            f"{int(big.sum())} pair(s) of land-use parcels overlap, {areas[big].sum():,.0f} m² in "
            f"total (residential land would be counted twice)",
            "Cut the overlaps so parcels tile without overlap (QGIS: Vector ▸ Geoprocessing ▸ "
            "Union, then dissolve duplicates; or the Topology Checker).",
            count=int(big.sum()),
            details=details,
            message_zh=f"{int(big.sum())} 对用地地块相互重叠，共 {areas[big].sum():,.0f} 平方米"
            "（居住用地会被重复计算）",
            fix_zh="切除重叠部分，使地块互不重叠（QGIS：矢量 ▸ 地理处理 ▸ 联合，再融合重复部分；"
            "或用拓扑检查器）。",
        )
    ]
