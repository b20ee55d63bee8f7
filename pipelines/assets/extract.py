"""Extract assets: one set-based SQL aggregate per fact over the run's whole period range."""

import time

import dagster as dg
from dagster import AssetExecutionContext

from pipelines.partitions import context_periods
from pipelines.previews import markdown_table, paths_metadata
from pipelines.resources import CatalogueConfig, OpenIMISDatabase, OutputDirectory
from pipelines.storage import fact_path, write_by_period

_DESCRIPTIONS = {
    "insurees": "Insurees at finest grain (residence × sex × age) from tblInsuree/tblFamilies.",
    "policies": "Policies and insuree policies at finest grain (residence × product × stage).",
    "contributions": "Contributions collected and earned per product, from tblPremium.",
    "claims": "Claims, claim lines and settlement facts per health facility, from tblClaim.",
    "population": "Target population and families per location, from tblLocations.",
}


def build_fact_asset(
    fact: str,
    partitions_def: dg.PartitionsDefinition,
    retry_policy: dg.RetryPolicy | None,
) -> dg.AssetsDefinition:
    @dg.asset(
        name=fact,
        group_name="extract",
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        retry_policy=retry_policy,
        kinds={"sql", "parquet"},
        description=_DESCRIPTIONS.get(fact, f"The {fact} fact, aggregated in the database."),
    )
    def _extract(
        context: AssetExecutionContext,
        database: OpenIMISDatabase,
        output: OutputDirectory,
        catalogue: CatalogueConfig,
    ) -> dg.MaterializeResult:
        from aggregations import extract_fact

        periods = context_periods(context)
        config = catalogue.load()
        started = time.perf_counter()
        with database.engine() as engine:
            # One query for the whole range: a backfill of a year scans each table once.
            frame = extract_fact(engine, fact, periods, config)
        query_s = time.perf_counter() - started
        paths = write_by_period(frame, periods, lambda pid: fact_path(output.root, fact, pid))
        context.log.info(
            f"{len(frame):,} {fact} fact rows for {periods[0].id}..{periods[-1].id} "
            f"from {database.redacted_url} in {query_s:.2f}s"
        )
        return dg.MaterializeResult(
            metadata={
                "rows": len(frame),
                "periods": f"{periods[0].id}..{periods[-1].id}",
                "database": database.redacted_url,
                "query_seconds": round(query_s, 3),
                "files": paths_metadata(paths),
                "preview": markdown_table(frame),
            }
        )

    return _extract
