"""The Dagster code location: ``defs`` (loaded by ``dagster_workspace.yaml`` and ``dagster dev``).

Loads without any secret set: the database URL and DHIS2 credentials are ``EnvVar``s resolved
when a run starts. Non-secret settings come from the environment (``pipelines.settings``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import dagster as dg

from pipelines.assets import DATASETS
from pipelines.assets.datasets import build_dataset_asset
from pipelines.assets.exports import build_export_asset
from pipelines.assets.extract import build_snapshot_asset
from pipelines.assets.push import build_push_asset
from pipelines.assets.report import build_report_asset
from pipelines.automation import build_jobs, build_schedules, log_run_failures
from pipelines.io_manager import VALUES_IO_MANAGER, ValuesIOManager
from pipelines.partitions import monthly_partitions, yearly_partitions
from pipelines.resources import (
    CatalogueConfig,
    DHIS2Resource,
    OpenIMISDatabase,
    OutputDirectory,
    dhis2_from_env,
)
from pipelines.runner import LOGGERS
from pipelines.settings import Settings
from pipelines.storage import PARQUET_DIR


def build_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    with warnings.catch_warnings():
        # Single-run backfill policies are marked beta in Dagster 1.13; we rely on them knowingly.
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _build_assets(settings)


def _build_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    monthly = monthly_partitions(settings.start, settings.timezone)
    yearly = yearly_partitions(settings.start, settings.timezone)
    retry = None
    if settings.retries:
        # Transient failures (database restart, DHIS2 502/timeouts); DHIS2 conflicts and
        # configuration errors raise Failure(allow_retries=False) and are never retried.
        retry = dg.RetryPolicy(
            max_retries=settings.retries,
            delay=settings.retry_delay_seconds,
            backoff=dg.Backoff.EXPONENTIAL,
            jitter=dg.Jitter.PLUS_MINUS,
        )
    assets: list[dg.AssetsDefinition] = []
    for spec in DATASETS:
        parts = yearly if spec.yearly else monthly
        assets.append(build_snapshot_asset(spec, parts, retry))
        assets.append(build_dataset_asset(spec, parts, retry))
        assets.append(build_export_asset(spec, parts, retry))
        assets.append(build_push_asset(spec, parts, retry, settings.push_pool))
    assets.append(build_report_asset(monthly))
    return assets


def build_definitions(
    settings: Settings | None = None,
    dhis2: DHIS2Resource | None = None,
    formats: str = "both",
) -> dg.Definitions:
    """The definitions for ``settings`` (default: from the environment); the CLI passes its own."""
    settings = settings or Settings.from_env()
    monthly = monthly_partitions(settings.start, settings.timezone)
    yearly = yearly_partitions(settings.start, settings.timezone)
    monthly_job, yearly_job = build_jobs(monthly, yearly)
    return dg.Definitions(
        assets=build_assets(settings),
        jobs=[monthly_job, yearly_job],
        schedules=build_schedules(settings, monthly_job, yearly_job),
        sensors=[log_run_failures],
        loggers=LOGGERS,
        resources={
            "database": OpenIMISDatabase(url=dg.EnvVar("OPENIMIS_DB_URL")),
            "dhis2": dhis2 or dhis2_from_env(),
            "output": OutputDirectory(path=settings.out_dir, formats=formats),
            "catalogue": CatalogueConfig(path=settings.config_path),
            VALUES_IO_MANAGER: ValuesIOManager(base_dir=str(Path(settings.out_dir) / PARQUET_DIR)),
        },
    )


defs = build_definitions()
