"""The emulator's period rules against CONTRACT.md §1.7 / §2.2 (expected values written out by hand)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.dhis2_emulator import periods


@pytest.mark.parametrize(
    ("adx", "iso"),
    [
        ("2023-01-05/P1D", "20230105"),
        ("2023-01-02/P7D", "2023W1"),
        (
            "2023-01-01/P7D",
            "2023SunW1",
        ),  # a Sunday: WeeklySunday; the week Jan 1-7 holds Jan 4, so week 1
        ("2023-01-04/P7D", "2023WedW1"),
        ("2023-01-02/P14D", "2023BiW1"),
        ("2023-01-01/P1M", "202301"),
        ("2023-01-15/P1M", "202301"),
        ("2023-01-01/P2M", "202301B"),
        ("2023-03-01/P2M", "202302B"),
        ("2023-01-01/P3M", "2023Q1"),
        ("2023-10-01/P3M", "2023Q4"),
        ("2023-07-01/P6M", "2023S2"),
        ("2023-04-01/P6M", "2023AprilS1"),
        ("2023-10-01/P6M", "2023AprilS2"),
        ("2023-11-01/P6M", "2024NovS1"),
        ("2023-05-01/P6M", "2023NovS2"),
        ("2023-01-01/P1Y", "2023"),
        ("2023-04-01/P1Y", "2023April"),
        ("2023-07-01/P1Y", "2023July"),
        ("2023-10-01/P1Y", "2023Oct"),
        ("2023-11-01/P1Y", "2024Nov"),
    ],
)
def test_adx_to_dhis2_period(adx, iso):
    assert periods.parse_adx(adx).iso == iso


@pytest.mark.parametrize(
    ("iso", "start", "end_exclusive"),
    [
        ("20230105", "2023-01-05", "2023-01-06"),
        ("2023-01-05", "2023-01-05", "2023-01-06"),
        ("2023W1", "2023-01-02", "2023-01-09"),
        ("2020W53", "2020-12-28", "2021-01-04"),
        ("2023BiW1", "2023-01-02", "2023-01-16"),
        ("202302", "2023-02-01", "2023-03-01"),
        ("2023-02", "2023-02-01", "2023-03-01"),
        ("202306B", "2023-11-01", "2024-01-01"),
        ("2023Q2", "2023-04-01", "2023-07-01"),
        ("2023NovQ1", "2022-11-01", "2023-02-01"),
        ("2023S1", "2023-01-01", "2023-07-01"),
        ("2023AprilS2", "2023-10-01", "2024-04-01"),
        ("2023NovS1", "2022-11-01", "2023-05-01"),
        ("2023", "2023-01-01", "2024-01-01"),
        ("2023July", "2023-07-01", "2024-07-01"),
        ("2024Nov", "2023-11-01", "2024-11-01"),
    ],
)
def test_iso_periods(iso, start, end_exclusive):
    period = periods.parse_iso(iso)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end_exclusive)


@pytest.mark.parametrize(
    "iso", ["202313", "2023Q5", "2023W54", "2023W0", "20230230", "2023S3", "2023M1", "", "abc"]
)
def test_invalid_iso_periods(iso):
    assert periods.parse_iso(iso) is None


def test_export_form_and_future_periods():
    assert periods.parse_iso("2023Q3").adx() == "2023-07-01/P3M"
    assert periods.parse_iso("2023W1").adx() == "2023-01-02/P7D"
    today = dt.date(2024, 5, 17)
    # getFuturePeriod(n) = previous period + n: 0 → last finished month, 1 → the running month.
    assert periods.latest_open_future_period("Monthly", 0, today).iso == "202404"
    assert periods.latest_open_future_period("Monthly", 1, today).iso == "202405"
    assert periods.latest_open_future_period("Quarterly", 2, today).iso == "2024Q3"
