"""What to read (``TableRead``) and what was read (``Snapshot``); the Arrow type of every column."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import types as sat

from openimis_db import tables as t

__all__ = [
    "DateWindow",
    "TableRead",
    "SnapshotTable",
    "Snapshot",
    "SnapshotError",
    "arrow_type",
    "arrow_schema",
]


class SnapshotError(RuntimeError):
    """The snapshot could not be taken (locked table, timeout, bad read spec, ...); the message names
    the table and never the database password."""


@dataclass(frozen=True)
class DateWindow:
    """Half-open ``[start, end)`` on dates."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise SnapshotError(f"empty date window [{self.start}, {self.end})")


@dataclass(frozen=True)
class TableRead:
    """One table of the snapshot: which columns, which rows.

    ``any_date_in``: keep rows where ANY of these date columns falls in ``window`` (a superset; the
    computation filters exactly). ``through_claim``: claim-line tables keep the lines whose claim passes
    the claim table's filter (current, and ``any_date_in`` in ``window``). ``source_columns`` (optional)
    spells the columns as the source does (e.g. ``LegacyId`` on SQL Server); the Parquet file keeps the
    names of ``columns``.
    """

    table: str
    columns: tuple[str, ...]
    current_only: bool = True
    any_date_in: tuple[str, ...] = ()
    through_claim: bool = False
    window: DateWindow | None = None
    source_table: str | None = None
    source_columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        model = t.metadata.tables.get(self.table)
        if model is None:
            raise SnapshotError(f"unknown table {self.table!r}: not in openimis_db.tables")
        unknown = [c for c in (*self.columns, *self.any_date_in) if c not in model.c]
        if unknown:
            raise SnapshotError(f"{self.table}: unknown column(s) {', '.join(unknown)}")
        if not self.columns:
            raise SnapshotError(f"{self.table}: no column to read")
        if len(set(self.columns)) != len(self.columns):
            raise SnapshotError(f"{self.table}: a column is listed twice in {self.columns}")
        if (self.any_date_in or self.through_claim) and self.window is None:
            raise SnapshotError(f"{self.table}: any_date_in/through_claim need a window")
        if self.through_claim and "ClaimID" not in model.c:
            raise SnapshotError(f"{self.table}: through_claim needs a ClaimID column")
        if self.source_columns and len(self.source_columns) != len(self.columns):
            raise SnapshotError(f"{self.table}: source_columns must match columns one to one")

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "columns": list(self.columns),
            "current_only": self.current_only,
            "any_date_in": list(self.any_date_in),
            "through_claim": self.through_claim,
            "window": None
            if self.window is None
            else [self.window.start.isoformat(), self.window.end.isoformat()],
        }


@dataclass(frozen=True)
class SnapshotTable:
    table: str
    path: Path
    rows: int
    bytes: int
    seconds: float


@dataclass(frozen=True)
class Snapshot:
    """A written snapshot: ``<directory>/<table>.parquet`` plus ``manifest.json``."""

    directory: Path
    tables: Mapping[str, SnapshotTable]
    taken_at: datetime  # the snapshot moment, server clock, UTC
    dialect: str  # "postgresql" | "sqlite" | "mssql"
    reads: tuple[TableRead, ...] = field(default=())

    def path(self, table: str) -> Path:
        try:
            return self.tables[table].path
        except KeyError:
            raise SnapshotError(
                f"table {table} is not in the snapshot at {self.directory} "
                f"(it holds {', '.join(sorted(self.tables)) or 'nothing'})"
            ) from None


def arrow_type(table: str, column: str) -> pa.DataType:
    """The Parquet/Arrow type of a modeled column: money stays exact (decimal128), never float."""
    ctype = t.metadata.tables[table].c[column].type
    if isinstance(ctype, sat.Boolean):
        return pa.bool_()
    if isinstance(ctype, sat.Integer):  # SmallInteger and BigInteger included
        return pa.int64()
    if isinstance(ctype, sat.DateTime):
        return pa.timestamp("us", tz="UTC" if ctype.timezone else None)
    if isinstance(ctype, sat.Date):
        return pa.date32()
    if isinstance(ctype, sat.Float):
        return pa.float64()
    if isinstance(ctype, sat.Numeric):
        if ctype.precision is None or ctype.scale is None:
            raise SnapshotError(f"{table}.{column}: numeric without precision/scale")
        return pa.decimal128(ctype.precision, ctype.scale)
    if isinstance(ctype, sat.LargeBinary):
        return pa.binary()
    return pa.string()  # String, Text, CHAR, Uuid (as text)


def arrow_schema(read: TableRead) -> pa.Schema:
    return pa.schema([pa.field(c, arrow_type(read.table, c), nullable=True) for c in read.columns])
