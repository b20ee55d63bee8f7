"""Extract assets: the snapshot of a data set's source tables over the run's whole period range.

The only step that touches the openIMIS server: the needed columns of each table, current rows
(claims and their lines restricted to the range), in one read-only consistent transaction,
written as Parquet under the run's data directory; everything downstream reads the snapshot.
"""

import time

import dagster as dg
from dagster import AssetExecutionContext

from pipelines.assets import DatasetSpec
from pipelines.partitions import context_periods
from pipelines.previews import paths_metadata
from pipelines.resources import CatalogueConfig, OpenIMISDatabase, OutputDirectory
from pipelines.storage import snapshot_dir


def _description(code: str) -> str:
    from aggregations.registry import DATASETS, FACTS

    spec = DATASETS[code]
    tables = sorted({s.table for f in spec.facts for s in FACTS[f].sources})
    return f"Snapshot for {code} ({spec.description}) from {', '.join(tables)}."


def build_snapshot_asset(
    spec: DatasetSpec,
    partitions_def: dg.PartitionsDefinition,
    retry_policy: dg.RetryPolicy | None,
) -> dg.AssetsDefinition:
    @dg.asset(
        name=spec.facts[0],
        group_name="extract",
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        retry_policy=retry_policy,
        kinds={"sql", "parquet"},
        description=_description(spec.code),
    )
    def _extract(
        context: AssetExecutionContext,
        database: OpenIMISDatabase,
        output: OutputDirectory,
        catalogue: CatalogueConfig,
    ) -> dg.MaterializeResult:
        from aggregations import snapshot_reads
        from openimis_db.snapshot import read_snapshot

        periods = context_periods(context)
        config = catalogue.load()
        started = time.perf_counter()
        directory = snapshot_dir(output.root, spec.code, periods)
        # One read of each table for the whole range: a backfill of a year scans each once.
        snap = read_snapshot(database.url, snapshot_reads([spec.code], periods, config), directory)
        seconds = time.perf_counter() - started
        rows = {name: t.rows for name, t in snap.tables.items()}
        context.log.info(
            f"snapshot of {len(rows)} tables ({sum(rows.values()):,} rows) for "
            f"{periods[0].id}..{periods[-1].id} from {database.redacted_url} in {seconds:.2f}s"
        )
        return dg.MaterializeResult(
            metadata={
                "rows": dg.MetadataValue.json(rows),
                "bytes": sum(t.bytes for t in snap.tables.values()),
                "taken_at": snap.taken_at.isoformat(),
                "periods": f"{periods[0].id}..{periods[-1].id}",
                "database": database.redacted_url,
                "seconds": round(seconds, 3),
                "files": paths_metadata([t.path for t in snap.tables.values()]),
            }
        )

    return _extract
