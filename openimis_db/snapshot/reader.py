"""``read_snapshot``: every TableRead in one read-only transaction, each table streamed to Parquet.

The reading runs in a worker thread; the calling thread only waits, so that SIGINT/SIGTERM are
handled at once even while the driver blocks in C (a lock wait, a long scan): the handler cancels
the server-side statement, the worker ends, temporary files are removed, and the signal is then
delivered again with the previous handler (KeyboardInterrupt, or termination, as without us).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import sqlalchemy as sa

from openimis_db.engine import make_engine, redact_url

from .base import DialectReader, Timeouts
from .files import MANIFEST, ParquetSink, write_manifest
from .model import Snapshot, SnapshotError, SnapshotTable, TableRead, arrow_schema
from .statements import claim_read_of, render, select_for

__all__ = ["read_snapshot", "MAX_LOCK_TIMEOUT_S", "SnapshotInterrupted"]

MAX_LOCK_TIMEOUT_S = 60.0
_CANCEL_GRACE_S = 30.0

Progress = Callable[[str, int], None]  # (table, rows written), after each table


class SnapshotInterrupted(KeyboardInterrupt):
    """A signal arrived while reading; the server-side statement was cancelled."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"snapshot interrupted by {signal.Signals(signum).name}")
        self.signum = signum


def _dialect_reader(engine: sa.Engine, timeouts: Timeouts, where: str) -> DialectReader:
    name = engine.dialect.name
    if name == "postgresql":
        from .postgresql import PostgresReader

        return PostgresReader(engine, timeouts, where)
    if name == "sqlite":
        from .sqlite import SqliteReader

        return SqliteReader(engine, timeouts, where)
    if name == "mssql":
        from .mssql import MssqlReader

        return MssqlReader(engine, timeouts, where)
    raise SnapshotError(f"unsupported database {name!r}: use postgresql, sqlite or mssql")


def read_snapshot(
    url_or_engine: str | sa.Engine,
    reads: Sequence[TableRead],
    directory: Path,
    *,
    lock_timeout_s: float = 30,
    statement_timeout_s: float | None = 3600,
    progress: Progress | None = None,
) -> Snapshot:
    """Read ``reads`` in one consistent read-only transaction into ``directory`` (Parquet + manifest).

    ``lock_timeout_s`` (0 < x <= 60) bounds every lock wait, ``statement_timeout_s`` every table's
    statement (None: unbounded). Raises ``SnapshotError`` (never showing the password) on a locked
    table, a timeout or a read error; nothing of the run is left in ``directory`` then.
    """
    if not 0 < lock_timeout_s <= MAX_LOCK_TIMEOUT_S:
        raise SnapshotError(
            f"lock_timeout_s must be in (0, {MAX_LOCK_TIMEOUT_S:g}] seconds, got {lock_timeout_s!r}"
        )
    if statement_timeout_s is not None and statement_timeout_s <= 0:
        raise SnapshotError(
            f"statement_timeout_s must be positive or None, got {statement_timeout_s!r}"
        )
    tables = [r.table for r in reads]
    if len(set(tables)) != len(tables):
        raise SnapshotError(f"a table is read twice: {tables}")
    owned = isinstance(url_or_engine, str)  # an engine made here is disposed of here
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    where = redact_url(engine.url.render_as_string(hide_password=False))
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MANIFEST).unlink(missing_ok=True)  # an older manifest must not vouch for new files
    reader = _dialect_reader(engine, Timeouts(lock_timeout_s, statement_timeout_s), where)
    outcome: dict[str, object] = {}
    done = threading.Event()  # not Thread.join: before 3.13 an interrupted join can lie (gh-90882)

    def work() -> None:
        try:
            outcome["snapshot"] = _take(reader, list(reads), directory, progress)
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            outcome["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=work, name="snapshot-reader", daemon=True)
    try:
        with _cancel_on_signals() as interrupted:
            worker.start()
            try:
                while not done.wait(0.25):
                    pass
            except BaseException:
                reader.cancel()  # server-side: the running statement stops now
                done.wait(_CANCEL_GRACE_S)  # the worker removes its temporary files
                raise
        if interrupted:
            signal.raise_signal(interrupted[0])  # as if we had not been there
            raise SnapshotInterrupted(interrupted[0])
    finally:
        if owned:
            engine.dispose()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["snapshot"]  # type: ignore[return-value]


@contextmanager
def _cancel_on_signals() -> Iterator[list[int]]:
    """SIGINT/SIGTERM raise ``SnapshotInterrupted`` in the waiting (main) thread; the signal number
    is recorded, and the previous handlers are restored on exit. Outside the main thread signals
    cannot be caught: plain waiting (KeyboardInterrupt still cancels)."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        if not received:
            received.append(signum)
            raise SnapshotInterrupted(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    except SnapshotInterrupted:
        pass  # re-delivered by the caller once the handlers are restored
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _take(
    reader: DialectReader, reads: list[TableRead], directory: Path, progress: Progress | None
) -> Snapshot:
    written: list[Path] = []
    sink: ParquetSink | None = None
    claim = claim_read_of(reads)
    try:
        try:
            taken_at = reader.begin()
        except SnapshotError:
            raise
        except Exception as exc:
            raise SnapshotError(
                f"cannot start the snapshot transaction on {reader.where}: {_first_line(exc)}"
            ) from exc
        tables: dict[str, SnapshotTable] = {}
        for read in reads:
            sql = render(select_for(read, claim), reader.dialect)
            started = time.perf_counter()
            sink = ParquetSink(directory, read.table, arrow_schema(read))
            reader.read(read, sql, sink)
            size = sink.close()
            written.append(sink.final)
            tables[read.table] = SnapshotTable(
                read.table, sink.final, sink.rows, size, round(time.perf_counter() - started, 3)
            )
            sink = None
            if progress is not None:
                progress(read.table, tables[read.table].rows)
        snapshot = Snapshot(directory, tables, taken_at, reader.dialect, tuple(reads))
        write_manifest(snapshot)
        return snapshot
    except BaseException:
        if sink is not None:
            sink.abort()
        for path in written:
            path.unlink(missing_ok=True)
        raise
    finally:
        reader.close()


def _first_line(exc: BaseException) -> str:
    """The driver's own message (SQLAlchemy wraps it), first line: no URL, no password."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip()
    return text.splitlines()[0] if text else type(inner).__name__
