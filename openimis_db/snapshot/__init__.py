"""The snapshot reader: the columns the catalogue needs, current rows only, every table in one
read-only consistent transaction, streamed as Arrow batches into Parquet (see docs/snapshot.md)."""

from .files import load_snapshot
from .model import (
    DateWindow,
    Snapshot,
    SnapshotError,
    SnapshotTable,
    TableRead,
    arrow_schema,
    arrow_type,
)
from .reader import MAX_LOCK_TIMEOUT_S, SnapshotInterrupted, read_snapshot
from .statements import CLAIM_DATES, render_statements

__all__ = [
    "CLAIM_DATES",
    "DateWindow",
    "MAX_LOCK_TIMEOUT_S",
    "Snapshot",
    "SnapshotError",
    "SnapshotInterrupted",
    "SnapshotTable",
    "TableRead",
    "arrow_schema",
    "arrow_type",
    "load_snapshot",
    "read_snapshot",
    "render_statements",
]
