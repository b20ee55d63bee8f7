"""DHIS2 push assets: import the data values, record the import summary, remove stale values,
register the data sets complete."""

import time
from collections.abc import Iterator

import dagster as dg
from dagster import AssetExecutionContext

from adx.dhis2.ledger import DEFAULT_NAME as LEDGER_NAME
from adx.dhis2.ledger import PushLedger
from adx.model import frame_to_values
from pipelines import checks
from pipelines.assets import DatasetSpec
from pipelines.partitions import context_periods
from pipelines.push_period import PeriodPush, PushTotals, push_period
from pipelines.resources import CatalogueConfig, DHIS2Resource, OutputDirectory
from pipelines.storage import dataset_path, org_units_path, read_periods


def build_push_asset(
    spec: DatasetSpec,
    partitions_def: dg.PartitionsDefinition,
    retry_policy: dg.RetryPolicy | None,
    pool: str,
) -> dg.AssetsDefinition:
    key = spec.push_key

    @dg.asset(
        key=key,
        group_name="dhis2",
        deps=[spec.export_key],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        retry_policy=retry_policy,
        pool=pool,
        check_specs=checks.push_check_specs(key),
        output_required=False,
        kinds={"dhis2"},
        description=f"{spec.code} imported into DHIS2 (dry run optional) and registered complete; "
        "values DHIS2 still holds for the same data set, org units (now or ever pushed: push "
        "ledger) and periods but no longer computed are removed. "
        "Skipped (no materialization) when DHIS2_URL is not set.",
    )
    def _push(
        context: AssetExecutionContext,
        output: OutputDirectory,
        dhis2: DHIS2Resource,
        catalogue: CatalogueConfig,
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        periods = context_periods(context)
        if not dhis2.configured:
            context.log.warning(f"{spec.code}: DHIS2_URL is not set, push skipped")
            # No materialization (nothing reached DHIS2); the check output is required, so it
            # reports the skip explicitly.
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name=checks.CONFLICTS,
                passed=True,
                metadata={"skipped": "DHIS2_URL not set: nothing pushed"},
            )
            return
        root = output.root
        data_set = catalogue.load().code(spec.code)  # the configured (possibly overridden) code
        scope_org_units = _scope_org_units(root, spec)
        ledger = PushLedger(dhis2.ledger_path or root / LEDGER_NAME)
        started = time.perf_counter()
        outcomes: list[PeriodPush] = []
        options = dhis2.push_options()
        with dhis2.client() as client:
            # One period at a time (memory bounded by a month); DHIS2 sees one import per period.
            for period in periods:
                frame = read_periods(
                    {period.id: dataset_path(root, spec.code, period.id)},
                    f"asset {spec.dataset_key.path[-1]!r}",
                )
                outcome = push_period(
                    client, list(frame_to_values(frame)), options,
                    data_set=data_set, period=period.id, scope_org_units=scope_org_units,
                    ledger=ledger, run_id=context.run_id, tolerance=dhis2.conflict_tolerance,
                    complete=dhis2.complete,
                )  # fmt: skip
                outcomes.append(outcome)
                context.log.info(
                    f"{spec.code} {period.id} → {dhis2.redacted_url}: {outcome.result.summary()}"
                )
                if outcome.refused:
                    # DHIS2 refused the import as a whole (unknown data set, no access):
                    # retrying cannot help, and nothing may be deleted after a failed push.
                    raise dg.Failure(
                        f"DHIS2 rejected the {spec.code} {period.id} import: "
                        f"{outcome.result.summary()}",
                        allow_retries=False,
                    )
                if outcome.sync is None:
                    context.log.warning(
                        f"{spec.code} {period.id}: stale-value removal skipped (push not clean)"
                    )
        totals = PushTotals.of(outcomes, dry_run=dhis2.dry_run)
        context.log.info(f"{spec.code}: {totals.stale_summary}; {totals.completeness_summary}")
        result = totals.result
        counts = result.counts
        conflict_texts = [str(c) for c in result.conflicts]
        yield dg.MaterializeResult(
            metadata={
                "dhis2": dhis2.redacted_url,
                "dry_run": dhis2.dry_run,
                "status": result.status,
                "values_sent": result.values_sent,
                "imported": counts.imported,
                "updated": counts.updated,
                "ignored": counts.ignored,
                "deleted": counts.deleted,
                "conflicts": len(conflict_texts),
                "stale_values_found": totals.stale_found,
                "stale_values_removed": totals.stale_removed,
                "stale_summary": totals.stale_summary,
                "registrations_complete": totals.registered,
                "registrations_removed": totals.unregistered,
                "completeness": totals.completeness_summary,
                "ledger": str(ledger.path),
                "summary": dg.MetadataValue.md(f"```\n{result.summary(max_conflicts=20)}\n```"),
                "seconds": round(time.perf_counter() - started, 3),
            },
            check_results=[
                checks.conflicts(
                    key,
                    result.ok(dhis2.conflict_tolerance) and not totals.problems,
                    conflict_texts + totals.problems,
                    dhis2.conflict_tolerance,
                )
            ],
        )

    return _push


def _scope_org_units(root, spec: DatasetSpec) -> list[str]:
    """Every DHIS2 org unit the data set answers for, as saved by the data set step."""
    frame = read_periods(
        {"org units": org_units_path(root, spec.code)}, f"org units of {spec.code}"
    )
    return sorted(frame["org_unit"].dropna().astype(str).unique())
