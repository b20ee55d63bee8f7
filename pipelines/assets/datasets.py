"""Data set assets: the run's snapshot → DuckDB → DHIS2 data values (adx FRAME_COLUMNS), with
the blocking checks (reconciliation in the same engine, org units mapped, values valid)."""

import time
from collections.abc import Iterator

import dagster as dg
from dagster import AssetExecutionContext

from pipelines import checks
from pipelines.assets import DatasetSpec
from pipelines.io_manager import BLOCKING_CHECKS, VALUES_IO_MANAGER, verdict_metadata
from pipelines.partitions import context_periods
from pipelines.previews import markdown_table
from pipelines.resources import CatalogueConfig, OutputDirectory
from pipelines.storage import MissingInputError, snapshot_dir, write_reconciliation
from pipelines.values_store import DatasetValues


def unmapped_of(exc: Exception) -> list[str]:
    """The unmapped org units named by an ``UnmappedOrgUnitsError`` (its message otherwise)."""
    for attr in ("unmapped", "codes", "org_units"):
        found = getattr(exc, attr, None)
        if found:
            return [str(x) for x in found]
    return [str(exc)]


def build_dataset_asset(
    spec: DatasetSpec,
    partitions_def: dg.PartitionsDefinition,
    retry_policy: dg.RetryPolicy | None,
) -> dg.AssetsDefinition:
    key = spec.dataset_key
    check_specs = checks.dataset_check_specs(key)

    @dg.asset(
        key=key,
        group_name="datasets",
        deps=[dg.AssetKey(f) for f in spec.facts],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        retry_policy=retry_policy,
        check_specs=check_specs,
        # The values are published for downstream assets only when these checks passed.
        io_manager_key=VALUES_IO_MANAGER,
        metadata={BLOCKING_CHECKS: [c.name for c in check_specs if c.blocking]},
        kinds={"pandas", "parquet"},
        description=f"DHIS2 data set {spec.code}: data values by org unit, period and category "
        "options, computed in DuckDB from the run's snapshot.",
    )
    def _dataset(
        context: AssetExecutionContext,
        output: OutputDirectory,
        catalogue: CatalogueConfig,
    ) -> Iterator[dg.Output[DatasetValues] | dg.AssetCheckResult]:
        from aggregations import UnmappedOrgUnitsError, compute_dataset, org_units, reconcile
        from openimis_db.snapshot import SnapshotError, load_snapshot

        periods = context_periods(context)
        root = output.root
        config = catalogue.load()
        started = time.perf_counter()
        directory = snapshot_dir(root, spec.code, periods)
        try:
            snapshot = load_snapshot(directory)
        except (SnapshotError, FileNotFoundError) as exc:
            raise MissingInputError(
                f"no snapshot of {spec.code} for {periods[0].id}..{periods[-1].id} in "
                f"{directory}: materialise {spec.facts[0]!r} for the same range first ({exc})"
            ) from exc
        units = org_units(snapshot, config)
        try:
            frame = compute_dataset(snapshot, spec.code, periods, config)
        except UnmappedOrgUnitsError as exc:
            # Recorded as a failed check (visible in the UI), then the step fails: no push.
            yield checks.org_units_mapped(key, unmapped_of(exc), len(units))
            raise dg.Failure(str(exc), allow_retries=False) from exc
        build_s = time.perf_counter() - started
        problems = reconcile(snapshot, spec.code, frame, periods, config)
        write_reconciliation(root, spec.code, [p.id for p in periods], problems)
        # The DHIS2 org units this data set answers for (stale-value removal scope), including
        # those without any value this time; the IO manager keeps them with the values.
        scope = units.loc[units["side"] == spec.side, "org_unit"].dropna()
        results = [
            checks.reconciliation(key, problems),
            checks.org_units_mapped(key, [], len(units)),
            checks.values_valid(key, frame),
        ]
        # Checks first: the IO manager publishes the values only if they passed.
        yield from results
        counts = frame.groupby("period").size().to_dict() if len(frame) else {}
        context.log.info(
            f"{spec.code}: {len(frame):,} values, {frame['org_unit'].nunique()} org units, "
            f"{periods[0].id}..{periods[-1].id}"
        )
        yield dg.Output(
            DatasetValues(frame, tuple(sorted(set(scope.astype(str))))),
            metadata={
                "values": len(frame),
                "org_units": int(frame["org_unit"].nunique()),
                "values_per_period": dg.MetadataValue.json(
                    {p.id: int(counts.get(p.id, 0)) for p in periods}
                ),
                "data_elements": dg.MetadataValue.json(
                    sorted(frame["data_element"].unique().tolist())
                ),
                "seconds": round(build_s, 3),
                "preview": markdown_table(frame),
                **verdict_metadata(results),
            },
        )

    return _dataset
