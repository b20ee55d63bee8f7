"""Jobs, schedules and sensors: the monthly export, the re-run of past months, failure alerts."""

from __future__ import annotations

from datetime import date, datetime

import dagster as dg

from adx.periods import add_months
from pipelines.assets import DATASETS
from pipelines.settings import Settings

MONTHLY_JOB = "monthly_indicators"
YEARLY_JOB = "yearly_population"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def _month_id(d: date, back: int) -> str:
    month = add_months(d, -back)
    return f"{month.year:04d}{month.month:02d}"


def previous_months(at: datetime, n: int) -> tuple[str, str]:
    """First and last ``YYYYMM`` of the ``n`` complete months before ``at``."""
    return _month_id(at.date(), n), _month_id(at.date(), 1)


def build_jobs(
    monthly: dg.PartitionsDefinition, yearly: dg.PartitionsDefinition
) -> tuple[dg.UnresolvedAssetJobDefinition, dg.UnresolvedAssetJobDefinition]:
    """One job per partitioning: Dagster jobs cannot mix monthly and yearly partitions."""
    monthly_keys = [k for s in DATASETS if not s.yearly for k in s.keys]
    yearly_keys = [k for s in DATASETS if s.yearly for k in s.keys]
    monthly_job = dg.define_asset_job(
        MONTHLY_JOB,
        selection=dg.AssetSelection.assets(*monthly_keys),
        description="Extract, compute, export and push the monthly data sets (enrolment, claims).",
    )
    yearly_job = dg.define_asset_job(
        YEARLY_JOB,
        selection=dg.AssetSelection.assets(*yearly_keys),
        description="Extract, compute, export and push the yearly population data set.",
    )
    return monthly_job, yearly_job


def build_schedules(settings: Settings, monthly_job, yearly_job) -> list[dg.ScheduleDefinition]:
    tz = settings.timezone
    start = settings.start

    @dg.schedule(
        name="monthly_export",
        job=monthly_job,
        cron_schedule=settings.schedule_cron,
        execution_timezone=tz,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Exports (and pushes, if DHIS2 is configured) the last complete month.",
    )
    def monthly_export(context: dg.ScheduleEvaluationContext):
        _, month = previous_months(context.scheduled_execution_time, 1)
        if month < start:
            return dg.SkipReason(f"{month} is before the first partition {start}")
        return dg.RunRequest(run_key=f"monthly-{month}", partition_key=month)

    @dg.schedule(
        name="rerun_recent_months",
        job=monthly_job,
        cron_schedule=settings.rerun_cron,
        execution_timezone=tz,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"Re-exports the previous {settings.rerun_months} complete months in one run "
        "(late claims and corrections change past months; stale values are removed).",
    )
    def rerun_recent_months(context: dg.ScheduleEvaluationContext):
        first, last = previous_months(context.scheduled_execution_time, settings.rerun_months)
        first = max(first, start)
        if last < start:
            return dg.SkipReason(f"{last} is before the first partition {start}")
        stamp = context.scheduled_execution_time.strftime("%Y%m%d%H%M")
        return dg.RunRequest(
            run_key=f"rerun-{first}-{last}-{stamp}", tags={RANGE_START: first, RANGE_END: last}
        )

    @dg.schedule(
        name="yearly_population_export",
        job=yearly_job,
        cron_schedule="0 2 15 1 *",
        execution_timezone=tz,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Exports the population data set of the previous year, in January.",
    )
    def yearly_population_export(context: dg.ScheduleEvaluationContext):
        year = str(context.scheduled_execution_time.year - 1)
        if year < start[:4]:
            return dg.SkipReason(f"{year} is before the first partition {start[:4]}")
        return dg.RunRequest(run_key=f"population-{year}", partition_key=year)

    return [monthly_export, rerun_recent_months, yearly_population_export]


@dg.run_failure_sensor(
    name="log_run_failures",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Logs every failed run; the place to hook alerts (e-mail, Slack, DHIS2 message).",
)
def log_run_failures(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    partition = run.tags.get("dagster/partition") or (
        f"{run.tags.get(RANGE_START)}..{run.tags.get(RANGE_END)}"
        if RANGE_START in run.tags
        else "-"
    )
    context.log.error(
        f"run {run.run_id} of {run.job_name} (partition {partition}) failed: "
        f"{context.failure_event.message}"
    )
