"""Zones and features: cutting features by zone, areas per zone, the district of a feature.

``zones`` is a GeoDataFrame indexed by zone id: :data:`CITY_ZONE` for the whole built-up
area (always the first row), then each district (see ``docs/architecture.md`` §Zones).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gardencity.io.threads import prepared_copies
from gardencity.toolkit.cover import TiledCover
from gardencity.toolkit.overlap import intersections

__all__ = [
    "CITY_ZONE",
    "area_in_zones",
    "district_of",
    "pieces_by_zone",
    "union_area_in_zones",
]

CITY_ZONE = "built_up_area"
"""The zone id of the whole built-up area (the first row of ``zones``; the others are districts)."""


def pieces_by_zone(gdf: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Every feature cut by every zone it intersects.

    Features wholly inside a zone are kept as they are (the same geometry object, no
    intersection computed); empty cuts are dropped.

    Parameters
    ----------
    gdf
        Features in the zones' CRS.
    zones
        The zones (a feature of the city and of a district appears once for each).

    Returns
    -------
    GeoDataFrame
        The features' columns, the cut ``geometry``, ``zone_id`` and ``source`` (the
        feature's position in ``gdf``), zone by zone.

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame(index=["built_up_area", "d1"], crs=4547,
    ...     geometry=[shapely.box(0, 0, 10, 10), shapely.box(0, 0, 5, 10)])
    >>> parcels = gpd.GeoDataFrame({"code": ["R1"]}, geometry=[shapely.box(2, 2, 8, 4)],
    ...     crs=4547)
    >>> cut = pieces_by_zone(parcels, zones)
    >>> cut["zone_id"].tolist(), cut.geometry.area.tolist(), cut["source"].tolist()
    (['built_up_area', 'd1'], [12.0, 6.0], [0, 0])
    """
    if gdf.empty:
        out = gdf.iloc[0:0].copy()
        out["zone_id"] = pd.Series(dtype=object)
        out["source"] = pd.Series(dtype=int)
        return out
    geoms = gdf.geometry.to_numpy()
    zone_geoms = prepared_copies(zones.geometry.to_numpy())
    tree = shapely.STRtree(geoms)
    zone_idx, feat_idx = tree.query(zone_geoms, predicate="intersects")
    inside = shapely.contains_properly(zone_geoms[zone_idx], geoms[feat_idx])
    pieces = geoms[feat_idx].copy()
    cut = ~inside
    if cut.any():
        pieces[cut] = intersections(geoms[feat_idx[cut]], zone_geoms[zone_idx[cut]])
    out = gdf.iloc[feat_idx].copy()
    out = out.set_geometry(gpd.GeoSeries(pieces, index=out.index, crs=gdf.crs))
    out["zone_id"] = zones.index.to_numpy()[zone_idx]
    out["source"] = feat_idx
    keep = ~shapely.is_empty(pieces)
    return out.loc[keep].reset_index(drop=True)


def district_of(gdf: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> list[str | None]:
    """The district (``zones`` row of kind ``district``) holding each feature's interior point.

    Parameters
    ----------
    gdf
        Features in the zones' CRS.
    zones
        Zones as the assessment prepares them (columns ``kind`` and ``geometry``).

    Returns
    -------
    list of str or None
        One district id per feature; None outside every district.

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame({"kind": ["built_up_area", "district", "district"]},
    ...     index=["built_up_area", "w", "e"], crs=4547, geometry=[shapely.box(0, 0, 2, 1),
    ...     shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    >>> features = gpd.GeoDataFrame(geometry=[shapely.box(1.2, 0, 1.8, 1),
    ...     shapely.box(5, 5, 6, 6)], crs=4547)
    >>> district_of(features, zones)
    ['e', None]
    """
    districts = zones[zones["kind"] == "district"]
    if gdf.empty or districts.empty:
        return [None] * len(gdf)
    points = shapely.point_on_surface(gdf.geometry.to_numpy())
    out: list[str | None] = [None] * len(gdf)
    tested = prepared_copies(districts.geometry.to_numpy())
    for zone_id, geom in zip(districts.index, tested, strict=True):
        for i in np.flatnonzero(shapely.contains(geom, points)):
            out[i] = str(zone_id)
    return out


def area_in_zones(geom: shapely.Geometry | None, zones: gpd.GeoDataFrame) -> pd.Series:
    """Area of one (unioned) geometry inside each zone.

    Parameters
    ----------
    geom
        The geometry, or None for nothing.
    zones
        The zones (the result is indexed like them).

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame(index=["built_up_area", "d1"], crs=4547,
    ...     geometry=[shapely.box(0, 0, 10, 10), shapely.box(0, 0, 5, 10)])
    >>> area_in_zones(shapely.box(4, 0, 6, 1), zones).tolist()
    [2.0, 1.0]
    """
    if geom is None or geom.is_empty:
        return pd.Series(0.0, index=zones.index)
    areas = shapely.area(shapely.intersection(zones.geometry.to_numpy(), geom))
    return pd.Series(areas, index=zones.index, dtype=float)


def union_area_in_zones(gdf: gpd.GeoDataFrame | None, zones: gpd.GeoDataFrame) -> pd.Series:
    """Area of the union of ``gdf`` inside each zone (overlaps counted once).

    Parameters
    ----------
    gdf
        Polygons, or None for nothing.
    zones
        The zones (the result is indexed like them).

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame(index=["built_up_area"], crs=4547,
    ...     geometry=[shapely.box(0, 0, 10, 10)])
    >>> parks = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 4, 5), shapely.box(2, 0, 6, 5)],
    ...     crs=4547)
    >>> union_area_in_zones(parks, zones).tolist()
    [30.0]
    """
    if gdf is None or gdf.empty:
        return pd.Series(0.0, index=zones.index)
    cover = TiledCover(gdf.geometry.to_numpy())
    return pd.Series(cover.overlap_areas(zones.geometry.to_numpy()), index=zones.index)
