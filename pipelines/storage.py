"""Where each asset persists its output, and the Parquet/file helpers to read it back.

Layout under the output directory::

    <CODE>_<PERIOD>.adx.xml, <CODE>_<PERIOD>.json      exports (what DHIS2 receives)
    parquet/facts/<fact>/<PERIOD>.parquet              extract assets (finest-grain facts)
    parquet/<asset>/<PERIOD>.parquet                   data set values, by the values IO manager
                                                       (``pipelines.io_manager``), checked
    parquet/<asset>/<PERIOD>.rejected.parquet          values whose blocking checks failed

One file per period, even when a range run computed many periods at once, so that a later
run of any single period finds its inputs. An empty period is an empty file, not a missing one.
Every file is written atomically (``atomic_files``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from adx.periods import Period
from atomic_files import atomic_open

PARQUET_DIR = "parquet"


class MissingInputError(FileNotFoundError):
    """An upstream asset has not been materialised for a period this step needs."""


def fact_path(root: Path, fact: str, period: str) -> Path:
    return root / PARQUET_DIR / "facts" / fact / f"{period}.parquet"


def values_path(root: Path, asset: str, period: str) -> Path:
    """Where the values IO manager keeps ``asset``'s values of ``period`` (its layout)."""
    return root / PARQUET_DIR / asset / f"{period}.parquet"


def export_path(root: Path, code: str, period: str, fmt: str) -> Path:
    suffix = {"adx": ".adx.xml", "json": ".json"}[fmt]
    return root / f"{code}_{period}{suffix}"


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write atomically (temp file, fsync, rename) so a failed step never leaves half a file."""
    with atomic_open(path, "wb") as fh:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), fh)
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
