"""Class tables (as data in ``io/data``): land-use codes, green-space classes, road grades.

>>> import pandas as pd
>>> land_use_category(pd.Series(["R21", "0701", "G1"]), "gb50137").tolist()
['residential', None, 'park']
>>> normalise_green_class(pd.Series(["G15", "G3"]), "cjjt85_2002").tolist()
['G14', 'G2']
>>> road_grade(pd.Series(["次干路", "支路", "motorway"])).tolist()
['secondary', 'branch', 'expressway']
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from gardencity.errors import UnknownClassCodeError
from gardencity.messages import Catalogue, load_yaml
from gardencity.vocabulary import vocabulary

MESSAGES = Catalogue(__package__)

__all__ = [
    "GREEN_SPACE_SCHEMES",
    "LAND_USE_SCHEMES",
    "green_class_in_construction_land",
    "green_class_name",
    "known_green_classes",
    "land_use_category",
    "normalise_green_class",
    "road_grade",
    "road_grade_label",
    "unknown_green_classes",
    "unknown_land_use_codes",
    "unknown_road_grades",
]

LAND_USE_SCHEMES = ("gb50137", "yongdi_yonghai", "sandiao")
GREEN_SPACE_SCHEMES = ("cjjt85_2017", "cjjt85_2002")


@cache
def _table(name: str) -> dict[str, Any]:
    text = resources.files("gardencity.io.data").joinpath(f"{name}.yaml").read_text("utf-8")
    data: dict[str, Any] = load_yaml(text)
    return data


def _clean(code: object) -> str:
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return ""
    return str(code).strip().upper()


def _clean_all(codes: pd.Series) -> pd.Series:
    """:func:`_clean` of every code, computed once per distinct value."""
    positions, distinct = pd.factorize(codes, use_na_sentinel=True)
    cleaned = np.array([_clean(v) for v in distinct] + [""], dtype=object)
    return pd.Series(cleaned[positions], index=codes.index, dtype=object)


def _scheme_codes(scheme: str) -> dict[str, dict[str, str]]:
    schemes = _table("land_use_classes")["schemes"]
    if scheme not in schemes:
        raise UnknownClassCodeError(
            MESSAGES.message("unknown_land_use_scheme", scheme=scheme, known=list(schemes))
        )
    codes: dict[str, dict[str, str]] = {str(k): v for k, v in schemes[scheme]["codes"].items()}
    return codes


def _longest_prefix(code: str, table: dict[str, Any]) -> str | None:
    for end in range(len(code), 0, -1):
        if code[:end] in table:
            return code[:end]
    return None


def land_use_category(codes: pd.Series, scheme: str) -> pd.Series:
    """Category of each land-use code (None where the code is unknown)."""
    table = _scheme_codes(scheme)
    positions, distinct = pd.factorize(_clean_all(codes))
    categories = np.array(
        [table[p]["category"] if (p := _longest_prefix(c, table)) else None for c in distinct]
        + [None],
        dtype=object,
    )
    return pd.Series(categories[positions], index=codes.index, dtype=object)


def unknown_land_use_codes(codes: pd.Series, scheme: str) -> dict[str, int]:
    """Codes with no entry in the table, with how many parcels carry each."""
    categories = land_use_category(codes, scheme)
    unknown = _clean_all(codes)[categories.isna()]
    return {str(k): int(v) for k, v in unknown.value_counts().sort_index().items()}


def normalise_green_class(codes: pd.Series, scheme: str) -> pd.Series:
    """CJJ/T 85-2017 code of each green space; 2002 codes are translated by the crosswalk."""
    if scheme not in GREEN_SPACE_SCHEMES:
        raise UnknownClassCodeError(
            MESSAGES.message(
                "unknown_green_space_scheme", scheme=scheme, known=list(GREEN_SPACE_SCHEMES)
            )
        )
    cleaned = _clean_all(codes)
    if scheme == "cjjt85_2002":
        crosswalk = _table("green_space_classes")["crosswalk_2002_to_2017"]
        cleaned = cleaned.map(lambda c: crosswalk.get(c, c))
    return cleaned.astype(object)


def unknown_green_classes(codes: pd.Series) -> dict[str, int]:
    """2017 codes that are not in CJJ/T 85-2017, with counts."""
    known = _table("green_space_classes")["classes"]
    cleaned = _clean_all(codes)
    unknown = cleaned[~cleaned.isin(list(known))]
    return {str(k): int(v) for k, v in unknown.value_counts().sort_index().items()}


def green_class_name(code: str) -> str | None:
    """Chinese name of a CJJ/T 85-2017 class: ``green_class_name("G11") == "综合公园"``."""
    entry = _table("green_space_classes")["classes"].get(str(code).strip().upper())
    return None if entry is None else str(entry["name_zh"])


def known_green_classes(codes: pd.Series) -> pd.Series:
    """True where a (2017) code is a class of CJJ/T 85-2017.

    >>> known_green_classes(pd.Series(["G11", "g2", "X9", None])).tolist()
    [True, True, False, False]
    """
    known = _table("green_space_classes")["classes"]
    return _clean_all(codes).isin(list(known))


def green_class_in_construction_land(codes: pd.Series) -> pd.Series:
    """Default ``in_construction_land`` of each 2017 class (区域绿地 EG* lie outside)."""
    known = _table("green_space_classes")["classes"]
    cleaned = _clean_all(codes)
    inside = {c: bool(known.get(c, {}).get("in_construction_land", True)) for c in cleaned.unique()}
    return cleaned.map(inside).astype(bool)


@cache
def _grade_aliases() -> dict[str, str]:
    grades = _table("road_grades")["grades"]
    return {str(alias).strip().lower(): grade for grade, names in grades.items() for alias in names}


def road_grade(values: pd.Series) -> pd.Series:
    """Canonical grade (expressway/arterial/secondary/branch/other) or None if unknown."""
    aliases = _grade_aliases()
    return values.map(lambda v: aliases.get(str(v).strip().lower()) if pd.notna(v) else None)


def road_grade_label(grade: str, lang: str) -> str:
    """Display name of a canonical grade: ``road_grade_label("branch", "zh") == "支路"``."""
    return vocabulary().label("road_grades", grade, lang)


def unknown_road_grades(values: pd.Series) -> dict[str, int]:
    grades = road_grade(values)
    unknown = values[grades.isna()].astype(str)
    return {str(k): int(v) for k, v in unknown.value_counts().sort_index().items()}
