"""The snapshot reader on real PostgreSQL with the real openIMIS schema: values against hand-written
SQL, history rows out, claims and lines restricted, one consistent snapshot, lock and statement
timeouts, cancellation on SIGINT/SIGTERM, no password in errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import date
from pathlib import Path

import psycopg2
import pyarrow.parquet as pq
import pytest

from openimis_db.snapshot import (
    DateWindow,
    SnapshotError,
    TableRead,
    arrow_schema,
    load_snapshot,
    read_snapshot,
)

from .helpers import READS, oracle_sql, parquet_rows

REPO = Path(__file__).resolve().parents[2]


def oracle(url: str, read: TableRead) -> list[tuple]:
    sql, args = oracle_sql(read)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in cur]


def scalar(url: str, sql: str):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


@pytest.mark.parametrize("fixture", ["generated_pg_url", "openimis_demo_url"])
def test_every_table_equals_plain_sql(request, fixture, tmp_path):
    url = request.getfixturevalue(fixture)
    snap = read_snapshot(url, READS, tmp_path)
    assert snap.dialect == "postgresql"
    for read in READS:
        expected = oracle(url, read)
        got = parquet_rows(snap.path(read.table))
        assert got == expected, read.table
        assert snap.tables[read.table].rows == len(expected)
        assert pq.read_schema(snap.path(read.table)) == arrow_schema(read)
    if fixture == "generated_pg_url":
        assert snap.tables["tblClaim"].rows > 0 and snap.tables["tblClaimItems"].rows > 0


def test_history_rows_and_claims_outside_the_window_are_not_read(generated_pg_url, tmp_path):
    url = generated_pg_url
    history = scalar(url, 'SELECT count(*) FROM "tblInsuree" WHERE "ValidityTo" IS NOT NULL')
    assert history > 0, "the fixture must hold history rows for this test to mean anything"
    snap = read_snapshot(url, READS, tmp_path)
    ids = set(
        pq.read_table(snap.path("tblInsuree"), columns=["InsureeID"])["InsureeID"].to_pylist()
    )
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute('SELECT "InsureeID" FROM "tblInsuree" WHERE "ValidityTo" IS NOT NULL')
        assert not ids & {r[0] for r in cur}
        cur.execute('SELECT count(*) FROM "tblClaim" WHERE "ValidityTo" IS NULL')
        all_current = cur.fetchone()[0]
    claims = pq.read_table(snap.path("tblClaim")).to_pylist()
    assert 0 < len(claims) < all_current
    for c in claims:
        assert any(
            c[k] is not None and date(2024, 1, 1) <= c[k] < date(2025, 1, 1)
            for k in ("DateFrom", "DateTo", "DateClaimed", "DateProcessed")
        )
    claim_ids = {c["ClaimID"] for c in claims}
    lines = pq.read_table(snap.path("tblClaimItems"), columns=["ClaimID"])["ClaimID"].to_pylist()
    assert lines and set(lines) <= claim_ids


def test_zero_row_tables_keep_their_types(generated_pg_url, tmp_path):
    empty = DateWindow(date(1990, 1, 1), date(1990, 2, 1))
    reads = [
        TableRead("tblClaim", READS[4].columns, any_date_in=("DateFrom",), window=empty),
        TableRead("tblClaimItems", READS[5].columns, through_claim=True, window=empty),
    ]
    snap = read_snapshot(generated_pg_url, reads, tmp_path)
    for read in reads:
        assert snap.tables[read.table].rows == 0
        assert pq.read_table(snap.path(read.table)).schema == arrow_schema(read)
    assert load_snapshot(tmp_path).tables == snap.tables


def test_manifest_reopens_the_snapshot(generated_pg_url, tmp_path):
    snap = read_snapshot(generated_pg_url, READS, tmp_path)
    again = load_snapshot(tmp_path)
    assert again.tables == snap.tables and again.taken_at == snap.taken_at
    assert again.reads == tuple(READS)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["manifest.json", *(f"{r.table}.parquet" for r in READS)]
    )  # no temporary file left behind


def test_a_change_committed_between_two_table_reads_does_not_reach_the_snapshot(
    generated_pg_url, tmp_path
):
    url = generated_pg_url
    reads = [READS[0], READS[1]]  # tblInsuree, then tblHF
    hf_id, code = 1, "CHANGED"
    committed = []

    def meddle(table: str, _rows: int) -> None:
        if table == "tblInsuree":  # after the first table, before the second
            with psycopg2.connect(url) as conn, conn.cursor() as cur:
                cur.execute('UPDATE "tblHF" SET "HFCode" = %s WHERE "HfID" = %s', (code, hf_id))
                cur.execute(
                    'UPDATE "tblHF" SET "ValidityTo" = now() WHERE "HfID" = '
                    '(SELECT max("HfID") FROM "tblHF" WHERE "ValidityTo" IS NULL)'
                )
            committed.append(True)

    before = oracle(url, reads[1])
    snap = read_snapshot(url, reads, tmp_path, progress=meddle)
    assert committed
    after = oracle(url, reads[1])
    assert after != before  # the change is committed and visible outside the snapshot
    assert parquet_rows(snap.path("tblHF")) == before


def _hold_lock(url: str, table: str) -> tuple[psycopg2.extensions.connection, threading.Event]:
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')  # held until rollback
    return conn


def test_a_locked_table_ends_the_run_within_the_lock_timeout(generated_pg_url, tmp_path):
    holder = _hold_lock(generated_pg_url, "tblClaim")
    try:
        t0 = time.monotonic()
        with pytest.raises(SnapshotError) as err:
            read_snapshot(generated_pg_url, READS, tmp_path, lock_timeout_s=1)
        elapsed = time.monotonic() - t0
    finally:
        holder.rollback()
        holder.close()
    message = str(err.value)
    assert "tblClaim is locked" in message and "lock_timeout=1 s" in message
    assert elapsed < 1 + 4  # the lock wait is bounded (+ the tables read before it)
    assert list(tmp_path.iterdir()) == []  # nothing of the failed run is left


def test_statement_timeout(generated_pg_url, tmp_path):
    # A lock wait counts toward statement_timeout: hold the lock longer than the statement may last.
    holder = _hold_lock(generated_pg_url, "tblInsuree")
    try:
        t0 = time.monotonic()
        with pytest.raises(SnapshotError) as err:
            read_snapshot(
                generated_pg_url, READS, tmp_path, lock_timeout_s=30, statement_timeout_s=0.5
            )
        elapsed = time.monotonic() - t0
    finally:
        holder.rollback()
        holder.close()
    assert "tblInsuree took longer than statement_timeout=0.5 s" in str(err.value)
    assert elapsed < 10


def test_timeouts_are_bounded(generated_pg_url, tmp_path):
    with pytest.raises(SnapshotError, match="lock_timeout_s"):
        read_snapshot(generated_pg_url, READS, tmp_path, lock_timeout_s=61)
    with pytest.raises(SnapshotError, match="statement_timeout_s"):
        read_snapshot(generated_pg_url, READS, tmp_path, statement_timeout_s=0)


def test_errors_never_show_the_password(pg_server, tmp_path):
    url = pg_server.url("no_such_database_snapshot")
    secret = (
        url.replace("://", "://postgres:Sup3rS3cret@", 1)
        if "@" not in url
        else url.replace("@", ":Sup3rS3cret@", 1)
    )
    with pytest.raises(SnapshotError) as err:
        read_snapshot(secret, READS, tmp_path)
    assert "Sup3rS3cret" not in str(err.value)
    assert "no_such_database_snapshot" in str(err.value)


_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from openimis_db.snapshot import TableRead, read_snapshot
    read_snapshot(sys.argv[1], [TableRead("tblInsuree", ("InsureeID",))], Path(sys.argv[2]),
                  lock_timeout_s=60, statement_timeout_s=None)
    """
)


def _waiting_copies(url: str) -> int:
    dbname = url.rsplit("/", 1)[1]
    return scalar(
        url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '"
        + dbname
        + "' AND state = 'active' AND query LIKE 'COPY%%tblInsuree%%'".replace("%%", "%"),
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_cancels_the_server_side_query(generated_pg_url, tmp_path, signum):
    url = generated_pg_url
    holder = _hold_lock(url, "tblInsuree")  # the child's COPY waits on the server, in C
    try:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        child = subprocess.Popen([sys.executable, "-c", _CHILD, url, str(tmp_path)], env=env)
        try:
            deadline = time.monotonic() + 30
            while _waiting_copies(url) == 0:
                assert child.poll() is None, "the reader ended before it was interrupted"
                assert time.monotonic() < deadline, "the reader's COPY never reached the server"
                time.sleep(0.1)
            child.send_signal(signum)
            child.wait(timeout=20)
        finally:
            if child.poll() is None:
                child.kill()
        assert child.returncode != 0
        # the lock is still held: only a cancel can have ended the server-side COPY
        deadline = time.monotonic() + 5
        while _waiting_copies(url) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _waiting_copies(url) == 0, "the server-side query kept running after the interrupt"
    finally:
        holder.rollback()
        holder.close()
    assert [p.name for p in tmp_path.iterdir()] == []  # temporary Parquet file removed
