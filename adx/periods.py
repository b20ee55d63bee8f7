"""DHIS2 period ids and ADX periods (CONTRACT.md §1.7, §2.2, §2.3).

A period is a half-open date range ``[start, end)``. DHIS2 ids: ``20240105`` (daily), ``2024W1``
(ISO week), ``2024SunW8``, ``2024BiW1``, ``202401`` (monthly), ``202401B`` (bi-monthly, Jan-Feb),
``2024Q1``, ``2024NovQ1``, ``2024S1``, ``2024AprilS1``, ``2024NovS1``, ``2024`` (yearly), ``2024April``,
``2024July``, ``2024Oct``, ``2024Nov`` (financial years). ADX: ``<yyyy-MM-dd>/<duration>``.

Week numbering follows DHIS2 (java ``WeekFields.of(startDay, 4)``): week 1 is the week, starting on
the period type's start day, that contains 4 January; a week's year is the year of its week 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta


class PeriodError(ValueError):
    """A period id or ADX period string is not valid."""


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # exclusive
    period_type: str  # DHIS2 period type name (Monthly, Quarterly, Yearly, ...)
    id: str  # DHIS2 id

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)

    @property
    def duration(self) -> str:
        """ISO 8601 duration DHIS2 uses for this period type in ADX (``P1M``...)."""
        return DURATIONS[self.period_type]

    @property
    def adx(self) -> str:
        """ADX form ``yyyy-MM-dd/<duration>``."""
        return f"{self.start.isoformat()}/{self.duration}"


# DHIS2 period type name -> ADX duration (PeriodType.getIso8601Duration).
DURATIONS: dict[str, str] = {
    "Daily": "P1D",
    "Weekly": "P7D",
    "WeeklyWednesday": "P7D",
    "WeeklyThursday": "P7D",
    "WeeklySaturday": "P7D",
    "WeeklySunday": "P7D",
    "BiWeekly": "P14D",
    "Monthly": "P1M",
    "BiMonthly": "P2M",
    "Quarterly": "P3M",
    "QuarterlyNov": "P3M",
    "SixMonthly": "P6M",
    "SixMonthlyApril": "P6M",
    "SixMonthlyNov": "P6M",
    "Yearly": "P1Y",
    "FinancialApril": "P1Y",
    "FinancialJuly": "P1Y",
    "FinancialOct": "P1Y",
    "FinancialNov": "P1Y",
}
PERIOD_TYPES = tuple(DURATIONS)

# Weekly types: start weekday (Monday = 0) and the infix of their ids.
_WEEKLY = {
    "Weekly": (0, ""),
    "WeeklyWednesday": (2, "Wed"),
    "WeeklyThursday": (3, "Thu"),
    "WeeklySaturday": (5, "Sat"),
    "WeeklySunday": (6, "Sun"),
}
_WEEKLY_BY_INFIX = {infix: name for name, (_, infix) in _WEEKLY.items()}
_WEEKLY_BY_WEEKDAY = {wd: name for name, (wd, _) in _WEEKLY.items()}

# Month-based types: length in months.
_MONTHS = {"BiMonthly": 2, "Quarterly": 3, "QuarterlyNov": 3, "SixMonthly": 6,
           "SixMonthlyApril": 6, "SixMonthlyNov": 6, "Yearly": 12, "FinancialApril": 12,
           "FinancialJuly": 12, "FinancialOct": 12, "FinancialNov": 12, "Monthly": 1}  # fmt: skip
# First month of period number 1 and the year of its start relative to the id's year (-1 for the
# November types, whose id carries the year they end in: 2024Nov = Nov 2023 - Oct 2024).
_FIRST = {"Monthly": (1, 0), "BiMonthly": (1, 0), "Quarterly": (1, 0), "QuarterlyNov": (11, -1),
          "SixMonthly": (1, 0), "SixMonthlyApril": (4, 0), "SixMonthlyNov": (11, -1),
          "Yearly": (1, 0), "FinancialApril": (4, 0), "FinancialJuly": (7, 0),
          "FinancialOct": (10, 0), "FinancialNov": (11, -1)}  # fmt: skip
_FINANCIAL_SUFFIX = {"FinancialApril": "April", "FinancialJuly": "July", "FinancialOct": "Oct",
                     "FinancialNov": "Nov"}  # fmt: skip
_SIX_INFIX = {"SixMonthly": "S", "SixMonthlyApril": "AprilS", "SixMonthlyNov": "NovS"}


def add_months(d: date, months: int) -> date:
    """The first day of the month ``months`` after (or before, if negative) ``d``'s month."""
    total = d.year * 12 + (d.month - 1) + months
    return date(total // 12, total % 12 + 1, 1)


def _month_period(period_type: str, year: int, number: int) -> Period:
    """Period ``number`` (1-based) of a month-based type whose id carries ``year``."""
    length = _MONTHS[period_type]
    first_month, year_offset = _FIRST[period_type]
    start = add_months(date(year + year_offset, first_month, 1), (number - 1) * length)
    end = add_months(start, length)
    if period_type == "Monthly":
        pid = f"{year:04d}{number:02d}"
    elif period_type == "BiMonthly":
        pid = f"{year:04d}{number:02d}B"
    elif period_type == "Quarterly":
        pid = f"{year:04d}Q{number}"
    elif period_type == "QuarterlyNov":
        pid = f"{year:04d}NovQ{number}"
    elif period_type in _SIX_INFIX:
        pid = f"{year:04d}{_SIX_INFIX[period_type]}{number}"
    elif period_type == "Yearly":
        pid = f"{year:04d}"
    else:
        pid = f"{year:04d}{_FINANCIAL_SUFFIX[period_type]}"
    return Period(start, end, period_type, pid)


def _week_one_start(week_year: int, weekday: int) -> date:
    """Start of week 1 of ``week_year`` for weeks starting on ``weekday``: the week holding 4 Jan."""
    jan4 = date(week_year, 1, 4)
    return jan4 - timedelta(days=(jan4.weekday() - weekday) % 7)


def _week_period(period_type: str, week_year: int, week: int) -> Period:
    weekday, infix = _WEEKLY[period_type]
    first = _week_one_start(week_year, weekday)
    weeks_in_year = (_week_one_start(week_year + 1, weekday) - first).days // 7
    if not 1 <= week <= weeks_in_year:
        raise PeriodError(
            f"week {week} does not exist in {week_year} for {period_type} (it has {weeks_in_year} weeks)"
        )
    start = first + timedelta(weeks=week - 1)
    return Period(start, start + timedelta(days=7), period_type, f"{week_year:04d}{infix}W{week}")


def _week_of(d: date, weekday: int) -> tuple[int, int]:
    """(week year, week number) of the week containing ``d`` for weeks starting on ``weekday``."""
    start = d - timedelta(days=(d.weekday() - weekday) % 7)
    # The week's year is the year of its Thursday-equivalent: the day holding day 4 of the week.
    year = (start + timedelta(days=3)).year
    return year, (start - _week_one_start(year, weekday)).days // 7 + 1


def _biweek_period(week_year: int, number: int) -> Period:
    weeks = (_week_one_start(week_year + 1, 0) - _week_one_start(week_year, 0)).days // 7
    if not 1 <= number <= (weeks + 1) // 2:
        raise PeriodError(f"bi-week {number} does not exist in {week_year}")
    start = _week_one_start(week_year, 0) + timedelta(weeks=2 * (number - 1))
    return Period(start, start + timedelta(days=14), "BiWeekly", f"{week_year:04d}BiW{number}")


def daily(d: date) -> Period:
    return Period(d, d + timedelta(days=1), "Daily", d.strftime("%Y%m%d"))


def monthly(year: int, month: int) -> Period:
    return _month_period("Monthly", year, month)


def quarterly(year: int, quarter: int) -> Period:
    return _month_period("Quarterly", year, quarter)


def yearly(year: int) -> Period:
    return _month_period("Yearly", year, 1)


def period_containing(period_type: str, d: date) -> Period:
    """The period of ``period_type`` that contains ``d`` (DHIS2 ``PeriodType.createPeriod``)."""
    if period_type == "Daily":
        return daily(d)
    if period_type in _WEEKLY:
        return _week_period(period_type, *_week_of(d, _WEEKLY[period_type][0]))
    if period_type == "BiWeekly":
        year, week = _week_of(d, 0)
        return _biweek_period(year, (week + 1) // 2)
    if period_type not in _MONTHS:
        raise PeriodError(f"unknown period type {period_type!r}; known: {', '.join(PERIOD_TYPES)}")
    length = _MONTHS[period_type]
    first_month, year_offset = _FIRST[period_type]
    # Whole periods between period 1 of the id year ``d.year - year_offset`` (which starts in
    # ``first_month`` of d.year) and d; negative before it. The quotient rolls the id year.
    index = (d.month - first_month) // length
    periods_per_year = 12 // length
    id_year = d.year - year_offset + index // periods_per_year
    return _month_period(period_type, id_year, index % periods_per_year + 1)


def shift(period: Period, n: int) -> Period:
    """The period ``n`` periods after (negative: before) ``period``, same type."""
    if n == 0:
        return period
    probe = period.start
    for _ in range(abs(n)):
        probe = (
            period_containing(period.period_type, probe).end
            if n > 0
            else (period_containing(period.period_type, probe - timedelta(days=1)).start)
        )
    return period_containing(period.period_type, probe)


_ID_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), t)
    for p, t in (
        (r"(\d{4})(\d{2})(\d{2})", "Daily"),
        (r"(\d{4})-(\d{2})-(\d{2})", "Daily"),
        (r"(\d{4})-?(\d{2})", "Monthly"),
        (r"(\d{4})(Wed|Thu|Sat|Sun)?W(\d{1,2})", "Weekly"),
        (r"(\d{4})BiW(\d{1,2})", "BiWeekly"),
        (r"(\d{4})(\d{2})B", "BiMonthly"),
        (r"(\d{4})Q(\d)", "Quarterly"),
        (r"(\d{4})NovQ(\d)", "QuarterlyNov"),
        (r"(\d{4})S(\d)", "SixMonthly"),
        (r"(\d{4})AprilS(\d)", "SixMonthlyApril"),
        (r"(\d{4})NovS(\d)", "SixMonthlyNov"),
        (r"(\d{4})", "Yearly"),
        (r"(\d{4})April", "FinancialApril"),
        (r"(\d{4})July", "FinancialJuly"),
        (r"(\d{4})Oct", "FinancialOct"),
        (r"(\d{4})Nov", "FinancialNov"),
    )
)


def parse_period(pid: str) -> Period:
    """Parse any DHIS2 ISO period id (CONTRACT.md §2.2) into a Period; PeriodError if invalid."""
    for pattern, ptype in _ID_PATTERNS:
        m = pattern.fullmatch(pid)
        if not m:
            continue
        g = m.groups()
        year = int(g[0])
        try:
            if ptype == "Daily":
                return daily(date(year, int(g[1]), int(g[2])))
            if ptype == "Weekly":
                name = _WEEKLY_BY_INFIX[g[1] or ""]
                return _week_period(name, year, int(g[2]))
            if ptype == "BiWeekly":
                return _biweek_period(year, int(g[1]))
        except ValueError as exc:  # date() out of range, or our PeriodError
            raise PeriodError(f"invalid period id {pid!r}: {exc}") from None
        number = int(g[1]) if len(g) > 1 else 1
        count = 12 // _MONTHS[ptype]
        if not 1 <= number <= count:
            raise PeriodError(f"invalid period id {pid!r}: {ptype} number must be 1..{count}")
        return _month_period(ptype, year, number)
    raise PeriodError(
        f"unsupported period id {pid!r}: expected a DHIS2 ISO period such as 20240105, 2024W1, "
        "2024SunW1, 2024BiW1, 202401, 202401B, 2024Q1, 2024NovQ1, 2024S1, 2024AprilS1, 2024NovS1, "
        "2024, 2024April, 2024July, 2024Oct or 2024Nov"
    )


def month_range(first: str, last: str) -> list[Period]:
    """Every month from ``first`` to ``last`` inclusive (both ``YYYYMM``)."""
    a, b = parse_period(first), parse_period(last)
    if a.period_type != "Monthly" or b.period_type != "Monthly":
        raise PeriodError(f"month range needs two YYYYMM ids, got {first!r}:{last!r}")
    if b.start < a.start:
        raise PeriodError(f"period range {first}:{last} ends before it starts")
    out, cur = [], a.start
    while cur <= b.start:
        out.append(monthly(cur.year, cur.month))
        cur = add_months(cur, 1)
    return out


# --- ADX ------------------------------------------------------------------------------------

_ADX_DURATIONS = ("P1D", "P7D", "P14D", "P1M", "P2M", "P3M", "P6M", "P1Y")
_SIX_BY_MONTH = {1: "SixMonthly", 7: "SixMonthly", 4: "SixMonthlyApril", 10: "SixMonthlyApril",
                 5: "SixMonthlyNov", 11: "SixMonthlyNov"}  # fmt: skip
_YEAR_BY_MONTH = {1: "Yearly", 4: "FinancialApril", 7: "FinancialJuly", 10: "FinancialOct",
                  11: "FinancialNov"}  # fmt: skip
_ADX_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def to_adx(period: Period | str) -> str:
    """ADX period ``yyyy-MM-dd/<duration>`` of a Period or DHIS2 period id.

    Refuses periods ADX cannot carry: DHIS2 picks the period type from the duration alone
    (``AdxPeriod.parse``, 2.39-2.43), so ``2023-11-01/P3M`` is read as the calendar quarter 2023Q4,
    not 2024NovQ1 -- the value would land in the wrong period without any conflict.
    """
    p = parse_period(period) if isinstance(period, str) else period
    text = f"{p.start.isoformat()}/{DURATIONS[p.period_type]}"
    back = from_adx(text)
    if (back.period_type, back.id) != (p.period_type, p.id):
        raise PeriodError(
            f"period {p.id} ({p.period_type}) cannot be sent as ADX: DHIS2 reads {text} as "
            f"{back.id} ({back.period_type}); push this data set as dataValueSets JSON instead"
        )
    return text


def from_adx(text: str) -> Period:
    """Parse an ADX period like DHIS2 2.41 ``AdxPeriod.parse`` does.

    The duration picks the period type (with the start's weekday for P7D, month for P6M/P1Y);
    the result is the period of that type CONTAINING the start date, as in DHIS2 (a start in
    the middle of a month is accepted and snapped). QuarterlyNov is unreachable (P3M is
    always calendar quarters), like in DHIS2.
    """
    parts = text.split("/")
    if len(parts) != 2:
        raise PeriodError(f"{text} not in valid <date>/<duration> format")
    start_text, duration = parts
    if duration not in _ADX_DURATIONS:
        raise PeriodError(
            f"{duration} is not a supported duration type (ADX period {text!r}; expected one of "
            f"{' '.join(_ADX_DURATIONS)})"
        )
    if not _ADX_DATE.fullmatch(start_text):
        # DHIS2 reports this (e.g. a datetime start) as an unsupported duration type.
        raise PeriodError(f"start of ADX period {text!r} must be a date yyyy-MM-dd")
    try:
        start = date.fromisoformat(start_text)
    except ValueError:
        raise PeriodError(f"start of ADX period {text!r} is not a valid date") from None
    return period_containing(_adx_period_type(text, duration, start), start)


# ADX durations whose period type does not depend on the start date
_FIXED_DURATIONS = {
    "P1D": "Daily",
    "P14D": "BiWeekly",
    "P1M": "Monthly",
    "P2M": "BiMonthly",
    "P3M": "Quarterly",
}


def _adx_period_type(text: str, duration: str, start: date) -> str:
    """The DHIS2 period type of an ADX duration (weekly, six-monthly, yearly: by the start)."""
    fixed = _FIXED_DURATIONS.get(duration)
    if fixed is not None:
        return fixed
    if duration == "P7D":
        ptype = _WEEKLY_BY_WEEKDAY.get(start.weekday())
        if ptype is None:
            raise PeriodError(
                f"{text} is invalid weekly type (weeks start Mon, Wed, Thu, Sat or Sun)"
            )
    elif duration == "P6M":
        ptype = _SIX_BY_MONTH.get(start.month)
        if ptype is None:
            raise PeriodError(
                f"{text} is invalid sixmonthly type (start month Jan/Jul, Apr/Oct or May/Nov)"
            )
    else:
        ptype = _YEAR_BY_MONTH.get(start.month)
        if ptype is None:
            raise PeriodError(
                f"{text} is invalid yearly type (start month Jan, Apr, Jul, Oct or Nov)"
            )
    return ptype
    return period_containing(ptype, start)


def adx_to_id(text: str) -> str:
    """DHIS2 period id of an ADX period (``2024-01-01/P1M`` -> ``202401``)."""
    return from_adx(text).id
