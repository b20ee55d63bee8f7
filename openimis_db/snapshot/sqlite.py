"""SQLite: one read transaction (``BEGIN`` then a first read), cursor ``fetchmany`` batches to Arrow.

The file is opened read-only. In WAL mode the read transaction sees the database as of its first
read while writers go on; in rollback-journal mode it holds a shared lock, so writers wait instead.
The lock timeout is SQLite's busy timeout; the statement timeout a progress handler that interrupts
a statement past its deadline.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from .base import Timeouts
from .files import ParquetSink
from .model import SnapshotError, TableRead, arrow_schema
from .rows import rows_to_batch

__all__ = ["SqliteReader"]

_BATCH_ROWS = 50_000


class SqliteReader:
    dialect = "sqlite"

    def __init__(self, engine: sa.Engine, timeouts: Timeouts, where: str) -> None:
        database = engine.url.database
        if not database or database == ":memory:":
            raise SnapshotError("a snapshot needs a SQLite file, not an in-memory database")
        self.path = Path(database)
        if not self.path.exists():
            raise SnapshotError(f"SQLite database {where} does not exist")
        self.timeouts = timeouts
        self.where = where
        self.conn: sqlite3.Connection | None = None
        self.cancelled = False
        self._deadline: float | None = None

    def begin(self) -> datetime:
        self.conn = sqlite3.connect(
            f"{self.path.resolve().as_uri()}?mode=ro",
            uri=True,
            timeout=self.timeouts.lock,
            isolation_level=None,  # we issue BEGIN ourselves
            check_same_thread=False,  # cancel() interrupts from another thread
        )
        self.conn.set_progress_handler(self._over_deadline, 10_000)
        started = time.monotonic()
        try:
            self.conn.execute("BEGIN")
            # a read takes the snapshot (BEGIN alone is deferred)
            (now,) = self.conn.execute(
                "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') FROM (SELECT count(*) FROM sqlite_master)"
            ).fetchone()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise SnapshotError(
                    f"the SQLite database {self.where} is locked by another connection: no lock "
                    f"within lock_timeout={self.timeouts.lock:g} s (gave up after "
                    f"{time.monotonic() - started:.1f} s, before the first table); no snapshot was taken"
                ) from exc
            raise
        return datetime.fromisoformat(now).replace(tzinfo=UTC)

    def _over_deadline(self) -> int:
        return int(self._deadline is not None and time.monotonic() > self._deadline)

    def cancel(self) -> None:
        self.cancelled = True
        if self.conn is not None:
            self.conn.interrupt()

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            self.conn.close()
            self.conn = None

    def read(self, read: TableRead, sql: str, sink: ParquetSink) -> None:
        schema = arrow_schema(read)
        started = time.monotonic()
        if self.timeouts.statement is not None:
            self._deadline = started + self.timeouts.statement
        if self.conn is None:
            raise SnapshotError(f"reading {read.table}: begin() was not called")
        try:
            cur = self.conn.execute(sql)
            while rows := cur.fetchmany(_BATCH_ROWS):
                sink.write(rows_to_batch(rows, schema, read.table))
            cur.close()
        except sqlite3.OperationalError as exc:
            waited = time.monotonic() - started
            text = str(exc)
            if "locked" in text or "busy" in text:
                raise SnapshotError(
                    f"{read.table} is locked by another connection: no lock within lock_timeout="
                    f"{self.timeouts.lock:g} s (gave up after {waited:.1f} s); no snapshot was taken"
                ) from exc
            if "interrupted" in text:
                if self.cancelled:
                    raise SnapshotError(
                        f"reading {read.table} was cancelled (interrupted)"
                    ) from exc
                raise SnapshotError(
                    f"reading {read.table} took longer than statement_timeout="
                    f"{self.timeouts.statement:g} s (stopped after {waited:.1f} s)"
                ) from exc
            raise SnapshotError(f"reading {read.table} from {self.where} failed: {text}") from exc
        finally:
            self._deadline = None
