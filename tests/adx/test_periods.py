"""Periods against CONTRACT.md §1.7, §2.2, §2.3 and independent calendar oracles."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from adx.periods import (
    PeriodError,
    adx_to_id,
    from_adx,
    month_range,
    parse_period,
    period_containing,
    shift,
    to_adx,
)

# CONTRACT.md §1.7 table: ADX -> DHIS2 ISO.
CONTRACT_ADX = [
    ("2023-01-05/P1D", "20230105"),
    ("2023-01-02/P7D", "2023W1"),
    ("2023-01-02/P14D", "2023BiW1"),
    ("2023-01-01/P1M", "202301"),
    ("2023-01-01/P2M", "202301B"),
    ("2023-01-01/P3M", "2023Q1"),
    ("2023-07-01/P6M", "2023S2"),
    ("2023-04-01/P6M", "2023AprilS1"),
    ("2023-11-01/P6M", "2024NovS1"),
    ("2023-05-01/P6M", "2023NovS2"),
    ("2023-01-01/P1Y", "2023"),
    ("2023-04-01/P1Y", "2023April"),
    ("2023-07-01/P1Y", "2023July"),
    ("2023-10-01/P1Y", "2023Oct"),
    ("2023-11-01/P1Y", "2024Nov"),
    # §2.3
    ("2023-04-01/P3M", "2023Q2"),
    ("2023-07-01/P3M", "2023Q3"),
    ("2023-10-01/P3M", "2023Q4"),
]


@pytest.mark.parametrize(("adx", "pid"), CONTRACT_ADX)
def test_contract_adx_to_dhis2(adx, pid):
    assert adx_to_id(adx) == pid
    # and back: the id's ADX form is the same text (each example starts its period)
    assert to_adx(pid) == adx


def test_sunday_week_from_contract_table():
    # 2023-01-01 is a Sunday: a yyyySunWn period starting that day.
    p = from_adx("2023-01-01/P7D")
    assert p.period_type == "WeeklySunday"
    assert p.id.startswith("2023SunW")
    assert (p.start, p.end) == (date(2023, 1, 1), date(2023, 1, 8))


def test_start_inside_period_is_snapped_like_dhis2():
    assert adx_to_id("2023-01-15/P1M") == "202301"
    assert adx_to_id("2023-02-20/P3M") == "2023Q1"
    assert adx_to_id("2023-01-04/P7D") == "2023WedW1"  # a Wednesday selects WeeklyWednesday
    assert from_adx("2023-01-04/P7D").period_type == "WeeklyWednesday"


@pytest.mark.parametrize(
    "bad",
    [
        "2023-01-03/P7D",  # Tuesday
        "2023-01-06/P7D",  # Friday
        "2023-02-01/P6M",  # February
        "2023-03-01/P1Y",  # March
        "2023-01-01/P1W",
        "2023-01-01/P12M",
        "2023-01-01/p1m",
        "2023-01-01T00:00:00/P1M",  # datetime start
        "2023-01-01",
        "2023-01-01/P1M/x",
        "2023-02-30/P1M",
        "20230101/P1M",
    ],
)
def test_invalid_adx_periods(bad):
    with pytest.raises(PeriodError):
        from_adx(bad)


# CONTRACT.md §2.2 table: each example with its independent date range.
CONTRACT_IDS = [
    ("20230105", "Daily", date(2023, 1, 5), date(2023, 1, 6)),
    ("2023-01-05", "Daily", date(2023, 1, 5), date(2023, 1, 6)),
    ("2023W1", "Weekly", date(2023, 1, 2), date(2023, 1, 9)),
    ("2023SunW8", "WeeklySunday", date(2023, 2, 19), date(2023, 2, 26)),
    ("2023BiW1", "BiWeekly", date(2023, 1, 2), date(2023, 1, 16)),
    ("202301", "Monthly", date(2023, 1, 1), date(2023, 2, 1)),
    ("2023-01", "Monthly", date(2023, 1, 1), date(2023, 2, 1)),
    ("202301B", "BiMonthly", date(2023, 1, 1), date(2023, 3, 1)),
    ("2023Q1", "Quarterly", date(2023, 1, 1), date(2023, 4, 1)),
    ("2023NovQ1", "QuarterlyNov", date(2022, 11, 1), date(2023, 2, 1)),
    ("2023S1", "SixMonthly", date(2023, 1, 1), date(2023, 7, 1)),
    ("2023AprilS1", "SixMonthlyApril", date(2023, 4, 1), date(2023, 10, 1)),
    ("2023NovS1", "SixMonthlyNov", date(2022, 11, 1), date(2023, 5, 1)),
    ("2023", "Yearly", date(2023, 1, 1), date(2024, 1, 1)),
    ("2023April", "FinancialApril", date(2023, 4, 1), date(2024, 4, 1)),
    ("2023July", "FinancialJuly", date(2023, 7, 1), date(2024, 7, 1)),
    ("2023Oct", "FinancialOct", date(2023, 10, 1), date(2024, 10, 1)),
    ("2023Nov", "FinancialNov", date(2022, 11, 1), date(2023, 11, 1)),
    ("2023WedW1", "WeeklyWednesday", date(2023, 1, 4), date(2023, 1, 11)),
    ("2023ThuW1", "WeeklyThursday", date(2022, 12, 29), date(2023, 1, 5)),
    ("2023SatW1", "WeeklySaturday", date(2022, 12, 31), date(2023, 1, 7)),
    ("202306B", "BiMonthly", date(2023, 11, 1), date(2024, 1, 1)),
    ("2020W53", "Weekly", date(2020, 12, 28), date(2021, 1, 4)),
]


@pytest.mark.parametrize(("pid", "ptype", "start", "end"), CONTRACT_IDS)
def test_parse_period_ids(pid, ptype, start, end):
    p = parse_period(pid)
    assert (p.period_type, p.start, p.end) == (ptype, start, end)
    assert parse_period(p.id) == p  # canonical id parses to itself
    assert p.last_day == end - timedelta(days=1)


@pytest.mark.parametrize(
    "bad",
    [
        "202313",
        "202300",
        "2023Q5",
        "2023S3",
        "202307B",
        "2021W53",
        "2023W0",
        "2023BiW28",
        "20230230",
        "2023X",
        "23",
        "2023Tue W1",
        "2023MonW1",
        "2023AprilS3",
    ],  # fmt: skip
)
def test_invalid_period_ids(bad):
    with pytest.raises(PeriodError):
        parse_period(bad)


def test_iso_weeks_match_python_isocalendar():
    # Independent oracle: Python's ISO calendar, over six years of days.
    d = date(2019, 12, 20)
    while d < date(2026, 1, 10):
        year, week, _ = d.isocalendar()
        p = period_containing("Weekly", d)
        assert p.id == f"{year}W{week}"
        assert p.start == date.fromisocalendar(year, week, 1)
        d += timedelta(days=1)


def _brute_weeks(year: int, start_weekday: int) -> dict[date, tuple[int, int]]:
    """Java WeekFields(startDay, minimalDays=4) by enumeration: week starts of ``year``."""
    # Walk from well before the year, cutting weeks at start_weekday; a week belongs to the year
    # holding at least 4 of its days.
    d = date(year - 1, 12, 1)
    while d.weekday() != start_weekday:
        d += timedelta(days=1)
    out: dict[date, tuple[int, int]] = {}
    counters: dict[int, int] = {}
    while d < date(year + 1, 2, 1):
        days = [d + timedelta(days=i) for i in range(7)]
        owner = max({x.year for x in days}, key=lambda y: sum(x.year == y for x in days))
        counters[owner] = counters.get(owner, 0) + 1
        out[d] = (owner, counters[owner])
        d += timedelta(days=7)
    return out


@pytest.mark.parametrize("ptype,weekday", [("WeeklyWednesday", 2), ("WeeklyThursday", 3),
                                           ("WeeklySaturday", 5), ("WeeklySunday", 6)])  # fmt: skip
def test_other_weekly_types_match_enumeration(ptype, weekday):
    for year in (2021, 2023, 2024, 2026):
        for start, (owner, n) in _brute_weeks(year, weekday).items():
            if owner != year:
                continue
            p = period_containing(ptype, start + timedelta(days=3))
            assert p.start == start
            assert p.id.endswith(f"W{n}") and p.id.startswith(str(owner))
            assert from_adx(f"{start.isoformat()}/P7D") == p


def test_biweekly_pairs_iso_weeks():
    for year in (2023, 2024):
        for n in range(1, 27):
            p = parse_period(f"{year}BiW{n}")
            assert p.start == date.fromisocalendar(year, 2 * n - 1, 1)
            assert (p.end - p.start).days == 14
            assert period_containing("BiWeekly", p.start + timedelta(days=10)) == p


def test_month_based_periods_cover_every_day_once():
    # For every month-based type, the periods containing each day of 2022-2024 tile the days.
    for ptype in ("Monthly", "BiMonthly", "Quarterly", "QuarterlyNov", "SixMonthly",
                  "SixMonthlyApril", "SixMonthlyNov", "Yearly", "FinancialApril",
                  "FinancialJuly", "FinancialOct", "FinancialNov"):  # fmt: skip
        d = date(2022, 1, 1)
        while d < date(2025, 1, 1):
            p = period_containing(ptype, d)
            assert p.start <= d < p.end, (ptype, d, p)
            assert parse_period(p.id) == p
            assert p.start.day == 1
            d += timedelta(days=9)


def test_shift_and_month_range():
    assert shift(parse_period("202312"), 1).id == "202401"
    assert shift(parse_period("2024Q1"), -1).id == "2023Q4"
    assert shift(parse_period("2023W1"), -1).id == "2022W52"
    assert [p.id for p in month_range("202311", "202402")] == [
        "202311",
        "202312",
        "202401",
        "202402",
    ]
    with pytest.raises(PeriodError):
        month_range("202402", "202311")
