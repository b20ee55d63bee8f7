"""Python rows (sqlite3 / pyodbc ``fetchmany``) to an Arrow record batch of the read's schema.

SQLite stores what SQLAlchemy's SQLite types write: ISO text dates and timestamps, 0/1 booleans,
REAL (or INTEGER) numerics; pyodbc returns ``date``/``datetime``/``Decimal``/``bool``. Both land in
the same Arrow types; money is rounded to its scale from the stored binary float (SQLite) or kept
exact (``Decimal``), never left as float.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from .model import SnapshotError

__all__ = ["rows_to_batch", "column_to_array"]


def _kinds(values: Sequence) -> set[type]:
    return {type(v) for v in values if v is not None}


def column_to_array(values: Sequence, typ: pa.DataType, where: str) -> pa.Array:
    """One column's values as an Arrow array of ``typ``; ``where`` names table.column in errors."""
    kinds = _kinds(values)
    try:
        if not kinds:
            return pa.nulls(len(values), typ)
        if pa.types.is_date32(typ):
            if kinds <= {str}:
                return pc.utf8_slice_codeunits(pa.array(values, pa.string()), 0, 10).cast(typ)
            return pa.array([v.date() if isinstance(v, dt.datetime) else v for v in values], typ)
        if pa.types.is_timestamp(typ):
            if kinds <= {str}:
                naive = pa.array(values, pa.string()).cast(pa.timestamp(typ.unit))
                return naive.cast(typ)  # naive text is UTC (how the writers store it)
            if typ.tz is not None:
                values = [
                    None if v is None else (v if v.tzinfo else v.replace(tzinfo=dt.UTC))
                    for v in values
                ]
            return pa.array(values, typ)
        if pa.types.is_decimal(typ):
            if kinds <= {Decimal, int}:
                return pa.array(
                    [None if v is None else Decimal(v) for v in values] if int in kinds else values,
                    typ,
                )
            if kinds <= {float, int}:
                floats = pc.round(pa.array(values, pa.float64()), typ.scale)
                return floats.cast(typ)
            if kinds <= {str}:
                return pa.array(values, pa.string()).cast(typ)
            return pa.array([None if v is None else Decimal(str(v)) for v in values], typ)
        if pa.types.is_boolean(typ):
            if kinds <= {bool}:
                return pa.array(values, typ)
            return pa.array(values, pa.int64()).cast(typ)
        if pa.types.is_integer(typ):
            return pa.array(values, typ)
        if pa.types.is_floating(typ):
            return pa.array(values, typ)
        if pa.types.is_binary(typ):
            return pa.array([None if v is None else bytes(v) for v in values], typ)
        if kinds <= {str}:
            return pa.array(values, typ)
        return pa.array([None if v is None else str(v) for v in values], typ)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, ArithmeticError) as exc:
        sample = next((v for v in values if v is not None), None)
        raise SnapshotError(
            f"{where}: a value cannot be read as {typ} (e.g. {sample!r}): {exc}"
        ) from exc


def rows_to_batch(rows: Sequence[Sequence], schema: pa.Schema, table: str) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    arrays = [
        column_to_array(list(values), field.type, f"{table}.{field.name}")
        for values, field in zip(columns, schema, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
