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
from pipelines.push_period import PeriodPush, PushTotals, push_period
from pipelines.resources import CatalogueConfig, DHIS2Resource, OutputDirectory
from pipelines.values_store import StoredPeriods


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
        # The values come from the data set through the IO manager, which hands them out only
        # when the data set's blocking checks passed (also in a push-only or retried run); the
        # export (XSD, pre-flight) runs first within a run.
        ins={"values": dg.AssetIn(spec.dataset_key)},
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
        values: StoredPeriods,
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
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
        data_set = catalogue.load().code(spec.code)  # the configured (possibly overridden) code
        root = output.root
        # The org units the data set answered for (kept with its checked values), widened by
        # the push ledger to every org unit pushed to before.
        scope_org_units = values.org_units()
        ledger = PushLedger(dhis2.ledger_path or root / LEDGER_NAME)
        started = time.perf_counter()
        outcomes: list[PeriodPush] = []
        options = dhis2.push_options()
        with dhis2.client() as client:
            # One period at a time (memory bounded by a month); DHIS2 sees one import per period.
            for period, frame in values:
                outcome = push_period(
                    client, list(frame_to_values(frame)), options,
                    data_set=data_set, period=period, scope_org_units=scope_org_units,
                    ledger=ledger, run_id=context.run.run_id, tolerance=dhis2.conflict_tolerance,
                    complete=dhis2.complete,
                )  # fmt: skip
                outcomes.append(outcome)
                context.log.info(
                    f"{spec.code} {period} → {dhis2.redacted_url}: {outcome.result.summary()}"
                )
                if outcome.refused:
                    # DHIS2 refused the import as a whole (unknown data set, no access):
                    # retrying cannot help, and nothing may be deleted after a failed push.
                    raise dg.Failure(
                        f"DHIS2 rejected the {spec.code} {period} import: "
                        f"{outcome.result.summary()}",
                        allow_retries=False,
                    )
                if outcome.sync is None:
                    context.log.warning(
                        f"{spec.code} {period}: stale-value removal skipped (push not clean)"
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
                "conflict_texts": dg.MetadataValue.json(conflict_texts[:50]),
                "stale_values_found": totals.stale_found,
                "stale_values_removed": totals.stale_removed,
                "stale_summary": totals.stale_summary,
                "completeness_registered": totals.registered,
                "completeness_removed": totals.unregistered,
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
