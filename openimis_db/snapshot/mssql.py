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
from datetime import UTC, datetime

import sqlalchemy as sa

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


class MssqlReader:
    dialect = "mssql"

    def __init__(self, engine: sa.Engine, timeouts: Timeouts, where: str) -> None:
        self.engine = engine
        self.timeouts = timeouts
        self.where = where
        self._proxy = None
        self.conn = None
        self.cursor = None
        self.cancelled = False
        self.isolation = "SNAPSHOT"

    def begin(self) -> datetime:
        self._proxy = self.engine.raw_connection()
        self.conn = self._proxy.dbapi_connection
        # session settings first, in autocommit: SQL Server refuses to switch a transaction that has
        # already started to SNAPSHOT (error 3951)
        self.conn.autocommit = True
        self.conn.timeout = 0 if self.timeouts.statement is None else int(self.timeouts.statement)
        cur = self.conn.cursor()
        (state,) = cur.execute(SNAPSHOT_STATE_SQL).fetchone()
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
        self.conn.autocommit = False  # the transaction starts with the next statement
        (now,) = cur.execute("SELECT SYSUTCDATETIME()").fetchone()
        cur.close()
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

    def read(self, read: TableRead, sql: str, sink: ParquetSink) -> None:
        schema = arrow_schema(read)
        started = time.monotonic()
        self.cursor = self.conn.cursor()
        try:
            self.cursor.execute(sql)
            while rows := self.cursor.fetchmany(_BATCH_ROWS):
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
            self.cursor.close()
            self.cursor = None
