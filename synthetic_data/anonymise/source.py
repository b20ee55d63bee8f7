"""Reading the source through the snapshot reader (``openimis_db.snapshot``): every modeled column of
every modeled table, history rows included, in one read-only transaction, into Parquet; then the
avoid set, the latest data month and the record batches come from those files, not from the server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa

from openimis_db import tables as t
from openimis_db.snapshot import Snapshot, TableRead, read_snapshot

from .policy import REPLACED_KINDS, TEXT_COLUMNS, Action
from .probe import SourceTable
from .pseudonym import AvoidSet, value_hashes

__all__ = [
    "source_reads",
    "read_source",
    "iter_batches",
    "collect_avoid_set",
    "latest_month",
]

_NAME_KINDS = {Action.FIRST_NAME, Action.LAST_NAME, Action.ORG_NAME}


def source_reads(layout: dict[str, SourceTable]) -> list[TableRead]:
    """Every modeled column of every modeled table, every row (history and deleted rows too), in
    the source's own spelling (e.g. ``LegacyId`` on SQL Server)."""
    return [
        TableRead(
            name,
            tuple(layout[name].columns),
            current_only=False,
            source_table=layout[name].source_name,
            source_columns=tuple(layout[name].columns.values()),
        )
        for name in t.MODELED_TABLES
    ]


def read_source(
    source: sa.Engine, layout: dict[str, SourceTable], directory: Path, lock_timeout_s: float = 30
) -> Snapshot:
    """The whole source, one consistent snapshot (a claim line can't show up without its claim)."""
    return read_snapshot(
        source,
        source_reads(layout),
        directory,
        lock_timeout_s=lock_timeout_s,
        statement_timeout_s=None,
    )


def iter_batches(snapshot: Snapshot, table: str, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    """The table's rows, ``chunk_rows`` at a time, in the order they were read."""
    yield from pq.ParquetFile(snapshot.path(table)).iter_batches(batch_size=chunk_rows)


def collect_avoid_set(snapshot: Snapshot) -> AvoidSet:
    """Hashes of every source value of every replaced column (and of each word of names), so that
    no fake value ever equals a real one. Hashed a column at a time (``value_hashes``)."""
    parts: list[np.ndarray] = []
    for (table, column), action in TEXT_COLUMNS.items():
        if action not in REPLACED_KINDS:
            continue
        values = pq.read_table(snapshot.path(table), columns=[column]).column(column)
        distinct = pc.unique(values.drop_null()).cast(pa.string())
        parts.append(value_hashes(distinct))
        if action in _NAME_KINDS:
            words = {w for value in distinct.to_pylist() for w in value.split()}
            parts.append(value_hashes(pa.array(sorted(words), type=pa.string())))
    return AvoidSet(np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64))


def latest_month(snapshot: Snapshot) -> dt.date | None:
    """First day of the latest month holding a claim date (from/to) or a policy enrolment."""
    dates = []
    for table, column in (
        ("tblClaim", "DateFrom"),
        ("tblClaim", "DateTo"),
        ("tblPolicy", "EnrollDate"),
    ):
        value = pc.max(pq.read_table(snapshot.path(table), columns=[column]).column(column)).as_py()
        if value is not None:
            dates.append(value.date() if isinstance(value, dt.datetime) else value)
    return max(dates).replace(day=1) if dates else None
