"""Python rows (sqlite3 / pyodbc ``fetchmany``) to an Arrow record batch of the read's schema.

SQLite stores what SQLAlchemy's SQLite types write: ISO text dates and timestamps, 0/1 booleans,
REAL (or INTEGER) numerics; pyodbc returns ``date``/``datetime``/``Decimal``/``bool``. Both land in
the same Arrow types; money is rounded to its scale from the stored binary float (SQLite) or kept
exact (``Decimal``), never left as float.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from .model import SnapshotError

__all__ = ["rows_to_batch", "column_to_array"]


def _kinds(values: Sequence[object]) -> set[type]:
    return {type(v) for v in values if v is not None}


def column_to_array(values: Sequence[object], typ: pa.DataType, where: str) -> pa.Array:
    """One column's values as an Arrow array of ``typ``; ``where`` names table.column in errors."""
    kinds = _kinds(values)
    try:
        if not kinds:
            return pa.nulls(len(values), typ)
        return _converter(typ)(values, typ, kinds)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, ArithmeticError) as exc:
        sample = next((v for v in values if v is not None), None)
        raise SnapshotError(
            f"{where}: a value cannot be read as {typ} (e.g. {sample!r}): {exc}"
        ) from exc


_Converter = Callable[[Sequence[object], pa.DataType, set[type]], pa.Array]


def _converter(typ: pa.DataType) -> _Converter:
    """The conversion for the Arrow type family of ``typ``."""
    families: list[tuple[Callable[[pa.DataType], bool], _Converter]] = [
        (pa.types.is_date32, _dates),
        (pa.types.is_timestamp, _timestamps),
        (pa.types.is_decimal, _decimals),
        (pa.types.is_boolean, _booleans),
        (pa.types.is_integer, _as_is),
        (pa.types.is_floating, _as_is),
        (pa.types.is_binary, _binaries),
    ]
    return next((convert for test, convert in families if test(typ)), _texts)


def _as_is(values: Sequence[object], typ: pa.DataType, kinds: set[type]) -> pa.Array:
    return pa.array(values, typ)


def _dates(values: Sequence[object], typ: pa.DataType, kinds: set[type]) -> pa.Array:
    if kinds <= {str}:  # ISO text, possibly a timestamp: its first 10 characters are the date
        return pc.utf8_slice_codeunits(pa.array(values, pa.string()), 0, 10).cast(typ)
    return pa.array([v.date() if isinstance(v, dt.datetime) else v for v in values], typ)


def _timestamps(values: Sequence[object], typ: pa.DataType, kinds: set[type]) -> pa.Array:
    if kinds <= {str}:
        naive = pa.array(values, pa.string()).cast(pa.timestamp(typ.unit))
        return naive.cast(typ)  # naive text is UTC (how the writers store it)
    if typ.tz is not None:
        values = [
            v.replace(tzinfo=dt.UTC) if isinstance(v, dt.datetime) and v.tzinfo is None else v
            for v in values
        ]
    return pa.array(values, typ)


def _decimals(values: Sequence[object], typ: pa.DataType, kinds: set[type]) -> pa.Array:
    if kinds <= {Decimal, int}:
        return pa.array([Decimal(v) if isinstance(v, int) else v for v in values], typ)
    if kinds <= {float, int}:  # SQLite REAL: round the binary float to the column's scale
        return pc.round(pa.array(values, pa.float64()), typ.scale).cast(typ)
    if kinds <= {str}:
        return pa.array(values, pa.string()).cast(typ)
    return pa.array([None if v is None else Decimal(str(v)) for v in values], typ)


def _booleans(values: Sequence[object], typ: pa.DataType, kinds: set[type]) -> pa.Array:
    if kinds <= {bool}:
        return pa.array(values, typ)
    return pa.array(values, pa.int64()).cast(typ)  # SQLite 0/1


def _binaries(values: Sequence[object], typ: pa.DataType, kinds: set[type]) -> pa.Array:
    return pa.array([bytes(v) if isinstance(v, bytearray | memoryview) else v for v in values], typ)


def _texts(values: Sequence[object], typ: pa.DataType, kinds: set[type]) -> pa.Array:
    if kinds <= {str}:
        return pa.array(values, typ)
    return pa.array([_text(v) for v in values], typ)


def _text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, bytes | bytearray):  # a SQL Server rowversion where PostgreSQL has text
        return "0x" + bytes(v).hex().upper()
    return str(v)


def rows_to_batch(
    rows: Sequence[Sequence[object]], schema: pa.Schema, table: str
) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    arrays = [
        column_to_array(list(values), field.type, f"{table}.{field.name}")
        for values, field in zip(columns, schema, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
