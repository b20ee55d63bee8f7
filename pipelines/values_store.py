"""Checked data values on disk: one Parquet file per period, readable only after its checks passed.

The file of a period carries, in its Parquet key-value metadata, the verdict of the blocking
checks that ran on those values (run id, check name -> passed) and the DHIS2 org units the data
set answered for (the stale-value scope). Values whose checks passed are published under
``<period>.parquet``; values whose checks failed go to ``<period>.rejected.parquet`` (kept for
inspection) and the published file of that period is withdrawn, so no reader can take them, or an
older value, for good. Every read checks the verdict again: a file without one, or with a failed
or missing check, is refused with a message naming the period, the checks and the run.

No Dagster here: the IO manager (``pipelines.io_manager``) and the demo summary both use it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from atomic_files import atomic_open

VERDICT_KEY = b"openimis_dhis2.checks"
SCOPE_KEY = b"openimis_dhis2.org_units"
REJECTED_SUFFIX = ".rejected.parquet"


class UncheckedValuesError(RuntimeError):
    """Values were asked for whose blocking checks failed, did not run, or that do not exist."""


@dataclass(frozen=True)
class CheckVerdict:
    """The blocking checks that ran on a set of values, in one run."""

    run_id: str
    checks: Mapping[str, bool]

    def failed(self, required: Sequence[str] = ()) -> list[str]:
        """Checks that failed, and required ones that did not run (named ``<check> (not run)``)."""
        missing = [f"{name} (not run)" for name in required if name not in self.checks]
        return [name for name, ok in self.checks.items() if not ok] + missing

    def to_json(self) -> str:
        return json.dumps({"run_id": self.run_id, "checks": dict(self.checks)}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> CheckVerdict:
        doc = json.loads(text)
        return cls(str(doc["run_id"]), {str(k): bool(v) for k, v in doc["checks"].items()})


@dataclass(frozen=True)
class DatasetValues:
    """What a data set step hands on: its data values (adx ``FRAME_COLUMNS``, a ``period``
    column) and the DHIS2 org units it answers for, with or without values."""

    frame: pd.DataFrame
    org_units: tuple[str, ...]


def rejected_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".parquet") + REJECTED_SUFFIX)


def write_period(
    path: Path,
    frame: pd.DataFrame,
    org_units: Sequence[str],
    verdict: CheckVerdict,
    required: Sequence[str],
) -> Path:
    """Publish ``frame`` at ``path`` if every required check passed, else set it aside as rejected.

    Atomic (temporary file, fsync, rename); the other name of the period is removed afterwards, so
    a crash between the two leaves at worst a stale rejected file, never a published bad one.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[VERDICT_KEY] = verdict.to_json().encode()
    meta[SCOPE_KEY] = json.dumps(sorted(set(org_units))).encode()
    table = table.replace_schema_metadata(meta)
    passed = not verdict.failed(required)
    target, other = (path, rejected_path(path)) if passed else (rejected_path(path), path)
    if not passed:
        other.unlink(missing_ok=True)  # withdraw first: no window with an older value readable
    with atomic_open(target, "wb") as fh:
        pq.write_table(table, fh)
    if passed:
        other.unlink(missing_ok=True)
    return target


def _verdict_of(schema: pa.Schema) -> CheckVerdict | None:
    raw = (schema.metadata or {}).get(VERDICT_KEY)
    return CheckVerdict.from_json(raw) if raw else None


def gate(path: Path, required: Sequence[str], what: str) -> None:
    """Raise ``UncheckedValuesError`` unless ``path`` holds values whose required checks passed."""
    if not path.exists():
        rejected = rejected_path(path)
        if rejected.exists():
            verdict = _verdict_of(pq.read_schema(rejected))
            failed = verdict.failed(required) if verdict else ["(no check verdict)"]
            run = f" in run {verdict.run_id}" if verdict else ""
            raise UncheckedValuesError(
                f"{what} failed its blocking check(s) {', '.join(failed)}{run}: nothing downstream "
                "may use those values; fix the cause and materialise it again"
            )
        raise UncheckedValuesError(
            f"{what} is not materialised: materialise it first (select the upstream assets too)"
        )
    verdict = _verdict_of(pq.read_schema(path))
    if verdict is None:
        raise UncheckedValuesError(
            f"{what} ({path}) carries no check verdict: its blocking checks never ran on these "
            "values; materialise it again"
        )
    failed = verdict.failed(required)
    if failed:
        raise UncheckedValuesError(
            f"{what} did not pass its blocking check(s) {', '.join(failed)} in run "
            f"{verdict.run_id}: materialise it again"
        )


def read_period(path: Path, required: Sequence[str], what: str) -> tuple[pd.DataFrame, list[str]]:
    """The values and org unit scope of one period, after the gate."""
    gate(path, required, what)
    table = pq.read_table(path)
    # The gate read the schema only; check the verdict of what was actually read as well.
    verdict = _verdict_of(table.schema)
    if verdict is None or verdict.failed(required):
        raise UncheckedValuesError(f"{what} changed while being read; run again")
    scope = json.loads((table.schema.metadata or {}).get(SCOPE_KEY, b"[]"))
    return table.to_pandas(), [str(u) for u in scope]


@dataclass(frozen=True)
class StoredPeriods:
    """Checked values of a period range, read one period at a time (memory bounded by a period).

    Built only after every period passed the gate; each read checks it again.
    """

    paths: Mapping[str, Path]  # period id -> published file, in period order
    required: tuple[str, ...]
    what: str  # e.g. "asset 'claims_dataset'"

    @property
    def periods(self) -> list[str]:
        return list(self.paths)

    def read(self, period: str) -> pd.DataFrame:
        return read_period(self.paths[period], self.required, f"{self.what} {period}")[0]

    def __iter__(self) -> Iterator[tuple[str, pd.DataFrame]]:
        for period in self.paths:
            yield period, self.read(period)

    def org_units(self) -> list[str]:
        """Union of the org unit scopes of the periods (the stale-value scope)."""
        units: set[str] = set()
        for path in self.paths.values():
            raw = (pq.read_schema(path).metadata or {}).get(SCOPE_KEY, b"[]")
            units.update(json.loads(raw))
        return sorted(units)


def open_periods(paths: Mapping[str, Path], required: Sequence[str], what: str) -> StoredPeriods:
    """Gate every period, then hand out a lazy reader; the first refusal names its period."""
    for period, path in paths.items():
        gate(path, required, f"{what} {period}")
    return StoredPeriods(dict(paths), tuple(required), what)


def open_materialised(
    paths: Mapping[str, Path], required: Sequence[str], what: str
) -> StoredPeriods:
    """Like ``open_periods``, over the periods that were materialised (published or set aside);
    periods never computed are left out. A period whose checks failed is still refused: a summary
    or report must not show values nothing downstream may use."""
    present = {
        period: path
        for period, path in paths.items()
        if path.exists() or rejected_path(path).exists()
    }
    return open_periods(present, required, what)
