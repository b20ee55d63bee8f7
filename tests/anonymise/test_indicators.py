"""Indicators on the real demo data: source vs anonymised copy, without and with a date shift."""

from __future__ import annotations

from .indicators import (
    DAY_COUNTS,
    birth_month_enrolment_periods,
    check_age_split,
    compare,
    expected_patient_moves,
    indicators,
)


def test_indicators_identical_without_shift(demo_source_url, demo_pg_copy):
    url, _, _ = demo_pg_copy
    source = indicators(demo_source_url, "201801", "202012")
    target = indicators(url, "201801", "202012")
    assert source["value"].astype(float).sum() > 0  # the demo data really produces values
    special = compare(source, target, 0)
    moves, _ = expected_patient_moves(demo_source_url, url)
    check_age_split(special, moves, birth_month_enrolment_periods(demo_source_url, 0))


def test_indicators_identical_after_shifting_the_periods(demo_source_url, demo_sqlite_shift5):
    url, report = demo_sqlite_shift5
    assert report.shift_months == 5
    source = indicators(demo_source_url, "201801", "202012")
    target = indicators(url, "201806", "202105")
    # day counts change with month lengths (documented): everything else must be identical
    special = compare(source, target, 5, skip=DAY_COUNTS)
    moves, _ = expected_patient_moves(demo_source_url, url)
    check_age_split(special, moves, birth_month_enrolment_periods(demo_source_url, 5))


def test_a_48_month_shift_keeps_even_day_counts(demo_source_url, demo_sqlite_shift48):
    url, _ = demo_sqlite_shift48
    source = indicators(demo_source_url, "201801", "202012")
    target = indicators(url, "202201", "202412")
    special = compare(source, target, 48)
    moves, _ = expected_patient_moves(demo_source_url, url)
    check_age_split(special, moves, birth_month_enrolment_periods(demo_source_url, 48))
