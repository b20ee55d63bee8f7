"""Data set assets: the run's snapshot → DuckDB → DHIS2 data values (adx FRAME_COLUMNS), with
the blocking checks (reconciliation in the same engine, org units mapped, values valid)."""

import time
from collections.abc import Iterator

import dagster as dg
from dagster import AssetExecutionContext

from pipelines import checks
from pipelines.assets import DatasetSpec
from pipelines.partitions import context_periods
from pipelines.previews import markdown_table, paths_metadata
from pipelines.resources import CatalogueConfig, OutputDirectory
from pipelines.storage import (
    MissingInputError,
    dataset_path,
    org_units_path,
    snapshot_dir,
    write_by_period,
    write_parquet,
    write_reconciliation,
)


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

    @dg.asset(
        key=key,
        group_name="datasets",
        deps=[dg.AssetKey(f) for f in spec.facts],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        retry_policy=retry_policy,
        check_specs=checks.dataset_check_specs(key),
        kinds={"pandas", "parquet"},
        description=f"DHIS2 data set {spec.code}: data values by org unit, period and category "
        "options, computed in DuckDB from the run's snapshot.",
    )
    def _dataset(
        context: AssetExecutionContext,
        output: OutputDirectory,
        catalogue: CatalogueConfig,
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
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
        org_units_frame = units
        paths = write_by_period(frame, periods, lambda pid: dataset_path(root, spec.code, pid))
        write_reconciliation(root, spec.code, [p.id for p in periods], problems)
        # The DHIS2 org units this data set answers for (stale-value removal scope), including
        # those without any value this time.
        scope = org_units_frame.loc[org_units_frame["side"] == spec.side, ["org_unit"]].dropna()
        write_parquet(
            scope.drop_duplicates().reset_index(drop=True), org_units_path(root, spec.code)
        )
        counts = frame.groupby("period").size().to_dict() if len(frame) else {}
        context.log.info(
            f"{spec.code}: {len(frame):,} values, {frame['org_unit'].nunique()} org units, "
            f"{periods[0].id}..{periods[-1].id}"
        )
        yield dg.MaterializeResult(
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
                "files": paths_metadata(paths),
                "preview": markdown_table(frame),
            },
            check_results=[
                checks.reconciliation(key, problems),
                checks.org_units_mapped(key, [], len(org_units_frame)),
                checks.values_valid(key, frame),
            ],
        )

    return _dataset
