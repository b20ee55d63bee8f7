"""Date handling: whole-month shifts with month-end clamping, and date-of-birth jitter.

Invariants (documented in docs/anonymise.md and tested):
- a date or timestamp in month M lands in month M + n, so every calendar-month period keeps exactly the
  same rows (shifted by n);
- the day of month is kept when it exists in the target month, else clamped to the month's last day
  (timestamps to its last microsecond), so order is preserved (non-strictly: clamped values may tie);
- differences in days are NOT preserved in general (month lengths differ), except for n a multiple of
  48 months inside 1901-2099, where every month keeps its length.
- a jittered date of birth has day 1..28, so it exists in every month: shifting it never clamps, and the
  birthday is always reached by the end of the birth month, so the age at every month end depends only on
  (birth year, birth month) and is unchanged by the jitter and by any shift.
"""

from __future__ import annotations

import calendar
import datetime as dt

__all__ = ["add_months", "shift_timestamp", "jitter_day", "month_index", "last_day_of_month"]

JITTER_DAYS = 28  # days 1..28 exist in every month of every year


def month_index(d: dt.date) -> int:
    """Months since year 0: ``(year, month)`` as one integer, for whole-month arithmetic."""
    return d.year * 12 + d.month - 1


def last_day_of_month(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def add_months(d: dt.date, n: int) -> dt.date:
    """``d`` moved by ``n`` whole months; a day missing in the target month becomes its last day."""
    if n == 0:
        return d
    year, month0 = divmod(month_index(d) + n, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise ValueError(
            f"shifting {d.isoformat()} by {n} months leaves the calendar; use a smaller shift"
        )
    last = calendar.monthrange(year, month0 + 1)[1]
    return d.replace(year=year, month=month0 + 1, day=min(d.day, last))


def shift_timestamp(ts: dt.datetime, n: int) -> dt.datetime:
    """``ts`` moved by ``n`` months on its own clock; a clamped day goes to the month's last instant.

    Moving a clamped timestamp to 23:59:59.999999 (instead of keeping its time) keeps the order of
    timestamps: 30 Jan 10:00 and 31 Jan 09:00 both land on 28 Feb and would otherwise swap.
    """
    if n == 0:
        return ts
    moved = add_months(ts.date(), n)
    if moved.day != ts.day:
        return ts.replace(
            year=moved.year,
            month=moved.month,
            day=moved.day,
            hour=23,
            minute=59,
            second=59,
            microsecond=999999,
        )
    return ts.replace(year=moved.year, month=moved.month)


def jitter_day(d: dt.date, draw: int) -> dt.date:
    """``d`` moved to day ``1 + draw % 28`` of the same month and year."""
    return d.replace(day=1 + draw % JITTER_DAYS)
