"""Where each asset persists its output, and the Parquet/file helpers to read it back.

Layout under the output directory::

    <CODE>_<PERIOD>.adx.xml, <CODE>_<PERIOD>.json      exports (what DHIS2 receives)
    snapshots/<CODE>/<FIRST>-<LAST>/<table>.parquet    extract assets (the run's snapshot)
    parquet/datasets/<CODE>/<PERIOD>.parquet           data set assets (adx FRAME_COLUMNS)
    parquet/org_units/<CODE>.parquet                   org units the data set maps to
    parquet/checks/<CODE>/<PERIOD>.reconciliation.json reconciliation problems (the run report)
    report_<FIRST>_<LAST>.html                         the run report

One file per period, even when a range run computed many periods at once, so that a later
run of any single period finds its inputs. An empty period is an empty file, not a missing one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from adx.periods import Period


class MissingInputError(FileNotFoundError):
    """An upstream asset has not been materialised for a period this step needs."""


def snapshot_dir(root: Path, code: str, periods: Sequence[Period]) -> Path:
    """The snapshot of a data set's run (its period range); the data set step reads it back."""
    return root / "snapshots" / code / f"{periods[0].id}-{periods[-1].id}"


def dataset_path(root: Path, code: str, period: str) -> Path:
    return root / "parquet" / "datasets" / code / f"{period}.parquet"


def org_units_path(root: Path, code: str) -> Path:
    return root / "parquet" / "org_units" / f"{code}.parquet"


def reconciliation_path(root: Path, code: str, period: str) -> Path:
    return root / "parquet" / "checks" / code / f"{period}.reconciliation.json"


def report_path(root: Path, first: str, last: str) -> Path:
    return root / (f"report_{first}.html" if first == last else f"report_{first}_{last}.html")


def export_path(root: Path, code: str, period: str, fmt: str) -> Path:
    suffix = {"adx": ".adx.xml", "json": ".json"}[fmt]
    return root / f"{code}_{period}{suffix}"


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write atomically (temp file + rename) so a crashed step never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    return path


def write_by_period(
    frame: pd.DataFrame, periods: Iterable[Period], path_of, *, column: str = "period"
) -> list[Path]:
    """Split ``frame`` on its period column and write one file per period (empty ones too)."""
    if column not in frame.columns:
        raise ValueError(
            f"frame has no {column!r} column to split on; columns: {list(frame.columns)}"
        )
    keys = frame[column].astype("string")
    ids = [p.id for p in periods]
    unexpected = sorted(set(keys.dropna().unique()) - set(ids))
    if unexpected:
        raise ValueError(
            f"frame holds periods {unexpected} outside the run's periods {ids[0]}..{ids[-1]}"
        )
    paths = []
    for pid in ids:
        part = frame[keys == pid].reset_index(drop=True)
        paths.append(write_parquet(part, path_of(pid)))
    return paths


def read_periods(paths_by_period: dict[str, Path], what: str) -> pd.DataFrame:
    """Concatenate the per-period files; a missing one names the asset to materialise first."""
    missing = [pid for pid, p in paths_by_period.items() if not p.exists()]
    if missing:
        raise MissingInputError(
            f"{what} is not materialised for period(s) {', '.join(missing)}: materialise it "
            "first (select the upstream assets too)"
        )
    frames = [pd.read_parquet(p) for p in paths_by_period.values()]
    non_empty = [f for f in frames if len(f)]
    if not non_empty:
        return frames[0].iloc[0:0] if frames else pd.DataFrame()
    return pd.concat(non_empty, ignore_index=True)


def write_reconciliation(root: Path, code: str, periods: Iterable[str], problems) -> None:
    """One small JSON per period: the reconciliation problems of that period (none: ``[]``)."""
    import json

    for pid in periods:
        texts = [str(p) for p in problems if getattr(p, "period", pid) == pid]
        path = reconciliation_path(root, code, pid)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"period": pid, "problems": texts}, indent=1), encoding="utf-8")
        os.replace(tmp, path)
