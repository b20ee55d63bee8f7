"""DHIS2 periods: ISO ids (CONTRACT.md §2.2), ADX ``start/duration`` (§1.7), future-period arithmetic.

Independent of the project's ``adx.periods`` on purpose: the emulator is an oracle of DHIS2 behaviour.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

WEEK_STARTS = {
    "Weekly": 0,
    "WeeklyWednesday": 2,
    "WeeklyThursday": 3,
    "WeeklySaturday": 5,
    "WeeklySunday": 6,
}
WEEK_PREFIX = {"Weekly": "W", "WeeklyWednesday": "WedW", "WeeklyThursday": "ThuW",
               "WeeklySaturday": "SatW", "WeeklySunday": "SunW"}  # fmt: skip
# ISO 8601 duration of each period type, used when writing ADX (``getIso8601Duration``).
DURATIONS = {
    "Daily": "P1D", "Weekly": "P7D", "WeeklyWednesday": "P7D", "WeeklyThursday": "P7D",
    "WeeklySaturday": "P7D", "WeeklySunday": "P7D", "BiWeekly": "P14D", "Monthly": "P1M",
    "BiMonthly": "P2M", "Quarterly": "P3M", "QuarterlyNov": "P3M", "SixMonthly": "P6M",
    "SixMonthlyApril": "P6M", "SixMonthlyNov": "P6M", "Yearly": "P1Y", "FinancialApril": "P1Y",
    "FinancialJuly": "P1Y", "FinancialOct": "P1Y", "FinancialNov": "P1Y",
}  # fmt: skip
PERIOD_TYPES = tuple(DURATIONS)
# Month-based types: (months per period, first month of the type's year, ISO-year offset).
_MONTHLY = {
    "Monthly": 1, "BiMonthly": 2, "Quarterly": 3, "QuarterlyNov": 3, "SixMonthly": 6,
    "SixMonthlyApril": 6, "SixMonthlyNov": 6, "Yearly": 12, "FinancialApril": 12,
    "FinancialJuly": 12, "FinancialOct": 12, "FinancialNov": 12,
}  # fmt: skip
_ANCHOR_MONTH = {"QuarterlyNov": 11, "SixMonthlyApril": 4, "SixMonthlyNov": 11,
                 "FinancialApril": 4, "FinancialJuly": 7, "FinancialOct": 10, "FinancialNov": 11}  # fmt: skip


@dataclass(frozen=True, order=True)
class Period:
    """A DHIS2 period: ``start`` inclusive, ``end`` exclusive, ``iso`` its DHIS2 id."""

    start: dt.date
    end: dt.date
    period_type: str
    iso: str

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def adx(self) -> str:
        """ADX form written by DHIS2's export: ``yyyy-MM-dd/<duration>``."""
        return f"{self.start.isoformat()}/{DURATIONS[self.period_type]}"


def _add_months(d: dt.date, months: int) -> dt.date:
    total = d.year * 12 + d.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def _first_week_start(year: int, weekday: int) -> dt.date:
    """Start of week 1: the week (starting on ``weekday``) whose 4th day is the first in ``year``."""
    d = dt.date(year - 1, 12, 29)
    while d.weekday() != weekday:
        d += dt.timedelta(days=1)
    return d


def _weekly(ptype: str, start: dt.date) -> Period:
    year = (start + dt.timedelta(days=3)).year
    week = (start - _first_week_start(year, WEEK_STARTS[ptype])).days // 7 + 1
    return Period(start, start + dt.timedelta(days=7), ptype, f"{year}{WEEK_PREFIX[ptype]}{week}")


def _month_based(ptype: str, start: dt.date) -> Period:
    months = _MONTHLY[ptype]
    end = _add_months(start, months)
    y, m = start.year, start.month
    if ptype == "Monthly":
        iso = f"{y}{m:02d}"
    elif ptype == "BiMonthly":
        iso = f"{y}{(m + 1) // 2:02d}B"
    elif ptype == "Quarterly":
        iso = f"{y}Q{(m + 2) // 3}"
    elif ptype == "QuarterlyNov":  # NovQ1 = Nov (y-1) .. Jan y
        idx = ((m - 11) % 12) // 3 + 1
        iso = f"{y + 1 if m >= 11 else y}NovQ{idx}"
    elif ptype == "SixMonthly":
        iso = f"{y}S{1 if m == 1 else 2}"
    elif ptype == "SixMonthlyApril":  # AprilS1 = Apr..Sep y, AprilS2 = Oct y .. Mar y+1
        iso = f"{y}AprilS{1 if m == 4 else 2}"
    elif ptype == "SixMonthlyNov":  # NovS1 = Nov (y-1) .. Apr y, NovS2 = May..Oct y (year it ends)
        iso = f"{y + 1}NovS1" if m == 11 else f"{y}NovS2"
    elif ptype == "Yearly":
        iso = str(y)
    elif ptype == "FinancialNov":  # ISO year = start year + 1
        iso = f"{y + 1}Nov"
    else:
        iso = f"{y}{ {'FinancialApril': 'April', 'FinancialJuly': 'July', 'FinancialOct': 'Oct'}[ptype] }"
    return Period(start, end, ptype, iso)


def containing(ptype: str, day: dt.date) -> Period:
    """The period of type ``ptype`` that contains ``day`` (DHIS2 ``createPeriod(date)``)."""
    if ptype == "Daily":
        return Period(day, day + dt.timedelta(days=1), "Daily", day.strftime("%Y%m%d"))
    if ptype in WEEK_STARTS:
        start = day - dt.timedelta(days=(day.weekday() - WEEK_STARTS[ptype]) % 7)
        return _weekly(ptype, start)
    if ptype == "BiWeekly":
        monday = day - dt.timedelta(days=day.weekday())
        iso_year, week, _ = monday.isocalendar()
        first = monday - dt.timedelta(weeks=(week - 1) % 2)
        return Period(
            first, first + dt.timedelta(days=14), "BiWeekly", f"{iso_year}BiW{(week + 1) // 2}"
        )
    months = _MONTHLY[ptype]
    anchor = _ANCHOR_MONTH.get(ptype, 1)
    offset = (day.month - anchor) % months
    start = _add_months(dt.date(day.year, day.month, 1), -offset)
    return _month_based(ptype, start)


def next_period(p: Period, n: int = 1) -> Period:
    """The period ``n`` steps after (negative: before) ``p``."""
    if n >= 0:
        for _ in range(n):
            p = containing(p.period_type, p.end)
    else:
        for _ in range(-n):
            p = containing(p.period_type, p.start - dt.timedelta(days=1))
    return p


def latest_open_future_period(ptype: str, open_future_periods: int, today: dt.date) -> Period:
    """``PeriodType.getFuturePeriod(n)``: the previous period + n (n=0 → the last finished one)."""
    return next_period(containing(ptype, today), open_future_periods - 1)


_ISO_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "Daily"),
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), "Daily"),
    (re.compile(r"^(\d{4})W(\d{1,2})$"), "Weekly"),
    (re.compile(r"^(\d{4})WedW(\d{1,2})$"), "WeeklyWednesday"),
    (re.compile(r"^(\d{4})ThuW(\d{1,2})$"), "WeeklyThursday"),
    (re.compile(r"^(\d{4})SatW(\d{1,2})$"), "WeeklySaturday"),
    (re.compile(r"^(\d{4})SunW(\d{1,2})$"), "WeeklySunday"),
    (re.compile(r"^(\d{4})BiW(\d{1,2})$"), "BiWeekly"),
    (re.compile(r"^(\d{4})(\d{2})$"), "Monthly"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "Monthly"),
    (re.compile(r"^(\d{4})(\d{2})B$"), "BiMonthly"),
    (re.compile(r"^(\d{4})Q(\d)$"), "Quarterly"),
    (re.compile(r"^(\d{4})NovQ(\d)$"), "QuarterlyNov"),
    (re.compile(r"^(\d{4})S(\d)$"), "SixMonthly"),
    (re.compile(r"^(\d{4})AprilS(\d)$"), "SixMonthlyApril"),
    (re.compile(r"^(\d{4})NovS(\d)$"), "SixMonthlyNov"),
    (re.compile(r"^(\d{4})$"), "Yearly"),
    (re.compile(r"^(\d{4})April$"), "FinancialApril"),
    (re.compile(r"^(\d{4})July$"), "FinancialJuly"),
    (re.compile(r"^(\d{4})Oct$"), "FinancialOct"),
    (re.compile(r"^(\d{4})Nov$"), "FinancialNov"),
]


def _start_of(ptype: str, y: int, n: int | None, d: int | None) -> dt.date | None:
    """Start date of the ``n``-th period of type ``ptype`` in ISO year ``y`` (None if out of range)."""
    if ptype == "Daily":
        return dt.date(y, n, d)  # type: ignore[arg-type]
    if ptype in WEEK_STARTS or ptype == "BiWeekly":
        return _week_start(ptype, y, n)  # type: ignore[arg-type]
    if ptype in _PERIODS_PER_YEAR and not 1 <= n <= _PERIODS_PER_YEAR[ptype]:  # type: ignore[operator]
        return None
    return _month_start(ptype, y, n)


# Periods a year of the types whose ISO id numbers them (``2023Q4``, ``2023S2``...).
_PERIODS_PER_YEAR = {"Monthly": 12, "BiMonthly": 6, "Quarterly": 4, "QuarterlyNov": 4, "SixMonthly": 2,
                     "SixMonthlyApril": 2, "SixMonthlyNov": 2}  # fmt: skip


def _week_start(ptype: str, y: int, n: int) -> dt.date | None:
    """The ``n``-th week (or two-week period) of year ``y``: its first day."""
    if ptype == "BiWeekly":
        if n < 1:
            return None
        return dt.date.fromisocalendar(y, 2 * n - 1, 1)
    start = _first_week_start(y, WEEK_STARTS[ptype]) + dt.timedelta(weeks=n - 1)
    return start if (start + dt.timedelta(days=3)).year == y and n >= 1 else None


def _month_start(ptype: str, y: int, n: int | None) -> dt.date:
    """First day of a month-based period (``n`` within range, None for the yearly types)."""
    if ptype == "Monthly":
        return dt.date(y, n, 1)  # type: ignore[arg-type]
    if ptype == "BiMonthly":
        return dt.date(y, 2 * n - 1, 1)  # type: ignore[operator]
    if ptype == "Quarterly":
        return dt.date(y, 3 * n - 2, 1)  # type: ignore[operator]
    if ptype == "QuarterlyNov":
        return _add_months(dt.date(y - 1, 11, 1), 3 * (n - 1))  # type: ignore[operator]
    if ptype == "SixMonthly":
        return dt.date(y, 1 if n == 1 else 7, 1)
    if ptype == "SixMonthlyApril":
        return dt.date(y, 4 if n == 1 else 10, 1)
    if ptype == "SixMonthlyNov":
        return dt.date(y - 1, 11, 1) if n == 1 else dt.date(y, 5, 1)
    if ptype == "Yearly":
        return dt.date(y, 1, 1)
    if ptype == "FinancialNov":
        return dt.date(y - 1, 11, 1)
    return dt.date(y, _ANCHOR_MONTH[ptype], 1)


@functools.lru_cache(maxsize=4096)
def parse_iso(text: str | None) -> Period | None:
    """Parse a DHIS2 ISO period id (``202301``, ``2023Q1``, ``2023W1``, ``2023July``…); None if invalid."""
    if not text:
        return None
    text = text.strip()
    for pattern, ptype in _ISO_PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        groups = [int(g) for g in m.groups()]
        y = groups[0]
        n = groups[1] if len(groups) > 1 else None
        d = groups[2] if len(groups) > 2 else None
        try:
            start = _start_of(ptype, y, n, d)
        except ValueError:
            return None
        if start is None:
            return None
        period = containing(ptype, start)
        return period if period.start == start else None
    return None


class AdxPeriodError(ValueError):
    """An ADX period DHIS2 rejects (message text as DHIS2's ``AdxPeriod.parse``)."""


_ADX_DURATIONS = ("P1D", "P7D", "P14D", "P1M", "P2M", "P3M", "P6M", "P1Y")
_JODA_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_adx(text: str) -> Period:
    """ADX ``<date>/<duration>`` → DHIS2 period, exactly as ``AdxPeriod.parse`` in 2.38–2.41 (§1.7)."""
    tokens = text.split("/")
    if len(tokens) != 2:
        raise AdxPeriodError(f"{text} not in valid <date>/<duration> format")
    date_text, duration = tokens
    m = _JODA_DATE.match(date_text)
    # A datetime start or a bad date fails in Joda and is reported as a duration problem.
    try:
        start = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
    except ValueError:
        start = None
    if start is None or duration not in _ADX_DURATIONS:
        raise AdxPeriodError(f"{duration} is not a supported duration type")
    return containing(_adx_period_type(text, duration, start), start)


# AdxPeriod.Duration: durations naming one period type...
_ADX_TYPE_OF = {
    "P1D": "Daily",
    "P14D": "BiWeekly",
    "P1M": "Monthly",
    "P2M": "BiMonthly",
    "P3M": "Quarterly",
}
# ...and those whose type depends on the start's weekday (P7D) or month (P6M, P1Y).
_ADX_WEEKLY = {
    0: "Weekly",
    2: "WeeklyWednesday",
    3: "WeeklyThursday",
    5: "WeeklySaturday",
    6: "WeeklySunday",
}
_ADX_SIX_MONTHLY = {1: "SixMonthly", 7: "SixMonthly", 4: "SixMonthlyApril", 10: "SixMonthlyApril",
                    5: "SixMonthlyNov", 11: "SixMonthlyNov"}  # fmt: skip
_ADX_YEARLY = {
    1: "Yearly",
    4: "FinancialApril",
    7: "FinancialJuly",
    10: "FinancialOct",
    11: "FinancialNov",
}


def _adx_period_type(text: str, duration: str, start: dt.date) -> str:
    """The period type of a supported ``duration`` starting on ``start``."""
    if duration in _ADX_TYPE_OF:
        return _ADX_TYPE_OF[duration]
    if duration == "P7D":
        name, by_start, key = "weekly", _ADX_WEEKLY, start.weekday()
    elif duration == "P6M":
        name, by_start, key = "sixmonthly", _ADX_SIX_MONTHLY, start.month
    else:
        name, by_start, key = "yearly", _ADX_YEARLY, start.month
    if key not in by_start:
        raise AdxPeriodError(f"{text} is invalid {name} type")
    return by_start[key]
