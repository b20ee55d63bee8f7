"""The run report asset: one offline HTML page per run, linked from its materialization."""

from collections.abc import Sequence

import dagster as dg
from dagster import AssetExecutionContext

from pipelines.assets import DATASETS
from pipelines.partitions import context_periods
from pipelines.resources import CatalogueConfig, OutputDirectory

REPORT_KEY = dg.AssetKey("run_report")


def build_report_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    monthly = [s for s in DATASETS if not s.yearly]
    deps = [s.dataset_key for s in monthly] + [s.push_key for s in monthly]

    @dg.asset(
        key=REPORT_KEY,
        group_name="report",
        deps=deps,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"html"},
        description="Offline HTML report of the run: headline indicators, 12-month trends, org "
        "units ranked, data quality, reconciliation and (after a push) DHIS2's answers.",
    )
    def _report(
        context: AssetExecutionContext, output: OutputDirectory, catalogue: CatalogueConfig
    ) -> dg.MaterializeResult:
        from pipelines.report.build import write_run_report

        months = [p.id for p in context_periods(context)]
        config = catalogue.load()
        written = write_run_report(
            output.root, months, code=config.code, pushes=_pushes_of_this_run(context, monthly)
        )
        context.log.info(f"run report: {written.path} ({written.bytes:,} bytes)")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(written.path)),
                "url": dg.MetadataValue.url(written.path.as_uri()),
                "bytes": written.bytes,
                "summary": dg.MetadataValue.md(written.markdown),
            }
        )

    return _report


def _pushes_of_this_run(context: AssetExecutionContext, specs: Sequence) -> list:
    """Push results materialised by this very run (none when the run did not push)."""
    from pipelines.report.sources import push_outcome

    out = []
    for spec in specs:
        event = context.instance.get_latest_materialization_event(spec.push_key)
        if event is None or event.run_id != context.run.run_id:
            continue
        meta = {k: getattr(v, "value", v) for k, v in event.asset_materialization.metadata.items()}
        out.append(push_outcome(spec.code, meta, meta.get("conflict_texts") or ()))
    return out
