"""Run the asset graph for a command: the monthly data sets, then the yearly population."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pipelines.commands._common import (
    ALL_DATASETS,
    CommandError,
    PeriodSpan,
    check_complete,
    check_database,
    database_url,
    progress,
    settings_for,
)

if TYPE_CHECKING:
    import dagster as dg

    from pipelines.assets import DatasetSpec
    from pipelines.resources import DHIS2Resource
    from pipelines.runner import RunOutcome


def failure_message(outcomes: Sequence[RunOutcome]) -> str:
    """One line naming what failed: failed checks first (with their first problem), then steps."""
    parts: list[str] = []
    for outcome in outcomes:
        for check in outcome.failed_checks():
            n = len(check.problems)
            count = f" ({n} problem{'s' if n != 1 else ''})" if n else ""
            first = f": {check.problems[0]}" if check.problems else ""
            parts.append(f"check {check.name} on {check.asset} failed{count}{first}")
        if not outcome.failed_checks():
            parts += outcome.failures
    return "; ".join(parts) or "the Dagster run failed (run with --verbose for details)"


def _check_period_types(config_path: str, selected: Sequence[str]) -> None:
    """A bad configuration file fails here, before any run; only monthly data sets are assets."""
    from aggregations import load_config

    config = load_config(config_path)
    for code, period_type in (
        ("OI_ENROLMENT", config.enrolment_period_type),
        ("OI_CLAIMS", config.claims_period_type),
    ):
        if period_type != "Monthly" and code in selected:
            raise CommandError(
                f"{config_path}: {code} is configured {period_type}; the Dagster "
                "assets are partitioned by month, so only Monthly is supported here"
            )


def _asset_keys(
    selected: Sequence[DatasetSpec], *, push: bool, stored: bool, report: bool
) -> list[dg.AssetKey]:
    """The assets to materialise for ``selected``: the chain (without the push unless asked),
    or the push alone for stored values; the run report after the monthly data sets."""
    from pipelines.assets.report import REPORT_KEY

    out: list[dg.AssetKey] = []
    for spec in selected:
        if stored:
            out.append(spec.push_key)
        else:
            out += spec.keys if push else spec.keys[:-1]
    if report and any(not s.yearly for s in selected):
        out.append(REPORT_KEY)
    return list(dict.fromkeys(out))


def _complete_years(span: PeriodSpan) -> list[str]:
    """The years of ``span`` that are over (a population is yearly); the others are announced."""
    this_year = str(datetime.now(UTC).year)
    for year in span.years:
        if year >= this_year:
            progress(f"OI_POPULATION {year} skipped: the year is not complete")
    return [y for y in span.years if y < this_year]


def run_datasets(
    args: argparse.Namespace,
    span: PeriodSpan,
    *,
    push: bool,
    dhis2: DHIS2Resource | None = None,
    formats: str = "both",
    check_db: bool = True,
    report: bool = False,
    stored: bool = False,
) -> list[RunOutcome]:
    """Materialise extract → data set → export (→ push) for the chosen data sets and periods.

    ``report``: also the run report (after the yearly population, which its coverage rate
    divides by). ``stored``: push only, the values an earlier run computed under the same output
    directory (no database needed); the values IO manager refuses them unless their blocking
    checks passed.
    """
    from pipelines.assets import dataset_spec
    from pipelines.automation import MONTHLY_JOB, YEARLY_JOB
    from pipelines.definitions import build_definitions
    from pipelines.resources import DHIS2Resource
    from pipelines.runner import environment, run_job

    url = None if stored else database_url(args)
    check_complete(span)
    if check_db and url:
        check_database(url)
    settings = settings_for(args, span)
    if settings.config_path:
        _check_period_types(settings.config_path, args.dataset or ALL_DATASETS)
    defs = build_definitions(settings, dhis2=dhis2 or DHIS2Resource(), formats=formats)
    specs = [dataset_spec(c) for c in dict.fromkeys(args.dataset or ALL_DATASETS)]
    monthly = [s for s in specs if not s.yearly]
    yearly = [s for s in specs if s.yearly]
    outcomes: list[RunOutcome] = []

    def run(job: str, first: str, last: str, selected: list[DatasetSpec]) -> None:
        keys = _asset_keys(selected, push=push, stored=stored, report=report)
        outcome = run_job(defs, job, first, last, keys, verbose=args.verbose)
        if outcome.interrupted:
            # Dagster turns Ctrl-C into a step failure; the command exits as interrupted (130).
            raise KeyboardInterrupt
        outcomes.append(outcome)

    def run_monthly() -> None:
        if monthly:
            progress(f"{' + '.join(s.code for s in monthly)} for {span} into {settings.out_dir}")
            run(MONTHLY_JOB, span.first, span.last, monthly)

    with environment({"OPENIMIS_DB_URL": url}):
        if not report:
            run_monthly()
        years = _complete_years(span) if yearly else []
        if years:
            progress(f"OI_POPULATION for {years[0]}..{years[-1]}")
            run(YEARLY_JOB, years[0], years[-1], yearly)
        if report:
            run_monthly()  # after the population, which the report's coverage rate divides by
    return outcomes


def raise_on_failure(outcomes: Sequence[RunOutcome]) -> None:
    """A failed step or any failed check (the post-push conflicts check is not blocking) fails."""
    bad = [o for o in outcomes if not o.success or o.failed_checks()]
    if bad:
        raise CommandError(failure_message(bad))


def exported_files(outcomes: Sequence[RunOutcome]) -> list[str]:
    files: list[str] = []
    for outcome in outcomes:
        for asset, meta in outcome.materialized.items():
            if asset.endswith("_export"):
                listed = meta.get("files") or []
                files += [str(f) for f in listed] if isinstance(listed, list) else []
    return files


def report_path_of(outcomes: Sequence[RunOutcome]) -> str | None:
    """The run report's path, when the run wrote one."""
    for outcome in outcomes:
        meta = outcome.materialized.get("run_report")
        if meta and meta.get("path"):
            return str(meta["path"])
    return None
