"""Input checks shared by every measure: collect problems, raise one clear error.

``require_projected`` and ``require_same_crs`` come from :mod:`gardencity.io.crs`.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd

from gardencity.errors import MissingColumnError
from gardencity.io.crs import require_projected, require_same_crs

__all__ = ["require_columns", "require_projected", "require_same_crs"]


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
    gardencity.errors.MissingColumnError: "Layer 'trees' lacks the field(s) ['b', 'c']. ...
    """
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise MissingColumnError(
            f"Layer '{name}' lacks the field(s) {missing}. Fix: add them (see docs/workspace.md "
            f"for the schema) or map your field names in city.toml [fields.{name}]."
        )
