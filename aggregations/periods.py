"""Period checks for a data set's run (the periods themselves become a DuckDB table, ``duck``)."""

from __future__ import annotations

from collections.abc import Sequence

from adx.periods import Period


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
