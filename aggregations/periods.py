"""Period checks and the calendar of a period range as a portable derived table.

The calendar is a UNION ALL of SELECTs of literal values, one row per period, joined to the fact
tables with range predicates: stocks at every period end and flows over every period come out
of one scan, whatever the number of periods. Every date is computed here in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    case,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.expression import ColumnElement

from adx.periods import Period

from .config import AgeBand
from .dialect import date_literal


class PeriodMismatchError(ValueError):
    """Periods of the wrong type (or none, or duplicates) for a data set."""


def check_periods(dataset_code: str, periods: Sequence[Period], period_type: str) -> list[Period]:
    """The periods sorted, or an error naming the bad one."""
    if not periods:
        raise PeriodMismatchError(f"data set {dataset_code}: no period given")
    for p in periods:
        if p.period_type != period_type:
            raise PeriodMismatchError(
                f"data set {dataset_code} is {period_type}; period {p.id} is {p.period_type}: "
                f"pass {period_type.lower()} periods (or configure the data set's period type)"
            )
    ids = [p.id for p in periods]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise PeriodMismatchError(f"data set {dataset_code}: period(s) {dupes} given twice")
    return sorted(periods, key=lambda p: p.start)


def date_key(d: date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def age_threshold(ref: date, years: int) -> date:
    """Latest DOB of someone aged at least ``years`` completed years on ``ref``.

    age >= N  <=>  (dob.year, dob.month, dob.day) <= (ref.year - N, ref.month, ref.day); when ref
    is 29 February and that year is not a leap year, the bound is 28 February.
    """
    y = ref.year - years
    try:
        return date(y, ref.month, ref.day)
    except ValueError:
        return date(y, 2, 28)


def band_columns(bands: Sequence[AgeBand]) -> list[str]:
    return [f"age_min_{i}" for i in range(len(bands))]


def calendar(periods: Sequence[Period], bands: Sequence[AgeBand] = ()) -> Subquery:
    """Derived table: period, start, end_excl, last_day, prev_day, ref_key, age_min_<i>.

    ``age_min_<i>`` is the latest DOB of someone in band ``i`` or older at ``last_day``.
    """
    selects = []
    for p in periods:
        last = p.last_day
        cols = [
            literal(p.id, String).label("period"),
            literal(p.start, Date).label("start"),
            literal(p.end, Date).label("end_excl"),
            literal(last, Date).label("last_day"),
            literal(p.start - timedelta(days=1), Date).label("prev_day"),
            literal(date_key(last), Integer).label("ref_key"),
        ]
        cols += [
            literal(age_threshold(last, b.low), Date).label(n)
            for b, n in zip(bands, band_columns(bands), strict=True)
        ]
        selects.append(select(*cols))
    query = selects[0] if len(selects) == 1 else union_all(*selects)
    return query.subquery("cal")


def period_of(col: ColumnElement, periods: Sequence[Period]) -> ColumnElement:
    """Id of the period containing ``col`` (NULL outside every period, or for a NULL date).

    A searched CASE over the sorted period bounds, written into the SQL text: a flow row is
    bucketed into its period in one pass, without a range join to the calendar (which the
    planners run as a nested loop, one scan of the fact table per period). Gaps between
    non-consecutive periods map to NULL.
    """
    whens: list = []
    prev_end = None
    for p in sorted(periods, key=lambda p: p.start):
        if prev_end is None or p.start != prev_end:
            whens.append((col < date_literal(p.start), null()))
        whens.append((col < date_literal(p.end), literal_column(f"'{p.id}'", String)))
        prev_end = p.end
    return case(*whens, else_=null())


def within(col: ColumnElement, periods: Sequence[Period]) -> ColumnElement:
    """``col`` lies in the span of the periods (first start to last end, gaps included): a
    sargable range that lets the engine skip history outside the range (and use an index)."""
    ordered = sorted(periods, key=lambda p: p.start)
    return and_(col >= date_literal(ordered[0].start), col < date_literal(ordered[-1].end))
