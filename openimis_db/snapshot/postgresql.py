"""PostgreSQL: ``COPY (SELECT ...) TO STDOUT (FORMAT csv)`` streamed through a pipe into pyarrow's
streaming CSV reader, inside one ``REPEATABLE READ, READ ONLY`` transaction.

psycopg2 writes the COPY stream into the pipe from a helper thread (libpq releases the GIL while it
waits for the server); pyarrow parses it block by block in the calling thread, with the exact column
types (decimal128 for money), so at most a few blocks are in memory, never a whole table.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from datetime import datetime
from io import BufferedReader, FileIO

import psycopg2
import psycopg2.errors
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from psycopg2.extensions import connection as PgConnection  # noqa: N812 - a class, named as one
from sqlalchemy.pool import PoolProxiedConnection

from .base import Timeouts
from .files import ParquetSink
from .model import SnapshotError, TableRead, arrow_schema

__all__ = ["PostgresReader"]

_BLOCK = 1 << 22  # pyarrow CSV block: 4 MB of text per parsed batch
_PIPE_BUFFER = 1 << 20


class PostgresReader:
    dialect = "postgresql"

    def __init__(self, engine: sa.Engine, timeouts: Timeouts, where: str) -> None:
        self.engine = engine
        self.timeouts = timeouts
        self.where = where  # the redacted URL, for messages
        self._proxy: PoolProxiedConnection | None = None
        self.conn: PgConnection | None = None
        self.cancelled = False

    # -- transaction -------------------------------------------------------------------------------

    def begin(self) -> datetime:
        self._proxy = self.engine.raw_connection()
        conn = self._proxy.dbapi_connection
        if not isinstance(conn, PgConnection):
            raise SnapshotError(f"{self.where}: not a psycopg2 connection ({type(conn).__name__})")
        self.conn = conn
        conn.autocommit = True  # explicit BEGIN below carries the isolation level
        statement_ms = 0 if self.timeouts.statement is None else int(self.timeouts.statement * 1000)
        with conn.cursor() as cur:
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur.execute(
                "SELECT set_config('lock_timeout', %s, true)",
                (f"{int(self.timeouts.lock * 1000)}ms",),
            )
            cur.execute("SELECT set_config('statement_timeout', %s, true)", (f"{statement_ms}ms",))
            # text rendering the CSV parser relies on: UTC offsets, ISO dates, hex bytea
            cur.execute("SET LOCAL TimeZone TO 'UTC'")
            cur.execute("SET LOCAL DateStyle TO 'ISO, YMD'")
            cur.execute("SET LOCAL bytea_output TO 'hex'")
            # the first query takes the transaction's snapshot: every table is read as of now
            cur.execute("SELECT clock_timestamp()")
            row = cur.fetchone()
        if row is None or not isinstance(row[0], datetime):
            raise SnapshotError(f"{self.where}: SELECT clock_timestamp() returned {row!r}")
        return row[0]

    def cancel(self) -> None:
        self.cancelled = True
        if self.conn is not None:
            with contextlib.suppress(psycopg2.Error):
                self.conn.cancel()

    def close(self) -> None:
        if self._proxy is None:
            return
        try:
            if self.conn is not None and not self.conn.closed:
                with self.conn.cursor() as cur:
                    cur.execute("ROLLBACK")
                self.conn.autocommit = False
        except psycopg2.Error:
            self._proxy.invalidate()  # a cancelled COPY can leave the connection unusable
        finally:
            self._proxy.close()
            self._proxy = None
            self.conn = None

    # -- one table ---------------------------------------------------------------------------------

    def read(self, read: TableRead, sql: str, sink: ParquetSink) -> None:
        conn = self.conn
        if conn is None:
            raise SnapshotError(f"reading {read.table}: begin() was not called")
        started = time.monotonic()
        rfd, wfd = os.pipe()
        failure: list[BaseException] = []

        def produce() -> None:
            try:
                with (
                    os.fdopen(wfd, "wb", buffering=_PIPE_BUFFER) as out,
                    conn.cursor() as cur,
                ):
                    cur.copy_expert(
                        f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", out, size=_PIPE_BUFFER
                    )
            except BrokenPipeError:
                pass  # the parser stopped first; its own error is the one reported
            except BaseException as exc:  # noqa: BLE001 - re-raised in the reading thread
                failure.append(exc)

        producer = threading.Thread(target=produce, name=f"copy-{read.table}", daemon=True)
        producer.start()
        parse_error: Exception | None = None
        src = BufferedReader(FileIO(rfd, "rb"), buffer_size=_PIPE_BUFFER)
        try:
            _parse_csv(src, read, sink)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            parse_error = exc
        finally:
            src.close()  # a parser that stopped early unblocks the producer (EPIPE)
            producer.join()
        if failure:
            raise self._error(read, failure[0], started) from failure[0]
        if parse_error is not None:
            raise SnapshotError(
                f"{read.table}: cannot parse the COPY stream: {parse_error}"
            ) from parse_error

    def _error(self, read: TableRead, exc: BaseException, started: float) -> BaseException:
        waited = time.monotonic() - started
        if isinstance(exc, psycopg2.errors.LockNotAvailable):
            return SnapshotError(
                f"{read.table} is locked by another session: no lock within lock_timeout="
                f"{self.timeouts.lock:g} s (gave up after {waited:.1f} s); no snapshot was taken. "
                f"Retry when the lock is released (pg_locks on {self.where} shows the holder)."
            )
        if isinstance(exc, psycopg2.errors.QueryCanceled):
            if self.cancelled:
                return SnapshotError(f"reading {read.table} was cancelled (interrupted)")
            return SnapshotError(
                f"reading {read.table} took longer than statement_timeout="
                f"{self.timeouts.statement:g} s (cancelled by the server after {waited:.1f} s); "
                "raise the statement timeout or read a shorter period"
            )
        if isinstance(exc, psycopg2.Error):
            first = (
                (exc.pgerror or str(exc)).strip().splitlines()[0]
                if str(exc)
                else type(exc).__name__
            )
            return SnapshotError(f"reading {read.table} from {self.where} failed: {first}")
        return exc


def _parse_csv(src: BufferedReader[FileIO], read: TableRead, sink: ParquetSink) -> None:
    """Stream PostgreSQL CSV (NULL = unquoted empty field, '' = quoted) into ``sink``."""
    if not src.peek(1):
        return  # no row: the sink still writes a typed, empty file
    schema = arrow_schema(read)
    binary = [f.name for f in schema if pa.types.is_binary(f.type)]
    text_types = {f.name: (pa.string() if f.name in binary else f.type) for f in schema}
    reader = pacsv.open_csv(
        src,
        read_options=pacsv.ReadOptions(column_names=list(read.columns), block_size=_BLOCK),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=text_types,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    )
    for batch in reader:
        sink.write(_decode_bytea(batch, binary) if binary else batch)


def _decode_bytea(batch: pa.RecordBatch, names: list[str]) -> pa.RecordBatch:
    """Hex text (``\\x...``, bytea_output 'hex') of the ``names`` columns decoded to bytes."""
    arrays = [
        pa.array(
            [None if v is None else bytes.fromhex(v[2:]) for v in column.to_pylist()],
            pa.binary(),
        )
        if name in names
        else column
        for name, column in zip(batch.schema.names, batch.columns, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)
