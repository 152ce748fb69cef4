"""Plant measures: 本地木本植物指数."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from gardencity.indicators.registry import Family
from gardencity.io.threads import prepared_copies
from gardencity.toolkit import ratio_result, require_columns, require_same_crs

__all__ = ["FAMILY", "native_woody_plant_index"]


def native_woody_plant_index(zones: gpd.GeoDataFrame, trees: gpd.GeoDataFrame) -> pd.Series:
    """本地木本植物指数: native woody species ÷ all woody species found in each zone.

    Formula: ``|{species : woody, native}| / |{species : woody}|`` over the tree inventory
    points inside the zone (distinct species, not individuals). Trees with no species are
    ignored; ``is_woody`` missing counts as woody. Clause: GB/T 50563-2010 本地木本植物指数
    (older EGC 本地植物指数, S21).

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame({"population": [1.0]}, index=["built_up_area"],
    ...     geometry=[shapely.box(0, 0, 100, 100)], crs=4547)
    >>> trees = gpd.GeoDataFrame({"species": ["国槐", "国槐", "悬铃木", "银杏"],
    ...     "is_native": [True, True, False, True], "is_woody": [True, True, True, None]},
    ...     geometry=shapely.points([(1, 1), (2, 2), (3, 3), (4, 4)]), crs=4547)
    >>> round(float(native_woody_plant_index(zones, trees).iloc[0]), 4)
    0.6667
    """
    require_same_crs(zones=zones, trees=trees)
    require_columns(trees, ["species", "is_native"], "trees")
    woody = trees[
        trees.get("is_woody", pd.Series(True, index=trees.index)).fillna(True).astype(bool)
        & trees["species"].notna()
        & (trees["species"] != "")
    ]
    points = woody.geometry.to_numpy()
    native_n, total_n = [], []
    for zone in prepared_copies(zones.geometry.to_numpy()):
        inside = woody[shapely.contains(zone, points)] if len(points) else woody
        species = inside.groupby("species")["is_native"].agg(
            lambda s: bool(s.fillna(False).astype(bool).any())
        )
        native_n.append(float(species.sum()))
        total_n.append(float(len(species)))
    return ratio_result(
        pd.Series(native_n, index=zones.index),
        pd.Series(total_n, index=zones.index),
        name="native_woody_plant_index",
        scale=1.0,
        numerator_unit="species",
        denominator_unit="species",
    )


FAMILY = Family(name="biodiversity", measures=(native_woody_plant_index,))
