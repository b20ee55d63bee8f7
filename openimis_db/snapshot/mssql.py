"""SQL Server (legacy openIMIS edition) through pyodbc: ``fetchmany`` batches to Arrow.

Isolation: ``SNAPSHOT`` when the database has ``ALLOW_SNAPSHOT_ISOLATION ON`` (every table read as of
the transaction's first read); otherwise ``READ COMMITTED`` with a logged warning: each table is then
read at its own moment (see docs/snapshot.md for what that risks). ``SET LOCK_TIMEOUT`` bounds lock
waits; pyodbc's query timeout is the statement timeout; ``cursor.cancel()`` stops a running query.
Not run against a live SQL Server here: the statements are checked against the SQL Server DDL.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.pool import PoolProxiedConnection

from .base import Timeouts
from .files import ParquetSink
from .model import SnapshotError, TableRead, arrow_schema
from .rows import rows_to_batch

__all__ = ["MssqlReader", "SNAPSHOT_STATE_SQL"]

log = logging.getLogger(__name__)

_BATCH_ROWS = 50_000
SNAPSHOT_STATE_SQL = (
    "SELECT snapshot_isolation_state FROM sys.databases WHERE database_id = DB_ID()"
)


class _OdbcCursor(Protocol):
    """What this reader uses of a pyodbc cursor (pyodbc is an optional dependency)."""

    def execute(self, sql: str, /) -> _OdbcCursor: ...
    def fetchone(self) -> Sequence[Any] | None: ...
    def fetchmany(self, size: int, /) -> list[Sequence[Any]]: ...
    def cancel(self) -> None: ...
    def close(self) -> None: ...


class _OdbcConnection(Protocol):
    """What this reader uses of a pyodbc connection."""

    autocommit: bool
    timeout: int

    def cursor(self) -> _OdbcCursor: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


def _first_row(cur: _OdbcCursor, sql: str) -> Sequence[Any]:
    row = cur.execute(sql).fetchone()
    if row is None:
        raise SnapshotError(f"SQL Server returned no row for {sql!r}")
    return row


class MssqlReader:
    dialect = "mssql"

    def __init__(self, engine: sa.Engine, timeouts: Timeouts, where: str) -> None:
        self.engine = engine
        self.timeouts = timeouts
        self.where = where
        self._proxy: PoolProxiedConnection | None = None
        self.conn: _OdbcConnection | None = None
        self.cursor: _OdbcCursor | None = None
        self.cancelled = False
        self.isolation = "SNAPSHOT"

    def begin(self) -> datetime:
        self._proxy = self.engine.raw_connection()
        # an mssql+pyodbc engine: its DBAPI connection is a pyodbc one
        conn = cast(_OdbcConnection, self._proxy.dbapi_connection)
        self.conn = conn
        # session settings first, in autocommit: SQL Server refuses to switch a transaction that has
        # already started to SNAPSHOT (error 3951)
        conn.autocommit = True
        conn.timeout = 0 if self.timeouts.statement is None else int(self.timeouts.statement)
        cur = conn.cursor()
        (state,) = _first_row(cur, SNAPSHOT_STATE_SQL)
        if state == 1:
            self.isolation = "SNAPSHOT"
        else:
            self.isolation = "READ COMMITTED"
            log.warning(
                "SQL Server database %s does not allow snapshot isolation "
                "(ALLOW_SNAPSHOT_ISOLATION OFF): tables are read READ COMMITTED, each at its own "
                "moment; a change committed during the run can make tables disagree. "
                "See docs/snapshot.md.",
                self.where,
            )
        cur.execute(f"SET TRANSACTION ISOLATION LEVEL {self.isolation}")
        cur.execute(f"SET LOCK_TIMEOUT {int(self.timeouts.lock * 1000)}")
        cur.execute("SET DATEFORMAT ymd")
        conn.autocommit = False  # the transaction starts with the next statement
        (now,) = _first_row(cur, "SELECT SYSUTCDATETIME()")
        cur.close()
        if not isinstance(now, datetime):
            raise SnapshotError(f"{self.where}: SELECT SYSUTCDATETIME() returned {now!r}")
        return now.replace(tzinfo=UTC)

    def cancel(self) -> None:
        self.cancelled = True
        cursor = self.cursor
        if cursor is not None:
            with contextlib.suppress(Exception):  # best effort, maybe from a signal handler
                cursor.cancel()

    def close(self) -> None:
        if self._proxy is None:
            return
        try:
            if self.conn is None:
                raise SnapshotError("no DBAPI connection")  # dropped below
            self.conn.rollback()
            cur = self.conn.cursor()
            cur.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            cur.execute("SET LOCK_TIMEOUT -1")
            cur.close()
            self.conn.commit()
        except Exception:  # noqa: BLE001 - the connection is dropped instead
            self._proxy.invalidate()
        finally:
            self._proxy.close()
            self._proxy = None
            self.conn = None

    def read(self, read: TableRead, sql: str, sink: ParquetSink) -> None:
        schema = arrow_schema(read)
        started = time.monotonic()
        if self.conn is None:
            raise SnapshotError(f"reading {read.table}: begin() was not called")
        self.cursor = cursor = self.conn.cursor()
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(_BATCH_ROWS):
                sink.write(rows_to_batch(rows, schema, read.table))
        except SnapshotError:
            raise
        except Exception as exc:  # pyodbc.Error; pyodbc is an optional dependency
            waited = time.monotonic() - started
            text = str(exc)
            if "1222" in text or "Lock request time out" in text:
                raise SnapshotError(
                    f"{read.table} is locked by another session: no lock within lock_timeout="
                    f"{self.timeouts.lock:g} s (gave up after {waited:.1f} s); no snapshot was taken"
                ) from exc
            if "HYT00" in text or "timeout expired" in text.lower():
                raise SnapshotError(
                    f"reading {read.table} took longer than statement_timeout="
                    f"{self.timeouts.statement:g} s (stopped after {waited:.1f} s)"
                ) from exc
            if self.cancelled:
                raise SnapshotError(f"reading {read.table} was cancelled (interrupted)") from exc
            raise SnapshotError(f"reading {read.table} from {self.where} failed: {text}") from exc
        finally:
            cursor.close()
            self.cursor = None
