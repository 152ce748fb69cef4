"""Management items: evidence-backed yes/no."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from gardencity.indicators.registry import Family
from gardencity.io.management import ManagementEvidence
from gardencity.toolkit import value_result

__all__ = ["FAMILY", "management_item"]


def management_item(
    zones: gpd.GeoDataFrame, management: Mapping[str, ManagementEvidence], *, item_id: str
) -> pd.Series:
    """A management item as 1 (yes, backed by evidence) or 0 (no), for the city only.

    Yes requires the city's status to be true, at least one evidence document listed, and
    every listed document present in the workspace. Undeclared items give NaN (not assessed).
    Clause: 2016 standard management items (S12); 2022 wording unverified.

    Examples
    --------
    >>> import shapely
    >>> zones = gpd.GeoDataFrame(index=["built_up_area", "d1"],
    ...     geometry=[shapely.box(0, 0, 1, 1)] * 2, crs=4547)
    >>> item = ManagementEvidence("plan", True, ("docs/plan.pdf",), ())
    >>> management_item(zones, {"plan": item}, item_id="plan").tolist()
    [1.0, nan]
    """
    values = pd.Series(np.nan, index=zones.index)
    item = management.get(item_id)
    reason = "not declared in city.toml [management]"
    if item is not None:
        ok = item.status and bool(item.evidence) and not item.missing
        values.iloc[0] = 1.0 if ok else 0.0
        if not item.status:
            reason = "the city states it is not in place"
        elif not item.evidence:
            reason = "no evidence document listed"
        elif item.missing:
            reason = "evidence missing: " + ", ".join(item.missing)
        else:
            reason = "evidence present"
    return value_result(
        values,
        name="management_item",
        unit="bool",
        reason=reason,
        evidence=list(item.evidence) if item else [],
    )


FAMILY = Family(name="management", measures=(management_item,))
