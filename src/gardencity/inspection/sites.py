"""Candidate sites for field checks and inspection routes: parks, roads, compounds, units.

A site has ``site_id`` (stable: ``park:<row>``, ``road:<name>``, ``compound:<parcel_id>``,
``unit:<parcel_id>``), ``kind``, ``class_name`` (for parks the CJJ/T 85 class: 综合公园,
社区公园, 专类公园, 游园; else the kind's name), ``name``, ``address`` (district and nearest
named road, when the districts are given), ``size`` (m² for areas, m for roads), ``score``,
``quality`` and its geometry in the working CRS. The score is the site's green cover share
(%): the canopy raster's green pixels inside the site (roads: inside a corridor of
``road_corridor_m`` either side), or the vegetation polygons' area when there is no raster.
The quality a showcase is chosen by is the score, scaled down for sites smaller than
``SHOWCASE_SIZE`` (a 0.3 ha pocket park is green through and through, but it is not what the
experts come to see first). A city that scores its sites otherwise (an expert walk-through, a
quality grade) passes its own ``score`` and ``quality`` columns instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from rasterio import features
from rasterio.windows import Window, from_bounds

from gardencity.errors import DataError
from gardencity.io.crs import require_projected
from gardencity.io.raster import Raster
from gardencity.messages import Catalogue
from gardencity.toolkit import matches_classes, union_area_in_zones
from gardencity.vocabulary import vocabulary

MESSAGES = Catalogue(__package__)

__all__ = [
    "PARK_CLASSES",
    "SHOWCASE_SIZE",
    "SITE_KIND_NAMES",
    "candidate_sites",
    "exclude_sites_with_open_cases",
    "green_share",
]

#: the kinds of candidate site, (中文, English), from the vocabulary
SITE_KIND_NAMES = {
    kind: vocabulary().pair("site_kinds", kind) for kind in ("park", "road", "compound", "unit")
}
PARK_CLASSES = {
    k: vocabulary().label("green_classes", k, "zh") for k in ("G11", "G12", "G13", "G14")
}
SHOWCASE_SIZE = {"park": 10_000.0, "road": 500.0, "compound": 20_000.0, "unit": 10_000.0}
"""Size (m², roads m) from which a site's quality is its full green share."""
_COLUMNS = [
    "site_id",
    "kind",
    "class_name",
    "name",
    "address",
    "size",
    "score",
    "quality",
    "geometry",
]


def green_share(
    geometries: Sequence[shapely.Geometry] | np.ndarray,
    *,
    canopy: Raster | None = None,
    vegetation: gpd.GeoDataFrame | None = None,
    crs: object = None,
) -> np.ndarray:
    """Green cover share (%) of each polygon: canopy pixels of a green class over valid pixels
    (each polygon read through its own window), else the unioned vegetation area over the
    polygon's area. NaN where nothing can be observed.

    >>> veg = gpd.GeoDataFrame({"veg_type": ["tree"]}, geometry=[shapely.box(0, 0, 5, 10)],
    ...     crs=4547)
    >>> green_share([shapely.box(0, 0, 10, 10)], vegetation=veg, crs=4547).tolist()
    [50.0]
    """
    geoms = np.asarray(geometries, dtype=object)
    if canopy is not None:
        return np.array([_raster_share(g, canopy) for g in geoms], dtype=float)
    if vegetation is not None:
        zones = gpd.GeoDataFrame(geometry=list(geoms), crs=crs)
        areas = shapely.area(geoms)
        covered = union_area_in_zones(vegetation, zones).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(areas > 0, 100.0 * covered / areas, np.nan)
    return np.full(len(geoms), np.nan)


def _raster_share(geom: shapely.Geometry, canopy: Raster) -> float:
    classes = canopy.classes or {"tree": 1, "shrub": 2, "grass": 3}
    green_values = [classes[k] for k in ("tree", "shrub", "grass") if k in classes]
    height, width = canopy.shape
    window = from_bounds(*geom.bounds, transform=canopy.transform)
    row0 = max(int(np.floor(window.row_off)), 0)
    col0 = max(int(np.floor(window.col_off)), 0)
    row1 = min(int(np.ceil(window.row_off + window.height)), height)
    col1 = min(int(np.ceil(window.col_off + window.width)), width)
    if row1 <= row0 or col1 <= col0:
        return float("nan")
    block = canopy.read(row0, row1, col0, col1)  # the window only, not the whole raster
    transform = canopy.transform @ Affine.translation(col0, row0)
    win = Window(col0, row0, col1 - col0, row1 - row0)
    inside = features.geometry_mask(
        [geom], out_shape=(int(win.height), int(win.width)), transform=transform, invert=True
    )
    if canopy.nodata is not None:
        inside &= block != canopy.nodata
    valid = int(inside.sum())
    if valid == 0:
        return float("nan")
    return 100.0 * float(np.isin(block[inside], green_values).sum()) / valid


def candidate_sites(
    *,
    green_spaces: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    land_use: gpd.GeoDataFrame | None = None,
    canopy: Raster | None = None,
    vegetation: gpd.GeoDataFrame | None = None,
    park_classes: Sequence[str] = ("G1",),
    unit_categories: Sequence[str] = ("public",),
    road_corridor_m: float = 10.0,
    districts: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Every candidate site with its score (see the module docstring).

    Parks: green spaces whose class starts with one of ``park_classes``. Roads: road pieces
    dissolved by name (unnamed pieces are left out: a route table names its roads). Compounds:
    ``residential`` land-use parcels. Units: parcels of ``unit_categories``.
    """
    crs = None
    for layer, name in ((green_spaces, "green_spaces"), (roads, "roads"), (land_use, "land_use")):
        if layer is not None:
            require_projected(layer, name)
            crs = crs or layer.crs
    if crs is None:
        raise DataError(MESSAGES.message("no_site_layers"))
    parts = [
        *_park_sites(green_spaces, park_classes, crs),
        *_road_sites(roads, crs),
        *_parcel_sites(land_use, unit_categories, crs),
    ]
    sites = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=crs) if parts else None
    if sites is None or sites.empty:
        return gpd.GeoDataFrame(columns=_COLUMNS, geometry="geometry", crs=crs)
    areas = sites.geometry.to_numpy().copy()
    is_line = (sites["kind"] == "road").to_numpy()
    areas[is_line] = shapely.buffer(areas[is_line], road_corridor_m, cap_style="flat")
    sites["score"] = green_share(areas, canopy=canopy, vegetation=vegetation, crs=crs).round(2)
    full = sites["kind"].map(SHOWCASE_SIZE).fillna(1.0).to_numpy(float)
    scale = np.sqrt(np.clip(sites["size"].to_numpy(float) / full, 0.0, 1.0))
    sites["quality"] = (sites["score"] * scale).round(2)
    sites["address"] = _addresses(sites, roads, districts)
    return sites[_COLUMNS]


def _park_sites(
    green_spaces: gpd.GeoDataFrame | None, park_classes: Sequence[str], crs: object
) -> list[gpd.GeoDataFrame]:
    if green_spaces is None or green_spaces.empty:
        return []
    parks = green_spaces[matches_classes(green_spaces["green_class"], list(park_classes))]
    names = parks["name"].fillna("").astype(str)
    classes = parks["green_class"].astype(str).str[:3].map(PARK_CLASSES).fillna("公园")
    return [
        gpd.GeoDataFrame(
            {
                "site_id": [f"park:{i}" for i in parks.index],
                "kind": "park",
                "class_name": classes.to_numpy(),
                "name": names.where(names != "", "未命名公园").to_numpy(),
                "size": parks.geometry.area.to_numpy(),
            },
            geometry=parks.geometry.to_numpy(),
            crs=crs,
        )
    ]


def _road_sites(roads: gpd.GeoDataFrame | None, crs: object) -> list[gpd.GeoDataFrame]:
    """Road pieces dissolved by name (a route table names its roads: unnamed ones are left out)."""
    if roads is None or roads.empty:
        return []
    named = roads[roads["name"].fillna("").astype(str).str.strip() != ""]
    if named.empty:
        return []
    dissolved = named[["name", "geometry"]].dissolve(by="name").reset_index()
    return [
        gpd.GeoDataFrame(
            {
                "site_id": [f"road:{n}" for n in dissolved["name"]],
                "kind": "road",
                "class_name": "林荫路",
                "name": dissolved["name"].astype(str).to_numpy(),
                "size": dissolved.geometry.length.to_numpy(),
            },
            geometry=dissolved.geometry.to_numpy(),
            crs=crs,
        )
    ]


def _parcel_sites(
    land_use: gpd.GeoDataFrame | None, unit_categories: Sequence[str], crs: object
) -> list[gpd.GeoDataFrame]:
    """Residential compounds and the parcels of units."""
    if land_use is None or land_use.empty:
        return []
    parts = []
    for kind, categories in (("compound", ["residential"]), ("unit", list(unit_categories))):
        parcels = land_use[land_use["category"].isin(categories)]
        ids = (
            parcels["parcel_id"].astype(str)
            if "parcel_id" in parcels
            else pd.Series(parcels.index.astype(str), index=parcels.index)
        )
        label = SITE_KIND_NAMES[kind][0]
        parts.append(
            gpd.GeoDataFrame(
                {
                    "site_id": [f"{kind}:{i}" for i in ids],
                    "kind": kind,
                    "class_name": "园林式居住区" if kind == "compound" else "园林式单位",
                    "name": [
                        f"{label}{i}（{c}）" for i, c in zip(ids, parcels["code"], strict=True)
                    ],
                    "size": parcels.geometry.area.to_numpy(),
                },
                geometry=parcels.geometry.to_numpy(),
                crs=crs,
            )
        )
    return parts


def _addresses(
    sites: gpd.GeoDataFrame, roads: gpd.GeoDataFrame | None, districts: gpd.GeoDataFrame | None
) -> list[str]:
    """ "<district><nearest named road>旁" for each site ("" where nothing is known)."""
    points = sites.geometry.representative_point()
    district = pd.Series("", index=sites.index, dtype=object)
    if districts is not None and not districts.empty and "name" in districts:
        zones = districts.to_crs(sites.crs)
        tree = shapely.STRtree(zones.geometry.to_numpy())
        site_i, zone_i = tree.query(points.to_numpy(), predicate="within")
        names = zones["name"].astype(str).to_numpy()
        district.iloc[site_i] = names[zone_i]
    road = pd.Series("", index=sites.index, dtype=object)
    if roads is not None and not roads.empty:
        named = roads[roads["name"].fillna("").astype(str).str.strip() != ""]
        if not named.empty:
            tree = shapely.STRtree(named.geometry.to_numpy())
            site_i, road_i = tree.query_nearest(
                points.to_numpy(), max_distance=300.0, all_matches=False
            )
            road.iloc[site_i] = named["name"].astype(str).to_numpy()[road_i]
    is_road = (sites["kind"] == "road").to_numpy()
    return [
        d if r else (f"{d}{n}旁" if n else d)
        for d, n, r in zip(district, road, is_road, strict=True)
    ]


def exclude_sites_with_open_cases(
    sites: gpd.GeoDataFrame,
    open_cases: gpd.GeoDataFrame,
    *,
    distance_m: float = 50.0,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Split ``sites`` into (clear, blocked): a site is blocked when an open case names it
    (``site_ref`` equals its ``site_id``) or lies within ``distance_m`` of it.

    ``open_cases`` has ``site_ref`` and a geometry (any CRS; reprojected to the sites').
    The blocked frame has a ``blocking_cases`` column with the case references.
    """
    if open_cases.empty:
        return sites, sites.iloc[0:0].assign(blocking_cases=pd.Series(dtype=object))
    cases = open_cases.to_crs(sites.crs)
    refs = cases.get("reference", pd.Series(cases.index.astype(str), index=cases.index))
    blocking: dict[int, list[str]] = {}
    by_ref = cases["site_ref"].fillna("").astype(str) if "site_ref" in cases else None
    if by_ref is not None:
        positions = {sid: pos for pos, sid in enumerate(sites["site_id"].astype(str))}
        for ref, case_ref in zip(by_ref, refs, strict=True):
            if ref in positions:
                blocking.setdefault(positions[ref], []).append(str(case_ref))
    tree = shapely.STRtree(sites.geometry.to_numpy())
    case_i, site_i = tree.query(cases.geometry.to_numpy(), predicate="dwithin", distance=distance_m)
    for c, s in zip(case_i, site_i, strict=True):
        refs_here = blocking.setdefault(int(s), [])
        if str(refs.iloc[c]) not in refs_here:
            refs_here.append(str(refs.iloc[c]))
    mask = np.zeros(len(sites), dtype=bool)
    mask[list(blocking)] = True
    blocked = sites[mask].copy()
    blocked["blocking_cases"] = [blocking[int(i)] for i in np.flatnonzero(mask)]
    return sites[~mask], blocked
