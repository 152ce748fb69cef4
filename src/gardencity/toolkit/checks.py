"""Input checks shared by every measure: collect problems, raise one clear error.

``require_projected`` and ``require_same_crs`` come from :mod:`gardencity.io.crs`.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd

from gardencity.errors import MissingColumnError
from gardencity.io.crs import require_projected, require_same_crs
from gardencity.messages import Catalogue

__all__ = ["require_columns", "require_projected", "require_same_crs"]
MESSAGES = Catalogue(__package__)


def require_columns(df: pd.DataFrame | gpd.GeoDataFrame, columns: Iterable[str], name: str) -> None:
    """Raise one :class:`~gardencity.errors.MissingColumnError` listing every missing column.

    Parameters
    ----------
    df
        The layer.
    columns
        The columns it needs.
    name
        The layer's name, for the message.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b", "c"], "trees")
    Traceback (most recent call last):
    ...
    gardencity.errors.MissingColumnError: 图层“trees”缺少字段：b、c。...
    """
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise MissingColumnError(MESSAGES.message("missing_fields", layer=name, fields=missing))
