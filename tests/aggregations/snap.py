"""Snapshots for the aggregation tests: the run's tables read into Parquet, then computed.

TEMPORARY reader until ``openimis_db.snapshot`` is merged: plain SQLAlchemy SELECTs of the
requested columns with the interface's filters, written with pyarrow (types from the model).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, SmallInteger, or_, select

import aggregations
from adx.periods import Period, monthly
from aggregations import CatalogueConfig, snapshot_reads
from openimis_db import tables as t


@dataclass
class TestSnapshot:
    directory: Path
    tables: dict[str, Path] = field(default_factory=dict)

    def path(self, table: str) -> Path:
        return self.tables[table]


def _arrow_type(col) -> pa.DataType:
    typ = col.type
    if isinstance(typ, DateTime):
        return pa.timestamp("us")
    if isinstance(typ, Date):
        return pa.date32()
    if isinstance(typ, Boolean):
        return pa.bool_()
    if isinstance(typ, Integer | SmallInteger):
        return pa.int64()
    if isinstance(typ, Numeric):
        return pa.decimal128(18, typ.scale or 2)
    return pa.string()


def _window(col, window):
    return (col >= window.start) & (col < window.end)


def take(engine, reads, directory: Path) -> TestSnapshot:
    snap = TestSnapshot(Path(directory))
    with engine.connect() as conn:
        for read in reads:
            table = t.metadata.tables[read.table]
            cols = [table.c[c] for c in read.columns]
            stmt = select(*cols)
            if read.current_only:
                stmt = stmt.where(table.c.ValidityTo.is_(None))
            if read.any_date_in:
                stmt = stmt.where(or_(*[_window(table.c[c], read.window) for c in read.any_date_in]))
            if read.through_claim:
                claim = t.tblClaim
                inner = select(claim.c.ClaimID).where(
                    claim.c.ValidityTo.is_(None),
                    or_(*[_window(claim.c[c], read.window) for c in ("DateFrom", "DateTo", "DateClaimed", "DateProcessed")]),
                )
                stmt = stmt.where(table.c.ClaimID.in_(inner))
            rows = conn.execute(stmt).all()
            arrays = []
            for i, col in enumerate(cols):
                values = [r[i] for r in rows]
                typ = _arrow_type(col)
                if isinstance(col.type, DateTime):
                    values = [None if v is None else (v.replace(tzinfo=None) if hasattr(v, "tzinfo") else v) for v in values]
                if typ == pa.string():
                    values = [None if v is None else str(v) for v in values]
                arrays.append(pa.array(values, type=typ))
            path = snap.directory / f"{read.table}.parquet"
            pq.write_table(pa.table(arrays, names=[c.name for c in cols]), path)
            snap.tables[read.table] = path
    return snap


def snapshot_for(engine, datasets: Sequence[str], periods: Sequence[Period], config, directory=None):
    directory = Path(directory or tempfile.mkdtemp(prefix="agg-snap-"))
    return take(engine, snapshot_reads(datasets, periods, config), directory)


def compute_dataset(engine, dataset: str, periods: Sequence[Period], config: CatalogueConfig):
    """Snapshot the tables the data set needs, then compute it (what a pipeline run does)."""
    snap = snapshot_for(engine, [dataset], periods or [monthly(2024, 1)], config)
    return aggregations.compute_dataset(snap, dataset, periods, config)


def reconcile(engine, dataset: str, frame, periods: Sequence[Period], config: CatalogueConfig):
    """Reconcile against a fresh snapshot of the same (unchanging) test database."""
    snap = snapshot_for(engine, [dataset], periods or [monthly(2024, 1)], config)
    return aggregations.reconcile(snap, dataset, frame, periods, config)
