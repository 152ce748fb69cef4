"""Class matching shared by the measures."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["matches_classes"]


def matches_classes(codes: pd.Series, prefixes: Iterable[str]) -> pd.Series:
    """True where a code starts with one of ``prefixes`` ("G1" matches G11, G131 …).

    >>> matches_classes(pd.Series(["G11", "G2", "XG"]), ["G1", "XG"]).tolist()
    [True, False, True]
    """
    wanted = tuple(str(p).upper() for p in prefixes)
    positions, distinct = pd.factorize(codes, use_na_sentinel=True)
    hits = np.array([str(c).upper().startswith(wanted) for c in distinct] + [False], dtype=bool)
    return pd.Series(hits[positions], index=codes.index)
