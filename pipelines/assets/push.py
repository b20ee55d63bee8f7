"""DHIS2 push assets: import the data values, record the import summary, remove stale values."""

import time
from collections.abc import Iterator

import dagster as dg
from dagster import AssetExecutionContext

from adx.dhis2.import_summary import ImportResult, combine
from adx.dhis2.sync import Scope, SyncResult, remove_stale
from adx.model import frame_to_values
from pipelines import checks
from pipelines.assets import DatasetSpec
from pipelines.resources import CatalogueConfig, DHIS2Resource
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
        description=f"{spec.code} imported into DHIS2 (dry run optional); values DHIS2 still "
        "holds for the same data set, org units and periods but no longer computed are removed. "
        "Skipped (no materialization) when DHIS2_URL is not set.",
    )
    def _push(
        context: AssetExecutionContext,
        dhis2: DHIS2Resource,
        catalogue: CatalogueConfig,
        values: StoredPeriods,
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        periods = values.periods
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
        scope_org_units = values.org_units()
        started = time.perf_counter()
        results: list[ImportResult] = []
        syncs: list[SyncResult] = []
        with dhis2.client() as client:
            # One period at a time (memory bounded by a month); DHIS2 sees one import per period.
            for period, frame in values:
                data_values = list(frame_to_values(frame))
                result = client.push(data_values, dry_run=dhis2.dry_run, async_=dhis2.async_import)
                results.append(result)
                context.log.info(f"{spec.code} {period} → {dhis2.redacted_url}: {result.summary()}")
                if any(c.status == "ERROR" for c in result.chunks) and not result.counts.total:
                    # DHIS2 refused the import as a whole (unknown data set, no access):
                    # retrying cannot help, and nothing may be deleted after a failed push.
                    raise dg.Failure(
                        f"DHIS2 rejected the {spec.code} {period} import: {result.summary()}",
                        allow_retries=False,
                    )
                if result.ok(dhis2.conflict_tolerance):
                    syncs.append(
                        remove_stale(
                            client,
                            data_values,
                            Scope.of(data_set, scope_org_units, [period]),
                            dry_run=dhis2.dry_run,
                        )
                    )
                else:
                    # A push with too many conflicts must not delete anything.
                    context.log.warning(
                        f"{spec.code} {period}: stale-value removal skipped (push not clean)"
                    )
        result = combine(results)
        stale_found = sum(len(s.stale) for s in syncs)
        stale_removed = sum(s.deleted for s in syncs)
        sync_problems = [s.summary() for s in syncs if not s.ok()]
        stale_summary = (
            f"stale values: {stale_found} found, {stale_removed} deleted"
            + (" (dry run)" if dhis2.dry_run else "")
            + (
                ""
                if len(syncs) == len(periods)
                else f"; skipped for {len(periods) - len(syncs)} period(s)"
            )
        )
        context.log.info(f"{spec.code}: {stale_summary}")
        push_s = time.perf_counter() - started
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
                "stale_values_found": stale_found,
                "stale_values_removed": stale_removed,
                "stale_summary": stale_summary,
                "summary": dg.MetadataValue.md(f"```\n{result.summary(max_conflicts=20)}\n```"),
                "seconds": round(push_s, 3),
            },
            check_results=[
                checks.conflicts(
                    key,
                    result.ok(dhis2.conflict_tolerance) and not sync_problems,
                    conflict_texts + sync_problems,
                    dhis2.conflict_tolerance,
                )
            ],
        )

    return _push
