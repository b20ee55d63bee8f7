"""Partitions whose keys are DHIS2 period ids: monthly ``YYYYMM`` and yearly ``YYYY``."""

from __future__ import annotations

import dagster as dg

from adx.periods import Period, month_range, parse_period, yearly


def monthly_partitions(start: str, timezone: str = "UTC") -> dg.MonthlyPartitionsDefinition:
    """Monthly partitions from ``start`` (``YYYYMM``) to the last complete month."""
    return dg.MonthlyPartitionsDefinition(start_date=start, fmt="%Y%m", timezone=timezone)


def yearly_partitions(start: str, timezone: str = "UTC") -> dg.TimeWindowPartitionsDefinition:
    """Yearly partitions (``YYYY``) from the year of ``start`` to the last complete year."""
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule="0 0 1 1 *", start=start[:4], fmt="%Y", timezone=timezone
    )


def periods_of_keys(first: str, last: str) -> list[Period]:
    """The DHIS2 periods covered by a partition key range (monthly or yearly keys)."""
    a, b = parse_period(first), parse_period(last)
    if a.period_type == "Monthly":
        return month_range(first, last)
    return [yearly(y) for y in range(a.start.year, b.start.year + 1)]


def context_periods(context: dg.AssetExecutionContext) -> list[Period]:
    """The periods of the run: one partition, or the whole range of a single-run backfill."""
    keys = context.partition_key_range
    return periods_of_keys(keys.start, keys.end)
