import math

import pytest

from gardencity.assessment.gaps import gap_amount, gap_text
from gardencity.assessment.thresholds import decide_status
from gardencity.standards.schema import Threshold


def _t(op: str, value: float | None, confidence: str) -> Threshold:
    return Threshold(op=op, value=value, confidence=confidence, source="S", clause="c")


@pytest.mark.parametrize(
    ("value", "threshold", "expected"),
    [
        (80.5, _t(">", 80, "confirmed"), "pass"),
        (80.0, _t(">", 80, "confirmed"), "fail"),
        (80.0, _t(">=", 80, "confirmed"), "pass"),
        (44.0, _t(">=", 43, "secondary"), "pass_unverified"),
        (40.0, _t(">=", 43, "secondary"), "fail_unverified"),
        (2.4, _t("<=", 2.5, "unverified"), "pass_unverified"),
        (2.6, _t("<", 2.5, "confirmed"), "fail"),
        (12.0, _t(">=", None, "unverified"), "no_threshold"),
        (12.0, None, "no_threshold"),
        (math.nan, _t(">=", 43, "confirmed"), "not_assessed"),
        (None, _t(">=", 43, "confirmed"), "not_assessed"),
    ],
)
def test_status_never_shows_an_unverified_pass_as_plain(value, threshold, expected) -> None:  # type: ignore[no-untyped-def]
    assert decide_status(value, threshold) == expected


def test_gap_worked_examples() -> None:
    # park per capita: threshold 14.8 m²/person, 97,000 persons, 1,229,313 m² of park
    need = gap_amount(
        "add_numerator", threshold=14.8, scale=1.0, numerator=1_229_313.0, denominator=97_000.0
    )
    assert need == pytest.approx(14.8 * 97_000 - 1_229_313)
    # coverage: 90 % of 400 ha residential with 352 ha covered -> 8 ha more to cover
    assert gap_amount(
        "add_numerator", threshold=90, scale=100, numerator=3_520_000, denominator=4_000_000
    ) == pytest.approx(80_000)
    # parks per 10k: 0.07 per 10k with 630,000 persons and 3 parks -> 1.41 parks
    assert gap_amount(
        "add_numerator", threshold=0.07, scale=10_000, numerator=3, denominator=630_000
    ) == pytest.approx(1.41)
    # native index 0.9: 36 native of 45 species -> (0.9*45-36)/0.1 = 45 species
    assert gap_amount("add_both", threshold=0.9, scale=1, numerator=36, denominator=45) == 45
    assert gap_amount("reduce_value", threshold=2.5, scale=1, value=3.2) == pytest.approx(0.7)
    assert (
        gap_amount("add_numerator", threshold=90, scale=100, numerator=95, denominator=100) == 0.0
    )
    text = gap_text(12.34, "ha", "公园绿地", "park green space", "add_numerator")
    assert text["text_zh"] == "需新增公园绿地约 12.3 公顷"
    assert text["text_en"] == "Add about 12.3 ha of park green space"
