"""Export assets: ADX XML and dataValueSets JSON files per data set and period, validated."""

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext

from adx.model import DataValue, frame_to_values
from atomic_files import PendingFile, atomic_open, atomic_path
from pipelines import checks
from pipelines.assets import DatasetSpec
from pipelines.previews import paths_metadata
from pipelines.resources import DHIS2Resource, OutputDirectory
from pipelines.storage import export_path
from pipelines.values_store import StoredPeriods


def export_timestamp() -> datetime:
    """The ADX ``exported`` time: now, or ``SOURCE_DATE_EPOCH`` for reproducible files."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(UTC).replace(microsecond=0)


def write_adx_file(
    values: Sequence[DataValue], target: Path, exported: datetime, *, keep: bool
) -> tuple[int, list[str]]:
    """Write and XSD-validate one ADX document; publish it at ``target`` only when ``keep``.

    Validated before it is renamed into place, so the final name never holds a partial file.
    Without ``keep`` (JSON-only exports) the document is validated under a temporary name beside
    the target and removed.
    """
    from adx.adx_xml import write_adx
    from adx.xsd import validate_adx

    def write_and_validate(path: Path) -> tuple[int, list[str]]:
        with open(path, "wb") as out:
            count = write_adx(values, out, exported=exported)
        return count, list(validate_adx(path))

    if keep:
        with atomic_path(target) as tmp:
            return write_and_validate(tmp)
    pending = PendingFile(target)
    try:
        return write_and_validate(pending.path)
    finally:
        pending.discard()


def build_export_asset(
    spec: DatasetSpec,
    partitions_def: dg.PartitionsDefinition,
    retry_policy: dg.RetryPolicy | None = None,
) -> dg.AssetsDefinition:
    key = spec.export_key

    @dg.asset(
        key=key,
        group_name="exports",
        ins={"values": dg.AssetIn(spec.dataset_key)},
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        retry_policy=retry_policy,  # the pre-flight reads DHIS2 metadata
        check_specs=checks.export_check_specs(key),
        kinds={"xml", "json"},
        description=f"{spec.code}_<PERIOD>.adx.xml and .json files, validated against the ADX XSD "
        "and, when DHIS2 is configured, pre-flighted against its metadata.",
    )
    def _export(
        context: AssetExecutionContext,
        output: OutputDirectory,
        dhis2: DHIS2Resource,
        values: StoredPeriods,
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        from adx.adx_xml import sort_values
        from adx.dhis2.preflight import MetadataCache, preflight
        from adx.dvs_json import write_json

        root = output.root
        root.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        exported = export_timestamp()
        files: list[str] = []
        written: dict[str, int] = {}
        empty: list[str] = []
        adx_errors: dict[str, list[str]] = {}
        problems: list[object] | None = None
        with ExitStack() as stack:
            metadata = None
            if dhis2.configured:
                # DHIS2's metadata for the whole scope, read once for every period of the range.
                client = stack.enter_context(dhis2.client())
                metadata = MetadataCache(client, values.org_units())
                problems = []
            # One period at a time: memory stays bounded by a month, whatever the range.
            for period, frame in values:
                data_values = sort_values(frame_to_values(frame))
                adx_file = export_path(root, spec.code, period, "adx")
                json_file = export_path(root, spec.code, period, "json")
                for previous in (adx_file, json_file):
                    previous.unlink(missing_ok=True)  # never leave a file of an earlier run
                if not data_values:
                    # An ADX document needs at least one group: say so, write no invalid file.
                    empty.append(period)
                    context.log.warning(f"{spec.code} {period}: no values, no file written")
                    continue
                # The ADX is always written and validated (the XSD check gates the push), and
                # kept only when asked for.
                written[period], adx_errors[str(adx_file)] = write_adx_file(
                    data_values, adx_file, exported, keep=output.keep_adx
                )
                if output.keep_adx:
                    files.append(str(adx_file))
                if output.keep_json:
                    try:
                        with atomic_open(json_file, "wb") as out:
                            write_json(data_values, out)
                    except BaseException:
                        adx_file.unlink(missing_ok=True)  # a period's files: both or neither
                        raise
                    files.append(str(json_file))
                if metadata is not None:
                    problems += preflight(data_values, metadata)
        export_s = time.perf_counter() - started

        yield checks.adx_valid(key, adx_errors)
        reason = "DHIS2_URL not set" if not dhis2.configured else ""
        yield checks.preflight(key, problems, reason)
        context.log.info(f"{spec.code}: wrote {len(files)} files in {export_s:.2f}s")
        yield dg.MaterializeResult(
            metadata={
                "files": paths_metadata(files),
                "values": sum(written.values()),
                "values_per_period": dg.MetadataValue.json(written),
                "empty_periods": dg.MetadataValue.json(empty),
                "exported": exported.isoformat(),
                "seconds": round(export_s, 3),
            }
        )

    return _export
