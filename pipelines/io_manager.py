"""The IO manager of the period-partitioned data values passed between assets.

Dagster's ``UPathIOManager`` gives the layout: ``<base>/<asset key>/<partition key>.parquet``, the
partition key being the DHIS2 period id (``202402``, ``2024``). On top of it:

- a single-run backfill writes one file per period of its range (``UPathIOManager`` refuses
  outputs spanning several partitions): the frame is split on its ``period`` column;
- every file is written atomically and carries the verdict of the asset's blocking checks
  (``pipelines.values_store``); values whose checks failed are set aside, never published;
- an input is a ``StoredPeriods`` reader, built only when every period passed its checks, so a
  push-only run, or a retried push, refuses values that failed or never ran their checks.

The producing asset declares its blocking checks in its definition metadata
(``BLOCKING_CHECKS``) and reports their outcome in the output metadata (``CHECK_VERDICT``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from dagster._core.storage.upath_io_manager import UPathIOManager
from pydantic import Field

from pipelines.values_store import (
    CheckVerdict,
    DatasetValues,
    StoredPeriods,
    UncheckedValuesError,
    open_periods,
    write_period,
)

if TYPE_CHECKING:
    from upath import UPath

VALUES_IO_MANAGER = "values_io_manager"
BLOCKING_CHECKS = "openimis_dhis2/blocking_checks"  # definition metadata: list of check names
CHECK_VERDICT = "openimis_dhis2/check_verdict"  # output metadata: {check name: passed}


def verdict_metadata(results: Sequence[dg.AssetCheckResult]) -> dict[str, dg.MetadataValue]:
    """Output metadata recording the outcome of the checks computed with the values."""
    verdict = {str(r.check_name): bool(r.passed) for r in results}
    return {CHECK_VERDICT: dg.MetadataValue.json(verdict)}


def _required(metadata: Mapping[str, object] | None) -> list[str]:
    """The blocking checks an asset declared (none declared: none required)."""
    raw = (metadata or {}).get(BLOCKING_CHECKS) or []
    raw = getattr(raw, "value", raw)
    if not isinstance(raw, list | tuple):
        raise TypeError(f"{BLOCKING_CHECKS} must list check names, not {type(raw).__name__}")
    return [str(x) for x in raw]


class PeriodParquetIOManager(UPathIOManager):
    """``DatasetValues`` out, ``StoredPeriods`` in; one Parquet file per period (local disk)."""

    extension = ".parquet"

    def dump_to_path(self, context: dg.OutputContext, obj: DatasetValues, path: UPath) -> None:
        raise NotImplementedError("handle_output writes per period")  # pragma: no cover

    def load_from_path(self, context: dg.InputContext, path: UPath) -> object:
        raise NotImplementedError("load_input reads per period")  # pragma: no cover

    def _paths(self, context: dg.InputContext | dg.OutputContext) -> dict[str, Path]:
        if not context.has_asset_partitions:
            raise dg.Failure(
                f"{context.asset_key.to_user_string()}: the values IO manager needs "
                "period-partitioned assets",
                allow_retries=False,
            )
        paths = self._get_paths_for_partitions(context)
        return {str(k): Path(str(p)) for k, p in sorted(paths.items())}

    def handle_output(self, context: dg.OutputContext, obj: DatasetValues) -> None:
        if not isinstance(obj, DatasetValues):
            raise TypeError(f"expected DatasetValues, got {type(obj).__name__}")
        paths = self._paths(context)
        required = _required(context.definition_metadata)
        checks = getattr(context.output_metadata.get(CHECK_VERDICT), "value", None) or {}
        verdict = CheckVerdict(context.run_id, {str(k): bool(v) for k, v in checks.items()})
        frame = obj.frame
        keys = frame["period"].astype("string")
        unexpected = sorted(set(keys.dropna().unique()) - set(paths))
        if unexpected:
            raise ValueError(
                f"{context.asset_key.to_user_string()} holds periods {unexpected} outside the "
                f"run's partitions {min(paths)}..{max(paths)}"
            )
        written = [
            write_period(
                path,
                frame[keys == period].reset_index(drop=True),
                obj.org_units,
                verdict,
                required,
            )
            for period, path in paths.items()
        ]
        failed = verdict.failed(required)
        if failed:
            context.log.warning(
                f"{context.asset_key.to_user_string()}: blocking check(s) {', '.join(failed)} "
                f"failed; values set aside, not published: {', '.join(p.name for p in written)}"
            )
        context.add_output_metadata({"files": dg.MetadataValue.json([str(p) for p in written])})

    def load_input(self, context: dg.InputContext) -> StoredPeriods:
        upstream = context.upstream_output
        required = _required(upstream.definition_metadata if upstream else None)
        what = f"asset {context.asset_key.to_user_string()!r}"
        try:
            return open_periods(self._paths(context), required, what)
        except UncheckedValuesError as exc:
            raise dg.Failure(str(exc), allow_retries=False) from None


class ValuesIOManager(dg.ConfigurableIOManagerFactory[PeriodParquetIOManager]):
    """Checked, period-partitioned data values as Parquet under ``base_dir``."""

    base_dir: str = Field(description="folder of the Parquet files (OPENIMIS_DHIS2_OUT/parquet)")

    def create_io_manager(self, context: dg.InitResourceContext) -> PeriodParquetIOManager:
        from upath import UPath

        return PeriodParquetIOManager(base_path=UPath(Path(self.base_dir).expanduser().resolve()))
