import pandas as pd

from gardencity.io.classes import (
    land_use_category,
    normalise_green_class,
    road_grade,
    unknown_land_use_codes,
)


def test_gb50137_prefix_matching_finds_parent_class() -> None:
    codes = pd.Series(["R21", "R2", "G1", "X9"])
    assert land_use_category(codes, "gb50137").tolist() == [
        "residential",
        "residential",
        "park",
        None,
    ]


def test_yongdi_yonghai_categories() -> None:
    codes = pd.Series(["070101", "1401"])
    assert land_use_category(codes, "yongdi_yonghai").tolist() == ["residential", "park"]


def test_unknown_codes_are_counted() -> None:
    assert unknown_land_use_codes(pd.Series(["R21", "Q9", "Q9"]), "gb50137") == {"Q9": 2}


def test_2002_green_classes_are_translated() -> None:
    codes = pd.Series(["G132", "G15", "G5", "G4", "G3"])
    assert normalise_green_class(codes, "cjjt85_2002").tolist() == ["G131", "G14", "EG", "XG", "G2"]


def test_road_grade_aliases() -> None:
    values = pd.Series(["主干道", "快速路", "支路", "secondary"])
    assert road_grade(values).tolist() == ["arterial", "expressway", "branch", "secondary"]
