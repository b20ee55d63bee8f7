"""The snapshot reader on a generated SQLite openIMIS database: values against plain sqlite3 SQL,
history rows out, one consistent read (WAL), a locked database ends the run within the lock
timeout, statement timeout."""

from __future__ import annotations

import shutil
import sqlite3
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import types as sat

from openimis_db import tables as t
from openimis_db.snapshot import SnapshotError, TableRead, arrow_schema, read_snapshot

from .helpers import READS, money, oracle_sql, parquet_rows


def _path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _plain(table: str, column: str, v):
    """How the stored SQLite value reads as the column's type (SQLAlchemy's SQLite formats)."""
    if v is None:
        return None
    ctype = t.metadata.tables[table].c[column].type
    if isinstance(ctype, sat.DateTime):
        return datetime.fromisoformat(v).replace(tzinfo=UTC)
    if isinstance(ctype, sat.Date):
        return date.fromisoformat(v[:10])
    if isinstance(ctype, sat.Numeric) and not isinstance(ctype, sat.Float):
        return money(v)
    if isinstance(ctype, sat.Boolean):
        return bool(v)
    return v


def oracle(path: Path, read: TableRead) -> list[tuple]:
    sql, args = oracle_sql(read, "?")
    with sqlite3.connect(path) as conn:
        return [
            tuple(_plain(read.table, c, v) for c, v in zip(read.columns, row, strict=True))
            for row in conn.execute(sql, args)
        ]


@pytest.fixture
def sqlite_copy(small_sqlite_url, tmp_path) -> Path:
    dst = tmp_path / "copy.db"
    shutil.copy(_path(small_sqlite_url), dst)
    return dst


def test_every_table_equals_plain_sql(small_sqlite_url, tmp_path):
    snap = read_snapshot(small_sqlite_url, READS, tmp_path / "snap")
    assert snap.dialect == "sqlite"
    for read in READS:
        expected = oracle(_path(small_sqlite_url), read)
        assert parquet_rows(snap.path(read.table)) == expected, read.table
        assert pq.read_schema(snap.path(read.table)) == arrow_schema(read)
    assert snap.tables["tblClaim"].rows > 0 and snap.tables["tblClaimServices"].rows > 0


def test_history_rows_are_not_read(small_sqlite_url, tmp_path):
    path = _path(small_sqlite_url)
    with sqlite3.connect(path) as conn:
        history = {
            r[0]
            for r in conn.execute(
                'SELECT "InsureeID" FROM "tblInsuree" WHERE "ValidityTo" IS NOT NULL'
            )
        }
    assert history, "the fixture must hold history rows for this test to mean anything"
    snap = read_snapshot(small_sqlite_url, [READS[0]], tmp_path / "snap")
    ids = set(pq.read_table(snap.path("tblInsuree"))["InsureeID"].to_pylist())
    assert ids and not ids & history


def test_a_change_committed_between_two_table_reads_does_not_reach_the_snapshot(
    sqlite_copy, tmp_path
):
    with sqlite3.connect(sqlite_copy) as conn:
        conn.execute("PRAGMA journal_mode=WAL")  # writers go on while a read transaction is open
    url = f"sqlite:///{sqlite_copy}"
    reads = [READS[0], READS[1]]
    before = oracle(sqlite_copy, reads[1])

    def meddle(table: str, _rows: int) -> None:
        if table == "tblInsuree":
            with sqlite3.connect(sqlite_copy) as conn:
                conn.execute('UPDATE "tblHF" SET "HFCode" = ? WHERE "HfID" = 1', ("CHANGED",))

    snap = read_snapshot(url, reads, tmp_path / "snap", progress=meddle)
    assert oracle(sqlite_copy, reads[1]) != before  # committed and visible outside the snapshot
    assert parquet_rows(snap.path("tblHF")) == before


def test_a_locked_database_ends_the_run_within_the_lock_timeout(sqlite_copy, tmp_path):
    holder = sqlite3.connect(sqlite_copy, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # rollback-journal mode: no reader gets in
    try:
        t0 = time.monotonic()
        with pytest.raises(SnapshotError) as err:
            read_snapshot(f"sqlite:///{sqlite_copy}", READS, tmp_path / "snap", lock_timeout_s=1)
        elapsed = time.monotonic() - t0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "locked" in str(err.value) and "lock_timeout=1 s" in str(err.value)
    assert elapsed < 1 + 4
    assert list((tmp_path / "snap").iterdir()) == []


def test_statement_timeout_stops_a_long_statement(sqlite_copy, tmp_path):
    # The progress handler checks the deadline every 10,000 SQLite VM steps; any table of the
    # fixture takes more than that, so a 1 us limit always stops the first statement.
    t0 = time.monotonic()
    with pytest.raises(SnapshotError) as err:
        read_snapshot(
            f"sqlite:///{sqlite_copy}", READS, tmp_path / "snap", statement_timeout_s=1e-6
        )
    assert "took longer than statement_timeout" in str(err.value)
    assert time.monotonic() - t0 < 10


def test_the_snapshot_is_read_only(sqlite_copy, tmp_path):
    before = sqlite_copy.stat().st_mtime_ns
    read_snapshot(f"sqlite:///{sqlite_copy}", READS, tmp_path / "snap")
    assert sqlite_copy.stat().st_mtime_ns == before
