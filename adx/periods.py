"""DHIS2 period ids and ADX periods (CONTRACT.md §1.7, §2.2).

A period is a half-open date range ``[start, end)``. DHIS2 ids: ``202401`` (monthly),
``2024Q1`` (quarterly), ``2024`` (yearly), ...; ADX: ``2024-01-01/P1M``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date


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


def _add_months(d: date, months: int) -> date:
    total = d.year * 12 + (d.month - 1) + months
    return date(total // 12, total % 12 + 1, 1)


def monthly(year: int, month: int) -> Period:
    start = date(year, month, 1)
    return Period(start, _add_months(start, 1), "Monthly", f"{year:04d}{month:02d}")


def quarterly(year: int, quarter: int) -> Period:
    start = date(year, 3 * (quarter - 1) + 1, 1)
    return Period(start, _add_months(start, 3), "Quarterly", f"{year:04d}Q{quarter}")


def yearly(year: int) -> Period:
    return Period(date(year, 1, 1), date(year + 1, 1, 1), "Yearly", f"{year:04d}")


def parse_period(pid: str) -> Period:
    """Parse a DHIS2 period id (monthly, quarterly, yearly)."""
    if m := re.fullmatch(r"(\d{4})-?(\d{2})", pid):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"invalid month in period {pid!r}")
        return monthly(year, month)
    if m := re.fullmatch(r"(\d{4})Q([1-4])", pid):
        return quarterly(int(m.group(1)), int(m.group(2)))
    if m := re.fullmatch(r"(\d{4})", pid):
        return yearly(int(m.group(1)))
    raise PeriodError(f"unsupported period id {pid!r}: expected YYYYMM, YYYYQn or YYYY")


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
        cur = _add_months(cur, 1)
    return out
