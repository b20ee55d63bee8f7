"""Bulk insertion of a pandas DataFrame into one table, in the caller's transaction.

- PostgreSQL: ``COPY ... FROM STDIN (FORMAT csv)`` through the raw psycopg2 cursor; the CSV is written
  by pyarrow (C++), which quotes every string value and leaves NULLs as unquoted empty fields, exactly
  the distinction PostgreSQL's CSV format makes between ``''`` and NULL.
- SQLite: one ``executemany`` on the caller's connection; dates and timestamps are pre-formatted the
  way SQLAlchemy's SQLite types store them, so SQLAlchemy reads them back as ``date``/``datetime``.
- SQL Server: ``executemany`` with pyodbc's ``fast_executemany`` (set by ``openimis_db.make_engine``),
  wrapped in ``SET IDENTITY_INSERT`` when explicit identity values are given. Not run against a live
  server here.

Values are converted according to the *table's* column types, so frames read back from a database
(object columns of ``Decimal``/``bytes``/``datetime``) and frames built by the generator (numpy dtypes)
both load.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Collection
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute.strftime
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy import types as sat

__all__ = [
    "bulk_insert",
    "bulk_insert_arrow",
    "prepare_arrow",
    "insert_prepared",
    "PreparedArrow",
    "BulkLoadError",
]


class BulkLoadError(ValueError):
    """The frame does not fit the table (unknown column, value of the wrong kind)."""


def bulk_insert(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Insert every row of ``frame`` into ``table`` on ``conn`` (no commit); return the row count.

    Columns of ``frame`` must be columns of ``table`` (exact spelling); table columns missing from the
    frame get their database default (NULL for the openIMIS tables).
    """
    unknown = [c for c in frame.columns if c not in table.c]
    if unknown:
        raise BulkLoadError(
            f"bulk_insert into {table.name}: column(s) {unknown} are not columns of {table.name}; "
            f"rename or drop them (known columns: {', '.join(table.c.keys())})"
        )
    if len(frame) == 0:
        return 0
    dialect = conn.dialect.name
    if dialect == "postgresql":
        _copy_postgresql(conn, table, frame)
    elif dialect == "sqlite":
        _executemany(conn, table, frame, _sqlite_rows(table, frame))
    elif dialect == "mssql":
        _insert_mssql(conn, table, frame)
    else:
        raise BulkLoadError(
            f"bulk_insert: unsupported dialect {dialect!r} (use postgresql, sqlite or mssql)"
        )
    return len(frame)


# ---------------------------------------------------------------------------------------------- PostgreSQL


def _copy_postgresql(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    arrays = [_arrow_column(table.c[name], frame[name]) for name in frame.columns]
    arrow_table = pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns])
    buf = io.BytesIO()
    pacsv.write_csv(arrow_table, buf, pacsv.WriteOptions(include_header=False, batch_size=65536))
    buf.seek(0)
    quote = conn.dialect.identifier_preparer.quote
    target = conn.dialect.identifier_preparer.format_table(table)
    cols = ", ".join(quote(str(c)) for c in frame.columns)
    sql = f"COPY {target} ({cols}) FROM STDIN WITH (FORMAT csv)"
    zoned = any(
        isinstance(table.c[c].type, sat.DateTime) and table.c[c].type.timezone
        for c in frame.columns
    )
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur:
        # timestamps are naive UTC text: read them as UTC, then restore the session's zone
        if zoned:
            cur.execute("SELECT current_setting('TimeZone')")
            previous = cur.fetchone()[0]
            cur.execute("SET LOCAL TimeZone TO 'UTC'")
        try:
            cur.copy_expert(sql, buf, size=1 << 20)
        except Exception as exc:
            # psycopg2's message names the key and the CSV line: keep it, name the table
            raise BulkLoadError(f"COPY into {table.name} failed: {str(exc).strip()}") from exc
        if zoned:
            cur.execute("SELECT set_config('TimeZone', %s, true)", (previous,))


def _arrow_column(column: sa.Column, series: pd.Series) -> pa.Array:
    """The series as an Arrow array whose CSV rendering PostgreSQL parses as the column's type."""
    ctype = column.type
    name = f"{column.table.name}.{column.name}"
    try:
        if isinstance(ctype, sat.Boolean):
            return pa.array(_as_object_or_native(series), type=pa.bool_(), from_pandas=True)
        if isinstance(ctype, sat.Integer):
            return pa.array(_integers(series, name), type=pa.int64(), from_pandas=True)
        if isinstance(ctype, sat.DateTime):
            return _timestamps(series, ctype.timezone)
        if isinstance(ctype, sat.Date):
            return _dates(series)
        if isinstance(ctype, sat.LargeBinary):
            return pa.array(
                [None if _isnull(v) else "\\x" + bytes(v).hex() for v in series], type=pa.string()
            )
        if isinstance(ctype, sat.Numeric) and not isinstance(ctype, sat.Float):
            if pd.api.types.is_numeric_dtype(series.dtype):
                return pa.array(
                    series.to_numpy(dtype="float64", na_value=np.nan),
                    type=pa.float64(),
                    from_pandas=True,
                )
            return pa.array([None if _isnull(v) else str(v) for v in series], type=pa.string())
        if isinstance(ctype, sat.Float):
            return pa.array(
                series.to_numpy(dtype="float64", na_value=np.nan),
                type=pa.float64(),
                from_pandas=True,
            )
        # strings, text, uuids: everything else goes as text
        if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(
            series.dtype
        ):
            return pa.array(series, type=pa.string(), from_pandas=True)
        return pa.array([None if _isnull(v) else str(v) for v in series], type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise BulkLoadError(
            f"bulk_insert: column {name} ({ctype}) holds a value of the wrong kind: {exc}"
        ) from exc


def _isnull(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT or v is pd.NA


def _as_object_or_native(series: pd.Series):
    if series.dtype == object:
        return [None if _isnull(v) else bool(v) for v in series]
    return series


def _integers(series: pd.Series, name: str):
    if pd.api.types.is_integer_dtype(series.dtype):
        return series
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        finite = values[~np.isnan(values)]
        if finite.size and not np.all(finite == np.round(finite)):
            raise BulkLoadError(f"bulk_insert: integer column {name} holds non-integer values")
        return pd.array(series, dtype="Int64")
    return [None if _isnull(v) else int(v) for v in series]


def _timestamps(series: pd.Series, tz: bool) -> pa.Array:
    """Naive timestamps: UTC wall time for ``timestamptz`` columns (the COPY runs with TimeZone=UTC).

    Arrow renders zoned timestamps ~20x slower than naive ones, which dominated the load.
    """
    s = series
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        s = pd.to_datetime(s, utc=tz)
    if s.dt.tz is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return pa.array(s, type=pa.timestamp("us"), from_pandas=True)


def _dates(series: pd.Series) -> pa.Array:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        s = series.dt.tz_localize(None) if series.dt.tz is not None else series
        return pa.array(s.dt.normalize(), type=pa.timestamp("us"), from_pandas=True).cast(
            pa.date32()
        )
    values = [
        None if _isnull(v) else (v.date() if isinstance(v, dt.datetime) else v) for v in series
    ]
    return pa.array(values, type=pa.date32())


# ------------------------------------------------------------------------------------ SQLite / SQL Server


def _with_nulls(values: list, null: np.ndarray) -> list:
    if not null.any():
        return values
    return [None if n else v for v, n in zip(values, null.tolist(), strict=True)]


def _python_column(column: sa.Column, series: pd.Series, sqlite: bool) -> list:
    """Plain Python values for a DB-API executemany (vectorised per column; SQLite gets SQLAlchemy's
    storage formats: ISO text dates, 0/1 booleans, floats for numerics)."""
    ctype = column.type
    null = series.isna().to_numpy()
    if isinstance(ctype, sat.DateTime):
        s = (
            series
            if pd.api.types.is_datetime64_any_dtype(series.dtype)
            else pd.to_datetime(series, utc=True)
        )
        if s.dt.tz is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)  # naive UTC, like the PostgreSQL path
        if sqlite:
            return _with_nulls(
                s.dt.strftime("%Y-%m-%d %H:%M:%S.%f").to_numpy(dtype=object).tolist(), null
            )
        values = s.dt.to_pydatetime().tolist()
        if ctype.timezone:
            values = [None if v is None else v.replace(tzinfo=dt.UTC) for v in values]
        return _with_nulls(values, null)
    if isinstance(ctype, sat.Date):
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            s = series.dt.tz_localize(None) if series.dt.tz is not None else series
            if sqlite:
                return _with_nulls(s.dt.strftime("%Y-%m-%d").to_numpy(dtype=object).tolist(), null)
            return _with_nulls([None if pd.isna(v) else v.date() for v in s], null)
        values = [
            None if _isnull(v) else (v.date() if isinstance(v, dt.datetime) else v) for v in series
        ]
        return [None if v is None else v.isoformat() for v in values] if sqlite else values
    if isinstance(ctype, sat.Boolean | sat.Integer) and not null.all():
        kind = bool if isinstance(ctype, sat.Boolean) else np.int64
        filled = series.fillna(kind(0)) if null.any() else series
        try:
            values = np.asarray(filled.astype(kind).to_numpy()).tolist()
        except (TypeError, ValueError) as exc:
            raise BulkLoadError(
                f"bulk_insert: column {column.table.name}.{column.name} ({ctype}): {exc}"
            ) from exc
        if sqlite and kind is bool:
            values = [int(v) for v in values]
        return _with_nulls(values, null)
    if isinstance(ctype, sat.Numeric) and not null.all():
        if pd.api.types.is_numeric_dtype(series.dtype):
            values = series.to_numpy(dtype="float64", na_value=np.nan).tolist()
            if not sqlite:
                values = [Decimal(repr(v)) for v in values]
            return _with_nulls(values, null)
        values = [None if _isnull(v) else (float(v) if sqlite else Decimal(str(v))) for v in series]
        return _with_nulls(values, null)
    if isinstance(ctype, sat.LargeBinary):
        return [None if _isnull(v) else bytes(v) for v in series.astype(object)]
    if null.all():
        return [None] * len(series)
    return _with_nulls([str(v) for v in series.to_numpy(dtype=object, na_value="")], null)


def _sqlite_rows(table: sa.Table, frame: pd.DataFrame) -> list[tuple]:
    cols = [_python_column(table.c[name], frame[name], sqlite=True) for name in frame.columns]
    return list(zip(*cols, strict=True))


def _executemany(
    conn: sa.Connection, table: sa.Table, frame: pd.DataFrame, rows: list[tuple]
) -> None:
    prep = conn.dialect.identifier_preparer
    cols = ", ".join(prep.quote(str(c)) for c in frame.columns)
    marks = ", ".join("?" for _ in frame.columns)
    conn.exec_driver_sql(f"INSERT INTO {prep.format_table(table)} ({cols}) VALUES ({marks})", rows)


def _insert_mssql(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    cols = [_python_column(table.c[name], frame[name], sqlite=False) for name in frame.columns]
    rows = list(zip(*cols, strict=True))
    identity = [
        c.name
        for c in table.primary_key.columns
        if c.autoincrement is True or c.autoincrement == "auto"
    ]
    explicit_identity = any(name in frame.columns for name in identity) and isinstance(
        table.primary_key.columns[0].type, sat.Integer
    )
    target = conn.dialect.identifier_preparer.format_table(table)
    if explicit_identity:
        conn.exec_driver_sql(f"SET IDENTITY_INSERT {target} ON")
    try:
        _executemany(conn, table, frame, rows)
    finally:
        if explicit_identity:
            conn.exec_driver_sql(f"SET IDENTITY_INSERT {target} OFF")


# ------------------------------------------------------------------------------------------- Arrow input


def bulk_insert_arrow(conn: sa.Connection, table: sa.Table, data: pa.Table) -> int:
    """Insert an Arrow table (columns named and typed as ``openimis_db.snapshot`` writes them) into
    ``table`` on ``conn`` (no commit). The fast path of the anonymiser: PostgreSQL gets the Arrow
    columns rendered straight to CSV for ``COPY`` (no Python per value); SQLite one ``executemany`` of
    values converted per column in Arrow; SQL Server goes through the pandas path."""
    return insert_prepared(conn, prepare_arrow(conn.dialect.name, table, data))


class PreparedArrow:
    """An Arrow table made ready for one dialect's bulk path (``prepare_arrow``); the expensive part
    of a load that needs no connection, so that a caller can prepare the next batch in another
    thread while the previous one is being written."""

    def __init__(self, table: sa.Table, data: pa.Table, payload: object) -> None:
        self.table = table
        self.data = data
        self.payload = payload  # PostgreSQL: CSV bytes; SQLite: row tuples; other: None


def prepare_arrow(
    dialect: str, table: sa.Table, data: pa.Table, omit_null: Collection[str] = ()
) -> PreparedArrow:
    """Check the columns and render ``data`` for ``dialect`` (no database access).

    Columns named in ``omit_null`` that hold only NULLs in ``data`` are left out of the statement
    (fewer values to render and bind): pass only columns whose target default is NULL.
    """
    unknown = [c for c in data.column_names if c not in table.c]
    if unknown:
        raise BulkLoadError(
            f"bulk_insert_arrow into {table.name}: column(s) {unknown} are not columns of {table.name}"
        )
    if omit_null and data.num_rows:
        empty = [
            i
            for i, name in enumerate(data.column_names)
            if name in omit_null and data.column(i).null_count == data.num_rows
        ]
        if empty and len(empty) < data.num_columns:
            data = data.drop_columns([data.column_names[i] for i in empty])
    payload: object = None
    if data.num_rows and dialect == "postgresql":
        ready = pa.table([_csv_ready(c) for c in data.columns], names=data.column_names)
        buf = io.BytesIO()
        pacsv.write_csv(ready, buf, pacsv.WriteOptions(include_header=False, batch_size=65536))
        payload = buf.getvalue()
    elif data.num_rows and dialect == "sqlite":
        cols = [_sqlite_values(data.column(name)) for name in data.column_names]
        payload = list(zip(*cols, strict=True))
    return PreparedArrow(table, data, payload)


def insert_prepared(conn: sa.Connection, prepared: PreparedArrow) -> int:
    """Write a ``prepare_arrow`` result on ``conn`` (no commit); return the row count."""
    table, data = prepared.table, prepared.data
    if data.num_rows == 0:
        return 0
    dialect = conn.dialect.name
    if dialect == "postgresql" and prepared.payload is not None:
        _copy_csv(conn, table, data.column_names, prepared.payload)
    elif dialect == "sqlite" and prepared.payload is not None:
        _executemany_arrow(conn, table, data.column_names, prepared.payload)
    else:
        return bulk_insert(conn, table, data.to_pandas(types_mapper=pd.ArrowDtype).astype(object))
    return data.num_rows


def _csv_ready(column: pa.ChunkedArray) -> pa.ChunkedArray:
    typ = column.type
    if pa.types.is_timestamp(typ) and typ.tz is not None:
        # naive UTC: Arrow renders zoned timestamps ~20x slower; the COPY runs with TimeZone=UTC
        return column.cast(pa.timestamp(typ.unit))
    if pa.types.is_binary(typ) and column.null_count == len(column):
        return pa.nulls(len(column), pa.string())
    if pa.types.is_binary(typ):
        return pa.chunked_array(
            [
                pa.array(
                    [None if v is None else "\\x" + v.hex() for v in column.to_pylist()],
                    pa.string(),
                )
            ]
        )
    return column


def _copy_csv(conn: sa.Connection, table: sa.Table, names: list[str], csv: bytes) -> None:
    prep = conn.dialect.identifier_preparer
    cols = ", ".join(prep.quote(c) for c in names)
    sql = f"COPY {prep.format_table(table)} ({cols}) FROM STDIN WITH (FORMAT csv)"
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur:
        cur.execute("SELECT current_setting('TimeZone')")
        previous = cur.fetchone()[0]
        cur.execute("SET LOCAL TimeZone TO 'UTC'")
        try:
            cur.copy_expert(sql, io.BytesIO(csv), size=1 << 20)
        except Exception as exc:
            raise BulkLoadError(f"COPY into {table.name} failed: {str(exc).strip()}") from exc
        cur.execute("SELECT set_config('TimeZone', %s, true)", (previous,))


def _sqlite_values(column: pa.ChunkedArray) -> list:
    """SQLAlchemy's SQLite storage: ISO text dates/timestamps (naive UTC), REAL numerics."""
    typ = column.type
    if pa.types.is_timestamp(typ):
        naive = column.cast(pa.timestamp("us")) if typ.tz is not None else column
        return naive.cast(pa.string()).to_pylist()  # "YYYY-MM-DD HH:MM:SS.ffffff"
    if pa.types.is_date32(typ):
        return column.cast(pa.string()).to_pylist()
    if pa.types.is_decimal(typ):
        return column.cast(pa.float64()).to_pylist()
    return column.to_pylist()


def _executemany_arrow(
    conn: sa.Connection, table: sa.Table, names: list[str], rows: list[tuple]
) -> None:
    prep = conn.dialect.identifier_preparer
    cols = ", ".join(prep.quote(c) for c in names)
    marks = ", ".join("?" for _ in names)
    conn.exec_driver_sql(f"INSERT INTO {prep.format_table(table)} ({cols}) VALUES ({marks})", rows)
