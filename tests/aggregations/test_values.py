"""Value formatting: exact amounts rounded once, half up, at most 2 decimals; no negatives."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from aggregations.build import format_value, round_cents
from aggregations.registry import ELEMENT_BY_CODE

AMOUNT = ELEMENT_BY_CODE["OI_CONTRIBUTIONS_EARNED"]
COUNT = ELEMENT_BY_CODE["OI_CLAIMS"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(1, 3) + Fraction(2, 3), "1"),  # exact: no 0.99 from three rounded thirds
        (Fraction(267500, 100000), "2.68"),  # 2.675: a float would give 2.67
        (Fraction(5, 1000), "0.01"),  # half up
        (Fraction(4999, 1000000), "0"),
        (Decimal("120.50"), "120.5"),
        (Fraction(3684600, 36600), "100.67"),  # 150 x 17/366 + ... style division, rounded once
        (0, "0"),
    ],
)
def test_amounts(value, text):
    assert format_value(value, AMOUNT, "t") == text


def test_round_cents_is_half_up_exact():
    assert round_cents(Fraction(1, 200)) == Decimal("0.01")
    assert round_cents(Fraction(-1, 200)) == Decimal("-0.01")
    assert round_cents(Fraction(10**20 + 1, 3)) == Decimal("33333333333333333333.67")


def test_counts_and_negatives():
    assert format_value(12, COUNT, "t") == "12"
    with pytest.raises(ValueError, match="OI_CLAIMS = -1 is negative"):
        format_value(-1, COUNT, "OI_CLAIMS 202401 HF1")
    with pytest.raises(ValueError, match="negative"):
        format_value(Fraction(-1, 3), AMOUNT, "x")
