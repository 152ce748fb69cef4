"""Check that a grid (网格) tiles its area: codes, geometry, no overlaps, no gaps.

数字城管 grid cells are closed polygons that tile the managed area without gaps or
overlaps, each with a unique code (administrative division + street + community +
sequence). Checking happens in a local metric CRS so that tolerances are in m².
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import shapely

from gardencity.errors import InvalidRequestError
from gardencity.io.crs import local_metric_crs
from gardencity.messages import Catalogue, Message

__all__ = ["GridReport", "check_grid_tiling"]
MESSAGES = Catalogue(__package__)


@dataclass
class GridReport:
    """The outcome of :func:`check_grid_tiling`; ``problems`` say what to fix."""

    grids: gpd.GeoDataFrame
    problems: list[Message] = field(default_factory=list)
    overlaps: gpd.GeoDataFrame | None = None
    gaps: gpd.GeoDataFrame | None = None
    repaired: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check_grid_tiling(
    grids: gpd.GeoDataFrame,
    area: shapely.Geometry | None = None,
    *,
    code_column: str = "code",
    code_pattern: str = r"^\d{6,}$|^[A-Za-z0-9_\-]+$",
    tolerance_m2: float = 1.0,
) -> GridReport:
    """Every problem of ``grids`` at once; invalid cells are repaired with ``make_valid``.

    Gaps are holes of the union (or parts of ``area``, in the grids' CRS, not covered) larger
    than ``tolerance_m2``; overlaps are pairwise intersections larger than ``tolerance_m2``.

    Examples
    --------
    >>> cells = gpd.GeoDataFrame({"code": ["A1", "A2"]}, crs=4547,
    ...     geometry=[shapely.box(0, 0, 10, 10), shapely.box(9, 0, 20, 10)])
    >>> check_grid_tiling(cells).problems[0].render("zh").startswith("1 处网格重叠")
    True
    """
    if grids.crs is None:
        raise InvalidRequestError(MESSAGES.message("grid.no_crs"))
    if code_column not in grids.columns:
        raise InvalidRequestError(MESSAGES.message("grid.no_code_column", column=code_column))
    problems: list[Message] = []
    gdf = grids[grids.geometry.notna() & ~grids.geometry.is_empty].copy()
    if len(gdf) < len(grids):
        problems.append(MESSAGES.message("grid.no_geometry", count=len(grids) - len(gdf)))
    codes = gdf[code_column].astype("string")
    problems += _code_problems(codes, code_pattern)
    invalid = ~gdf.geometry.is_valid
    repaired = int(invalid.sum())
    if repaired:
        gdf.loc[invalid, "geometry"] = gdf.geometry[invalid].make_valid()
    polygonal = gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    if not polygonal.all():
        problems.append(MESSAGES.message("grid.not_polygons", count=int((~polygonal).sum())))
        gdf, codes = gdf[polygonal], codes[polygonal]  # overlaps name the cells by position
    metric = gdf.to_crs(local_metric_crs(gdf)) if gdf.crs.is_geographic else gdf
    overlaps = _overlaps(metric, codes, tolerance_m2)
    if len(overlaps):
        shown = ", ".join(f"{a}×{b}" for a, b in zip(overlaps.code_a, overlaps.code_b, strict=True))
        problems.append(MESSAGES.message("grid.overlaps", count=len(overlaps), shown=shown[:300]))
    target = None if area is None else gpd.GeoSeries([area], crs=grids.crs).to_crs(metric.crs)
    gaps = _gaps(metric, None if target is None else target.iloc[0], tolerance_m2)
    if len(gaps):
        area_m2 = f"{gaps.area_m2.sum():.0f}"
        problems.append(MESSAGES.message("grid.gaps", count=len(gaps), area=area_m2))
    return GridReport(gdf, problems, overlaps, gaps, repaired)


def _code_problems(codes: pd.Series, code_pattern: str) -> list[Message]:
    """Missing, duplicate and malformed cell codes."""
    problems = []
    blank = codes.isna() | (codes.str.strip() == "")
    if blank.any():
        problems.append(MESSAGES.message("grid.no_code", count=int(blank.sum())))
    dup = codes[codes.duplicated(keep=False) & ~blank]
    if len(dup):
        codes_shown = sorted(set(dup))[:20]
        problems.append(MESSAGES.message("grid.duplicate_codes", codes=codes_shown))
    bad = codes[~blank & ~codes.str.match(code_pattern).fillna(False)]
    if len(bad):
        shown = list(bad)[:20]
        problems.append(MESSAGES.message("grid.bad_codes", pattern=code_pattern, codes=shown))
    return problems


def _overlaps(metric: gpd.GeoDataFrame, codes: pd.Series, tolerance_m2: float) -> gpd.GeoDataFrame:
    """Pairwise intersections of cells larger than ``tolerance_m2``, with both codes."""
    geoms = metric.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    rows = []
    for i, j in zip(left[keep], right[keep], strict=True):
        piece = shapely.intersection(geoms[i], geoms[j])
        if shapely.area(piece) > tolerance_m2:
            rows.append((str(codes.iloc[i]), str(codes.iloc[j]), piece))
    return gpd.GeoDataFrame(
        {"code_a": [r[0] for r in rows], "code_b": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs=metric.crs,
    ).assign(area_m2=lambda d: d.area)


def _gaps(
    metric: gpd.GeoDataFrame, area: shapely.Geometry | None, tolerance_m2: float
) -> gpd.GeoDataFrame:
    """Parts of ``area`` (without one: holes of the cells' union) no cell covers."""
    union = shapely.union_all(metric.geometry.to_numpy())
    if area is not None:
        missing = shapely.difference(area, union)
    else:
        shells = [
            shapely.Polygon(p.exterior)
            for p in shapely.get_parts(union)
            if p.geom_type == "Polygon"
        ]
        missing = shapely.difference(shapely.union_all(shells), union)
    gap_parts = [g for g in shapely.get_parts(missing) if shapely.area(g) > tolerance_m2]
    return gpd.GeoDataFrame(geometry=gap_parts, crs=metric.crs).assign(area_m2=lambda d: d.area)
