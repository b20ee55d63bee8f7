"""Where each asset persists its output, and the file helpers to write it.

Layout under the output directory::

    <CODE>_<PERIOD>.adx.xml, <CODE>_<PERIOD>.json      exports (what DHIS2 receives)
    snapshots/<CODE>/<FIRST>-<LAST>/<table>.parquet    extract assets (the run's snapshot)
    parquet/<asset>/<PERIOD>.parquet                   data set values, by the values IO manager
                                                       (``pipelines.io_manager``), checked; they
                                                       carry the check verdict and org unit scope
    parquet/<asset>/<PERIOD>.rejected.parquet          values whose blocking checks failed
    parquet/checks/<CODE>/<PERIOD>.reconciliation.json reconciliation problems (the run report)
    report_<FIRST>_<LAST>.html                         the run report

One values file per period, even when a range run computed many periods at once, so that a later
run of any single period finds its inputs. An empty period is an empty file, not a missing one.
Every file is written atomically (``atomic_files``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from adx.periods import Period
from atomic_files import write_text

PARQUET_DIR = "parquet"


class MissingInputError(FileNotFoundError):
    """An upstream asset has not been materialised for a period this step needs."""


def snapshot_dir(root: Path, code: str, periods: Sequence[Period]) -> Path:
    """The snapshot of a data set's run (its period range); the data set step reads it back."""
    return root / "snapshots" / code / f"{periods[0].id}-{periods[-1].id}"


def values_path(root: Path, asset: str, period: str) -> Path:
    """Where the values IO manager keeps ``asset``'s values of ``period`` (its layout)."""
    return root / PARQUET_DIR / asset / f"{period}.parquet"


def reconciliation_path(root: Path, code: str, period: str) -> Path:
    return root / PARQUET_DIR / "checks" / code / f"{period}.reconciliation.json"


def report_path(root: Path, first: str, last: str) -> Path:
    return root / (f"report_{first}.html" if first == last else f"report_{first}_{last}.html")


def export_path(root: Path, code: str, period: str, fmt: str) -> Path:
    suffix = {"adx": ".adx.xml", "json": ".json"}[fmt]
    return root / f"{code}_{period}{suffix}"


def write_reconciliation(root: Path, code: str, periods: Iterable[str], problems) -> None:
    """One small JSON per period: the reconciliation problems of that period (none: ``[]``)."""
    for pid in periods:
        texts = [str(p) for p in problems if getattr(p, "period", pid) == pid]
        doc = json.dumps({"period": pid, "problems": texts}, indent=1)
        write_text(reconciliation_path(root, code, pid), doc)
